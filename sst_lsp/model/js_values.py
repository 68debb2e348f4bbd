"""Reading JS/TS literal nodes and placing values in files (layer 2: model).

Small functions of one node or one `Value`, shared by the evaluator (`evaluate`), the module
graph (`modules`) and extraction, so that those import this leaf and not one another.
"""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node

from sst_lsp.model.types import Entry, Value
from sst_lsp.syntax.parser import ParsedFile
from sst_lsp.syntax.text import Pos, TextRange

_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
        "await_expression",
    }
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def unwrap(node: Node | None) -> Node | None:
    """Strips parentheses, `as`, `satisfies`, `!` and `await` around an expression."""
    while node is not None and node.type in _WRAPPERS:
        inner = node.named_children[0] if node.named_children else None
        if inner is None:
            return node
        node = inner
    return node


def string_content(pf: ParsedFile, node: Node) -> tuple[str, TextRange] | None:
    """The value and content range (inside the quotes) of a `string` node."""
    if node.type != "string":
        return None
    return _string_content(pf, node)


def _string_content(pf: ParsedFile, node: Node) -> tuple[str, TextRange]:
    """`string_content` of a node known to be a `string`."""
    text = pf.node_text(node)
    if pf.index.points_are_positions:
        # Straight from the node's points (one range made, not two: strings are most of what
        # a large stack file holds).
        (sl, sc), (el, ec) = node.start_point, node.end_point
    else:
        r = pf.node_range(node)
        sl, sc, el, ec = r.start.line, r.start.col, r.end.line, r.end.col
    if el == sl:
        el = sl  # One int object for both ends (most strings sit on one line).
    inner = TextRange(Pos(sl, sc + 1), Pos(el, ec - 1 if ec > 0 else 0))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and "\\" not in text and not node.has_error:
        # The common case, without visiting the children: no escapes, both quotes present.
        return text[1:-1], inner
    parts: list[str] = []
    for ch in node.named_children:
        if ch.type == "string_fragment":
            parts.append(pf.node_text(ch))
        elif ch.type == "escape_sequence":
            parts.append(_unescape(pf.node_text(ch)))
    return "".join(parts), inner


def _unescape(seq: str) -> str:
    if len(seq) >= 2:
        c = seq[1]
        if c in _ESCAPES:
            return _ESCAPES[c]
        if c == "u" and len(seq) >= 6:
            try:
                return chr(int(seq[2:].strip("{}"), 16))
            except ValueError:
                return seq
        if c == "x" and len(seq) == 4:
            try:
                return chr(int(seq[2:4], 16))
            except ValueError:
                return seq
        return c
    return seq


def not_literal(v: Value) -> Value:
    if not v.literal:
        return v
    return Value(v.kind, v.range, v.value, v.entries, v.items, v.text, literal=False, partial=v.partial, path=v.path,
                 cond=v.cond)


def tag(v: Value, path: Path | None) -> Value:
    """`v` with every range that has no file yet placed in `path` (a value crossing files)."""
    if path is None or v.path is not None:
        return v
    entries = tuple(Entry(e.key, e.key_range, tag(e.value, path), e.path or path, e.cond) for e in v.entries)
    items = tuple(tag(i, path) for i in v.items)
    return Value(v.kind, v.range, v.value, entries, items, v.text, v.literal, v.partial, path, v.cond)
