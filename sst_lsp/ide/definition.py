"""Go to definition (layer 3: ide).

- On a handler string: the export it names in the handler file (a TS/JS export, a Python
  def, Go's `func main`, a C#/Java method), following re-exports to the defining file; the
  start of the file when the export is missing; nothing when the file is missing.
- On a route key: the same as on its handler string.
- On a stack registration target (`app.stack(ApiStack)`, `new ApiStack(app, "api")`): the name
  of the stack definition.
- On a construct id or a stack definition's name: nothing (find references covers the other way).

`use(StorageStack)` identifiers are left to the TypeScript server, which resolves them better.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import hit_at
from sst_lsp.ide.targets import site_for
from sst_lsp.ide.types import Location
from sst_lsp.model.types import App, AppSnapshot, HandlerRef, RouteKey, StackRegistration
from sst_lsp.syntax.text import Pos

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver


def goto_definition(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> list[Location] | None:
    """Where the SST object under `pos` is defined, or None when there is nothing to go to."""
    hit = hit_at(snap, path, pos)
    if hit is None:
        return None
    target, app = hit.target, hit.app
    if isinstance(target, RouteKey):
        ref = route_handler(app, target)
        if ref is None:
            return None
        target = ref
    if isinstance(target, HandlerRef):
        site = site_for(snap, resolver, app, target)
        return [site.target] if site is not None and site.target is not None else None
    if isinstance(target, StackRegistration):
        for a in ([app] if app is not None else []) + [a for a in snap.apps if a is not app]:
            for s in a.stacks:
                if s.registration == target and s.definition is not None:
                    return [Location(s.definition.path, s.definition.name_range)]
        return None
    return None


def route_handler(app: App | None, key: RouteKey) -> HandlerRef | None:
    """The handler string that belongs to a route key (the value next to it)."""
    if app is None:
        return None
    best: HandlerRef | None = None
    for h in app.handlers:
        if (
            h.path == key.path
            and h.route == key.key
            and h.construct_id == key.construct_id
            and h.range.start >= key.range.end
            and (best is None or h.range.start < best.range.start)
        ):
            best = h
    return best
