"""Document symbols, workspace symbols and document links (layer 3: ide).

- `document_symbols`: the outline of a stack file: stacks > constructs > routes and other
  functions, from the file's own facts (so a file no app imports yet still has an outline).
- `workspace_symbols`: stacks, constructs and routes of every app whose name contains the
  query's characters in order, ignoring case ("apst" finds `ApiStack`).
- `document_links`: each handler string that leads to a file links to it (at the export when it
  exists).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import apps_of
from sst_lsp.ide.naming import app_name
from sst_lsp.ide.targets import relative, site_for
from sst_lsp.ide.types import Link, Symbol
from sst_lsp.model.types import App, AppSnapshot, Construct, FileFacts, HandlerRef, RouteKey, StackDef
from sst_lsp.syntax.text import TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver

_KIND_ORDER = {"stack": 0, "construct": 1, "route": 2, "function": 3, "file": 4}


# ----------------------------------------------------------------------------------------------
# Document symbols.
def document_symbols(snap: AppSnapshot, path: Path) -> list[Symbol] | None:
    """The outline of `path`, or None when it holds no stacks or constructs."""
    facts = snap.facts.get(path)
    if facts is None:
        return None
    app_ids = _stack_ids(snap, path)
    construct_syms = {id(c): _construct_symbol(facts, c) for c in facts.constructs}
    top: list[Symbol] = []
    placed: set[int] = set()
    for sd in facts.stacks:
        children = []
        for c in facts.constructs:
            if c.stack == sd.name and sd.range.contains_range(c.range) and id(c) not in placed:
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


def _construct_symbol(facts: FileFacts, c: Construct) -> Symbol:
    children: list[Symbol] = []
    route_handlers: set[int] = set()
    for rk in facts.routes:
        if rk.construct_id == c.id and c.range.contains_range(rk.range):
            h = _handler_of_route(facts, c, rk)
            if h is not None:
                route_handlers.add(id(h))
            rng = TextRange(rk.range.start, h.range.end) if h is not None else rk.range
            children.append(Symbol(rk.key, "route", h.handler if h else None, facts.path, rng, rk.range))
    for h in facts.handlers:
        if id(h) in route_handlers or h.construct_id != c.id or not c.range.contains_range(h.range):
            continue
        children.append(Symbol(h.position, "function", h.handler, facts.path, h.range, h.range))
    return Symbol(c.id, "construct", c.kind, facts.path, c.range, c.id_range, _sorted(children))


def _handler_of_route(facts: FileFacts, c: Construct, rk: RouteKey) -> HandlerRef | None:
    best: HandlerRef | None = None
    for h in facts.handlers:
        if (h.construct_id == c.id and h.route == rk.key and h.range.start >= rk.range.end
                and (best is None or h.range.start < best.range.start)):
            best = h
    return best


def _sorted(symbols: list[Symbol]) -> list[Symbol]:
    return sorted(symbols, key=lambda s: (s.range.start, _KIND_ORDER[s.kind]))


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
        for ref in app.handlers:
            if ref.path != path or ref.range in links:
                continue
            site = site_for(snap, resolver, app, ref)
            if site is None or site.target is None:
                continue
            found = site.res.status != "export-missing"
            tooltip = relative(site.target.path, app.root)
            if found and site.res.export:
                tooltip += f" ({site.res.export})"
            links[ref.range] = Link(ref.range, site.target.path, site.target.range if found else None, tooltip)
    return sorted(links.values(), key=lambda link: link.range.start)
