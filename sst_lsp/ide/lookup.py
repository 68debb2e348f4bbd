"""What lies under a position, and the app objects around it (layer 3: ide).

`at(snap, path, pos)` is the one lookup every editor feature starts from. It answers with the
*app-level* objects (`App.handlers`, `App.constructs`, ...), whose runtime, srcPath and stack id
carry the stack and app defaults, falling back to the file's own facts when the file is not
part of any app (a stack file that nothing imports yet).

Precedence, innermost first: a handler string, a route key, a construct id, a stack
registration target, a stack definition's name.

An app's objects are looked up through a per-file index sorted by line (`_FileIndex`), built
once per app object (a snapshot's apps are immutable) and kept for the last few apps: a
generated stack file has hundreds of thousands of handler strings, and a scan of all of them
per hover took 0.1 s (more while an analysis holds the GIL). `prepare(snap, paths)` builds the
indexes ahead of the requests (the server does it after each analysis).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
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
from sst_lsp.syntax.text import Pos, TextRange

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
        target = _file_index(app, path).at(pos)
        if target is not None:
            return Hit(target, app)
    facts = snap.facts.get(path)
    if facts is not None:
        target = _in_facts(facts, path, pos)
        if target is not None:
            return Hit(target, snap.app_for(path))
    return None


def prepare(snap: AppSnapshot, paths: list[Path]) -> None:
    """Builds the lookup indexes of `paths` in every app of `snap` that holds them (so that
    the first request on this snapshot finds them built), and forgets those of apps that are
    not `snap`'s: the caller says `snap` is the newest (an index keeps its app's objects alive)."""
    current = {id(a): a for a in snap.apps}
    with _indexes_lock:
        for key in [k for k, (app, _) in _indexes.items() if current.get(k) is not app]:
            del _indexes[key]
    for path in paths:
        for app in apps_of(snap, path):
            _file_index(app, path)


class _FileIndex:
    """The objects of one app written in one file, sorted by their first line.

    `at(pos)` bisects to the entries starting at most `span` lines before `pos` (the longest
    range's line count) and picks, among those containing it, the first in `_in_app`'s
    precedence (handlers, route keys, construct ids, registrations, stack names; then the
    app's order), which is the order entries are collected in."""

    __slots__ = ("order", "ranges", "span", "starts", "targets")

    def __init__(self, app: App, path: Path) -> None:
        ranges: list[TextRange] = []
        targets: list[Target] = []
        add_range, add_target = ranges.append, targets.append
        same = path.__eq__
        last: object = None  # The objects of one file share one Path object: `is` first.
        for items in (app.handlers, app.routes):
            for obj in items:
                p = obj.path
                if p is not last:
                    if not same(p):
                        continue
                    last = p
                add_range(obj.range)
                add_target(obj)
        for c in app.constructs:
            if c.path == path:
                add_range(c.id_range)
                add_target(c)
        for st in app.stacks:
            reg = st.registration
            if reg is not None and reg.path == path:
                for rng in (reg.range, reg.id_range):
                    if rng is not None:
                        add_range(rng)
                        add_target(reg)
        for sd in app.stack_defs:
            if sd.path == path:
                add_range(sd.name_range)
                add_target(sd)
        firsts = [r.start.line for r in ranges]
        #: Entry numbers (precedence) by first line.
        self.order = sorted(range(len(firsts)), key=firsts.__getitem__)
        self.starts = [firsts[i] for i in self.order]
        self.span = max((r.end.line - r.start.line for r in ranges), default=0)
        self.ranges = ranges
        self.targets = targets

    def at(self, pos: Pos) -> Target | None:
        line = pos.line
        hi = bisect.bisect_right(self.starts, line)
        lo = bisect.bisect_left(self.starts, line - self.span, 0, hi)
        ranges = self.ranges
        best = min((i for i in self.order[lo:hi] if ranges[i].contains(pos)), default=None)
        return self.targets[best] if best is not None else None


#: Apps whose indexes are kept (by `id`, with the app itself so the id stays its own): a
#: request reads the newest snapshot or the one before.
_KEPT_APPS = 8
_indexes: OrderedDict[int, tuple[App, dict[Path, _FileIndex]]] = OrderedDict()
_indexes_lock = threading.Lock()


def _file_index(app: App, path: Path) -> _FileIndex:
    with _indexes_lock:
        got = _indexes.get(id(app))
        if got is not None and got[0] is app:
            _indexes.move_to_end(id(app))
            index = got[1].get(path)
            if index is not None:
                return index
    index = _FileIndex(app, path)
    with _indexes_lock:
        got = _indexes.get(id(app))
        if got is None or got[0] is not app:
            got = (app, {})
            _indexes[id(app)] = got
        got[1][path] = index
        _indexes.move_to_end(id(app))
        while len(_indexes) > _KEPT_APPS:
            _indexes.popitem(last=False)
    return index


def _in_app(app: App, path: Path, pos: Pos) -> Target | None:
    """What `_FileIndex.at` answers, by a scan (the reference the index is tested against)."""
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
