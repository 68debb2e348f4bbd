"""Document symbols, workspace symbols and document links (layer 3: ide).

- `document_symbols`: the outline of a stack file: stacks > constructs > routes and other
  functions, from the file's own facts (so a file no app imports yet still has an outline).
- `workspace_symbols`: stacks, constructs and routes of every app whose name contains the
  query's characters in order, ignoring case ("apst" finds `ApiStack`).
- `document_links`: each handler string that leads to a file links to it (at the export when it
  exists).
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import apps_of
from sst_lsp.ide.naming import app_name
from sst_lsp.ide.targets import relative, target_location
from sst_lsp.ide.types import Link, Symbol
from sst_lsp.model.types import App, AppSnapshot, Construct, FileFacts, HandlerRef, RouteKey, StackDef
from sst_lsp.syntax.text import TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

_KIND_ORDER = {"stack": 0, "construct": 1, "route": 2, "function": 3, "file": 4}


# ----------------------------------------------------------------------------------------------
# Document symbols.
def document_symbols(snap: AppSnapshot, path: Path) -> list[Symbol] | None:
    """The outline of `path`, or None when it holds no stacks or constructs.

    Proportional to the file's facts: routes and handlers are grouped by construct id once (a
    generated stack file has hundreds of thousands), never searched per construct or route."""
    facts = snap.facts.get(path)
    if facts is None:
        return None
    app_ids = _stack_ids(snap, path)
    routes_of: dict[str | None, list[RouteKey]] = {}
    for rk in facts.routes:
        routes_of.setdefault(rk.construct_id, []).append(rk)
    handlers_of: dict[str | None, list[HandlerRef]] = {}
    for h in facts.handlers:
        handlers_of.setdefault(h.construct_id, []).append(h)
    id_count: dict[str, int] = {}
    for c in facts.constructs:
        id_count[c.id] = id_count.get(c.id, 0) + 1
    construct_syms = {
        id(c): _construct_symbol(facts, c, routes_of.get(c.id, []), handlers_of.get(c.id, []),
                                 unique=id_count[c.id] == 1)
        for c in facts.constructs
    }
    by_stack: dict[str | None, list[Construct]] = {}
    for c in facts.constructs:
        by_stack.setdefault(c.stack, []).append(c)
    top: list[Symbol] = []
    placed: set[int] = set()
    for sd in facts.stacks:
        children = []
        for c in by_stack.get(sd.name, ()):
            if sd.range.contains_range(c.range) and id(c) not in placed:
                children.append(construct_syms[id(c)])
                placed.add(id(c))
        ids = app_ids.get(sd.name, [])
        detail = "stack " + ", ".join(ids) if ids else "stack (not registered)"
        top.append(Symbol(sd.name, "stack", detail, path, sd.range, sd.name_range, _sorted(children)))
    top.extend(construct_syms[id(c)] for c in facts.constructs if id(c) not in placed)
    return _sorted(top) or None


def _stack_ids(snap: AppSnapshot, path: Path) -> dict[str, list[str]]:
    """Stack definition name -> the ids the apps register it under."""
    out: dict[str, list[str]] = {}
    for app in apps_of(snap, path) or [a for a in [snap.app_for(path)] if a is not None]:
        for s in app.stacks:
            if s.definition is not None and s.definition.path == path:
                ids = out.setdefault(s.definition.name, [])
                if s.id not in ids:
                    ids.append(s.id)
    return out


def _construct_symbol(facts: FileFacts, c: Construct, routes: list[RouteKey], handlers: list[HandlerRef],
                      unique: bool = False) -> Symbol:
    """The symbol of `c`, its routes (each with the handler string after its key) and other
    functions as children; `routes` and `handlers` are those with `c`'s id (all of them `c`'s
    own when `unique`: no other construct of the file has that id)."""
    if not unique:
        routes = [rk for rk in routes if c.range.contains_range(rk.range)]
        handlers = [h for h in handlers if c.range.contains_range(h.range)]
    mine = handlers
    # Per route key, the construct's handlers of that route in document order: a route's
    # handler is the first one after its key. A route has one handler as a rule, stored as is
    # (a list only for the others): an outline of 100,000 routes allocates no list per route.
    by_route: dict[str | None, HandlerRef | list[HandlerRef]] = {}
    for ref in sorted(mine, key=_start) if len(mine) > 1 else mine:
        got = by_route.get(ref.route)
        if got is None:
            by_route[ref.route] = ref
        elif isinstance(got, list):
            got.append(ref)
        else:
            by_route[ref.route] = [got, ref]
    children: list[Symbol] = []
    route_handlers: set[int] = set()
    path = facts.path
    for rk in routes:
        end = rk.range.end
        cands = by_route.get(rk.key)
        h: HandlerRef | None = None
        if isinstance(cands, list):
            i = bisect.bisect_left(cands, (end.line, end.col), key=_start)
            h = cands[i] if i < len(cands) else None
        elif cands is not None and _start(cands) >= (end.line, end.col):
            h = cands
        if h is not None:
            route_handlers.add(id(h))
            rng = TextRange(rk.range.start, h.range.end)
            children.append(Symbol(rk.key, "route", h.handler, path, rng, rk.range))
        else:
            children.append(Symbol(rk.key, "route", None, path, rk.range, rk.range))
    for h in mine:
        if id(h) in route_handlers:
            continue
        children.append(Symbol(h.position, "function", h.handler, path, h.range, h.range))
    return Symbol(c.id, "construct", c.kind, path, c.range, c.id_range, _sorted(children))


def _start(h: HandlerRef) -> tuple[int, int]:
    # Plain ints: comparing `Pos` objects goes through the dataclass's Python-level `__lt__`.
    start = h.range.start
    return (start.line, start.col)


def _sorted(symbols: list[Symbol]) -> list[Symbol]:
    return sorted(symbols, key=_symbol_key)


def _symbol_key(s: Symbol) -> tuple[int, int, int]:
    start = s.range.start
    return (start.line, start.col, _KIND_ORDER[s.kind])


# ----------------------------------------------------------------------------------------------
# Workspace symbols.
def matches(query: str, name: str) -> bool:
    """True when the characters of `query` appear in `name` in order, ignoring case."""
    it = iter(name.lower())
    return all(ch in it for ch in query.lower())


def workspace_symbols(snap: AppSnapshot, query: str) -> list[Symbol]:
    """Stacks, constructs and routes of every app matching `query` (see `matches`)."""
    out: list[Symbol] = []
    seen: set[tuple[str, Path, TextRange]] = set()

    def add(sym: Symbol) -> None:
        key = (sym.kind, sym.path, sym.selection_range)
        if key not in seen and matches(query, sym.name):
            seen.add(key)
            out.append(sym)

    for app in snap.apps:
        for sd in app.stack_defs:
            add(_stack_symbol(app, sd))
        for c in app.constructs:
            where = f" in {c.stack}" if c.stack else ""
            add(Symbol(c.id, "construct", f"{c.kind}{where} ({app_name(app)})", c.path, c.range, c.id_range))
        for rk in app.routes:
            where = f" in {rk.stack}" if rk.stack else ""
            detail = f"{rk.construct_kind} {rk.construct_id or ''}{where} ({app_name(app)})".replace("  ", " ")
            add(Symbol(rk.key, "route", detail, rk.path, rk.range, rk.range))
    q = query.lower()
    out.sort(key=lambda s: (0 if s.name.lower().startswith(q) else 1, _KIND_ORDER[s.kind], s.name.lower()))
    return out


def _stack_symbol(app: App, sd: StackDef) -> Symbol:
    return Symbol(sd.name, "stack", f"stack ({app_name(app)})", sd.path, sd.range, sd.name_range)


# ----------------------------------------------------------------------------------------------
# Document links.
def document_links(snap: AppSnapshot, resolver: HandlerResolver, path: Path) -> list[Link]:
    """A link on each handler string of `path` that leads to a file."""
    links: dict[TextRange, Link] = {}
    for app in apps_of(snap, path):
        # A generated stack file has thousands of handler strings naming a few files: each
        # resolution's target and tooltip is computed once per request.
        done: dict[int, tuple[Path, TextRange | None, str] | None] = {}
        seen_path: Path | None = None  # The handlers of one file share one Path object.
        for ref in app.handlers:
            if ref.path is not seen_path:
                if ref.path != path:
                    continue
                seen_path = ref.path
            if ref.range in links:
                continue
            res = resolver.resolve(app, ref)
            if id(res) in done:
                got = done[id(res)]
            else:
                got = done[id(res)] = _link_target(resolver, app, res)
            if got is not None:
                links[ref.range] = Link(ref.range, got[0], got[1], got[2])
    return sorted(links.values(), key=lambda link: link.range.start)


def _link_target(resolver: HandlerResolver, app: App, res: Resolution) -> tuple[Path, TextRange | None, str] | None:
    target = target_location(resolver, res)
    if target is None:
        return None
    found = res.status != "export-missing"
    tooltip = relative(target.path, app.root)
    if found and res.export:
        tooltip += f" ({res.export})"
    return target.path, target.range if found else None, tooltip
