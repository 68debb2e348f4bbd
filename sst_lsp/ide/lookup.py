"""What lies under a position, and the app objects around it (layer 3: ide).

`at(snap, path, pos)` is the one lookup every editor feature starts from. It answers with the
*app-level* objects (`App.handlers`, `App.constructs`, ...), whose runtime, srcPath and stack id
carry the stack and app defaults, falling back to the file's own facts when the file is not
part of any app (a stack file that nothing imports yet).

Precedence, innermost first: a handler string, a route key, a construct id, a stack
registration target, a stack definition's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.model.files import FileSource
from sst_lsp.model.types import (
    App,
    AppSnapshot,
    Construct,
    FileFacts,
    HandlerRef,
    RouteKey,
    StackDef,
    StackRegistration,
)
from sst_lsp.syntax.text import Pos

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver

Target = HandlerRef | RouteKey | Construct | StackRegistration | StackDef


@dataclass(frozen=True)
class Hit:
    """An object under the cursor and the app it belongs to (None: no app holds the file)."""

    target: Target
    app: App | None


def apps_of(snap: AppSnapshot, path: Path) -> list[App]:
    """The apps whose files include `path` (several when apps share a stack file)."""
    return [a for a in snap.apps if path in a.files]


def app_of(snap: AppSnapshot, path: Path) -> App | None:
    """The first app that holds `path`, else the innermost app whose root holds it."""
    return snap.app_for(path)


def at(snap: AppSnapshot, path: Path, pos: Pos) -> Target | None:
    """The handler string, route key, construct id, stack registration or stack definition
    name under `pos` in `path`, or None."""
    hit = hit_at(snap, path, pos)
    return hit.target if hit is not None else None


def hit_at(snap: AppSnapshot, path: Path, pos: Pos) -> Hit | None:
    """Like `at`, with the app the object belongs to."""
    for app in apps_of(snap, path):
        target = _in_app(app, path, pos)
        if target is not None:
            return Hit(target, app)
    facts = snap.facts.get(path)
    if facts is not None:
        target = _in_facts(facts, path, pos)
        if target is not None:
            return Hit(target, snap.app_for(path))
    return None


def _in_app(app: App, path: Path, pos: Pos) -> Target | None:
    for h in app.handlers:
        if h.path == path and h.range.contains(pos):
            return h
    for rk in app.routes:
        if rk.path == path and rk.range.contains(pos):
            return rk
    for c in app.constructs:
        if c.path == path and c.id_range.contains(pos):
            return c
    for s in app.stacks:
        reg = s.registration
        if reg is not None and reg.path == path and (
            reg.range.contains(pos) or (reg.id_range is not None and reg.id_range.contains(pos))
        ):
            return reg
    for sd in app.stack_defs:
        if sd.path == path and sd.name_range.contains(pos):
            return sd
    return None


def _in_facts(facts: FileFacts, path: Path, pos: Pos) -> Target | None:
    # A file's facts may hold objects written in another file (a handler string defined as a
    # constant in a helper module carries that module's path): only those written in `path`
    # lie under a position in it.
    for h in facts.handlers:
        if h.path == path and h.range.contains(pos):
            return h
    for rk in facts.routes:
        if rk.path == path and rk.range.contains(pos):
            return rk
    for c in facts.constructs:
        if c.path == path and c.id_range.contains(pos):
            return c
    for reg in facts.registrations:
        if reg.path == path and (
            reg.range.contains(pos) or (reg.id_range is not None and reg.id_range.contains(pos))
        ):
            return reg
    for sd in facts.stacks:
        if sd.path == path and sd.name_range.contains(pos):
            return sd
    return None


def stacks_for_def(app: App, sd: StackDef) -> list[str]:
    """The ids the app registers a stack definition under (usually one)."""
    return [s.id for s in app.stacks if s.definition is not None and s.definition == sd]


def file_source(resolver: HandlerResolver) -> FileSource:
    """The `FileSource` the resolver reads (open buffers overlaid on the disk)."""
    fs = getattr(resolver, "fs", None)
    if isinstance(fs, FileSource):
        return fs
    fs = getattr(resolver, "_fs", None)
    return fs if isinstance(fs, FileSource) else FileSource()
