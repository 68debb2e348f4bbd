"""The extraction query and its captures (layer 2: model).

One tree-sitter query finds the nodes extraction reads (`new` expressions, method calls, `use()`,
dynamic imports, calls of identifiers, callbacks and loops); `captures` runs it on a file, over
only the ranges an edit touched when the file's `ExtractMemo` holds the last parse's spans.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from tree_sitter import Node, Query, QueryCursor

from sst_lsp import catalog
from sst_lsp.syntax.parser import ParsedFile, language

if TYPE_CHECKING:
    from sst_lsp.model.extract_context import FileContext

#: Methods whose calls we look at (everything else is skipped in C, by the query): the app's
#: `stack` and `setDefaultFunctionProps`, and every method the catalog says takes handlers.
_METHODS = "|".join(("stack", "setDefaultFunctionProps", *catalog.method_names()))
_QUERY_SRC = f"""
(new_expression) @new
(call_expression
  function: (member_expression property: (property_identifier) @method)
  (#match? @method "^({_METHODS})$")) @call
(call_expression function: (identifier) @fn (#eq? @fn "use")) @use
(call_expression function: (member_expression property: (property_identifier) @fnm (#eq? @fnm "use"))) @use
(call_expression function: (import) arguments: (arguments . (string) @dynimport))
(call_expression function: (import) arguments: (arguments . (_) @dynexpr))
(call_expression function: (identifier) @callee)
(call_expression
  function: (member_expression property: (property_identifier) @cbm)
  (#match? @cbm "^(forEach|map|flatMap)$")) @cbcall
(for_in_statement) @loop
"""

#: The query's captures that extraction reads, with the node type each captures.
CAPTURE_TYPES = {
    "new": "new_expression",
    "call": "call_expression",
    "use": "call_expression",
    "callee": "identifier",
    "dynimport": "string",
    "dynexpr": "",
    "cbcall": "call_expression",
    "loop": "for_in_statement",
}
#: Captures that the query matches by their call around them (a callee, an import's argument):
#: an edit of the call may make or unmake them without touching their own span.
_IN_CALL = frozenset({"callee", "dynimport", "dynexpr"})


def _call_of(kind: str, node: Node) -> Node | None:
    """The call a capture of `_IN_CALL` belongs to."""
    p = node.parent
    if kind in ("dynimport", "dynexpr") and p is not None:
        p = p.parent
    return p


#: Beyond this many edited regions, an incremental query costs more than a full one.
_MAX_REQUERY_RANGES = 16


#: Calls of a member of an identifier (`routes.add(...)`): asked only of files that may call
#: through a namespace (see `expand.namespace_callees`), every other file skips them.
_MEMBER_CALLS_SRC = "(call_expression function: (member_expression object: (identifier)) @callee)"


@functools.cache
def _member_calls_query(lang: str) -> Query:
    return Query(language(lang), _MEMBER_CALLS_SRC)


def member_callees(pf: ParsedFile, within: Node) -> list[Node]:
    """The `x.f` callees of the calls inside `within`, in document order."""
    cursor = QueryCursor(_member_calls_query(pf.lang))
    cursor.set_byte_range(within.start_byte, within.end_byte)
    out = [n for nodes in cursor.captures(within).values() for n in nodes
           if within.start_byte <= n.start_byte and n.end_byte <= within.end_byte]
    out.sort(key=lambda n: n.start_byte)
    return out


@functools.cache
def query(lang: str) -> Query:
    """The compiled extraction query of a language (a constant per language)."""
    return Query(language(lang), _QUERY_SRC)


# ------------------------------------------------------------------------------------------
# The query's captures, by capture name, in document order (start, then end: `a.b(x).c(y)`
# holds its inner call first, as the query reports it).
def captures(cx: FileContext) -> dict[str, list[Node]]:
    memo = cx.memo
    pf = cx.pf
    got = None
    if memo is not None and memo._spans is not None and memo.serial is not None and (
        pf.serial == memo.serial or (pf.base == memo.serial and pf.edit is not None)
    ):
        got = captures_incremental(cx, memo._spans)
    if memo is not None:
        memo.queried = "full" if got is None else "incremental"
    if got is None:
        got = {k: [] for k in CAPTURE_TYPES}
        for _, caps in QueryCursor(query(pf.lang)).matches(pf.root):
            for k in CAPTURE_TYPES:
                got[k].extend(caps.get(k, ()))
    for nodes in got.values():
        nodes.sort(key=lambda n: (n.start_byte, n.end_byte))
    if memo is not None:
        memo.serial = pf.serial
        memo._spans = {k: [(n.start_byte, n.end_byte) for n in v] for k, v in got.items()}
    return got


def captures_incremental(cx: FileContext, old: dict[str, list[tuple[int, int]]]) -> dict[str, list[Node]] | None:
    """The captures of the memo's parse, carried over where the edit and the changed ranges
    do not touch them, plus a query over what they touch; None when that cannot be done."""
    pf = cx.pf
    size = len(pf.data)
    ranges: list[tuple[int, int]] = []
    start = old_end = delta = 0
    edited = pf.serial != (cx.memo.serial if cx.memo is not None else None)
    if edited:
        assert pf.edit is not None
        start, old_end, new_end = pf.edit
        delta = new_end - old_end
        # Widened by a byte: a node that ends where the edit starts may now continue.
        for a, b in sorted([*pf.changed, (start, new_end)]):
            a, b = max(0, a - 1), min(size, b + 1)
            if ranges and a <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], b))
            else:
                ranges.append((a, b))
        if len(ranges) > _MAX_REQUERY_RANGES:
            return None

    def touched(s: int, e: int) -> bool:
        return any(e > a and s < b for a, b in ranges)

    root = pf.root
    out: dict[str, list[Node]] = {k: [] for k in CAPTURE_TYPES}
    for kind, spans in old.items():
        want = CAPTURE_TYPES[kind]
        dest = out[kind]
        for s, e in spans:
            if edited:
                if e <= start:
                    pass
                elif s >= old_end:
                    s, e = s + delta, e + delta
                else:
                    continue
                if touched(s, e):
                    continue
            # Outside every changed range the tree has the same structure: the node is there.
            node = root.descendant_for_byte_range(s, e)
            if node is None or node.start_byte != s or node.end_byte != e or (want and node.type != want):
                return None
            if kind in _IN_CALL:
                # What makes it a capture is its call (`import(` edited into `importa(`).
                anchor = _call_of(kind, node)
                if anchor is None or touched(anchor.start_byte, anchor.end_byte):
                    continue
            dest.append(node)
    seen: set[tuple[str, int, int]] = set()
    for a, b in ranges:
        cursor = QueryCursor(query(pf.lang))
        cursor.set_byte_range(a, b)
        for _, caps in cursor.matches(root):
            for kind in CAPTURE_TYPES:
                for node in caps.get(kind, ()):
                    key = (kind, node.start_byte, node.end_byte)
                    if key in seen:
                        continue
                    anchor = _call_of(kind, node) if kind in _IN_CALL else node
                    if anchor is not None and (touched(node.start_byte, node.end_byte)
                                               or touched(anchor.start_byte, anchor.end_byte)):
                        seen.add(key)
                        out[kind].append(node)
    return out


def captures_in(cx: FileContext, body: Node) -> dict[str, list[Node]]:
    """The query's captures inside `body`, in document order."""
    s, e = body.start_byte, body.end_byte
    if cx.full_caps is not None:
        return {k: [n for n in v if s <= n.start_byte and n.end_byte <= e] for k, v in cx.full_caps.items()}
    cached = cx.mod.captures.get((s, e))
    if cached is not None:
        return cached
    got: dict[str, list[Node]] = {k: [] for k in CAPTURE_TYPES}
    cursor = QueryCursor(query(cx.pf.lang))
    cursor.set_byte_range(s, e)
    for _, caps in cursor.matches(body):
        for k in CAPTURE_TYPES:
            got[k].extend(n for n in caps.get(k, ()) if s <= n.start_byte and n.end_byte <= e)
    for nodes in got.values():
        nodes.sort(key=lambda n: (n.start_byte, n.end_byte))
    cx.mod.captures[(s, e)] = got
    return got
