"""Analyzer results kept between runs, per handler reference (layer 3: analyzers).

An edit in a large stack file leaves almost every `HandlerRef` of the snapshot as it was: the
index reuses the facts of what the edit did not touch, so the app's handlers are the same
objects, in the same order, before and after the edited span. `AnalysisMemo`, owned by the
analysis host, keeps per app:

- a `HandlerTable`: the app's handlers with their resolutions, and how they line up with the
  last run's (the common prefix and suffix of the two handler tuples, compared in C); only the
  handlers between them are resolved again, and, when the resolver dropped resolutions since
  (`HandlerResolver.generation`: a file or folder event), every other one is checked too
  (items are compared by identity: the old tuple holds its items, so their ids stay theirs);
- each analyzer's per-reference results (`per_ref`), aligned with the table: carried over
  where the table says nothing changed and the facts the analyzer reads beside the reference
  (`sig`: the app's root, ...) are equal, computed for the rest;
- per-item results over other tuples of an app (`aligned`: its routes, its constructs), for
  results that read nothing but their item;
- results read from files (`read`/`keep`: what a handler's code reaches), until the driver
  reports an edit of one of those files (`edited`) or a change that may move anything
  (`moved`: a file on disk, a buffer opened or closed).

So an edit that touches one route re-analyzes the handlers it touched. An analyzer handed no
memo (`AnalysisContext.memo` None: tests, a one-off run) computes the same results afresh
through the same code. Each app keeps one table (and the one before) and one result list per
analyzer: nothing outlives the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from sst_lsp.model.types import App, AppSnapshot, HandlerRef

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

T = TypeVar("T")
I = TypeVar("I")


class HandlerTable:
    """An app's handlers with their resolutions (aligned), and what changed since the table
    of the last run (`prev`): the first `prefix` and the last `suffix` references are those of
    `prev` (at the same index from the start, and from the end), and `changed` lists the
    indices whose reference or resolution is not the one `prev` had there."""

    __slots__ = ("app_key", "changed", "generation", "prefix", "prev", "refs", "res", "suffix")

    def __init__(self, refs: tuple[HandlerRef, ...], res: list[Resolution], app_key: Hashable, generation: int,
                 prev: HandlerTable | None, prefix: int, suffix: int, changed: Sequence[int]) -> None:
        self.refs = refs
        self.res = res
        self.app_key = app_key
        #: The resolver's generation read before resolving (see `HandlerResolver.generation`).
        self.generation = generation
        self.prev = prev
        self.prefix = prefix
        self.suffix = suffix
        self.changed = changed

    def carry(self, old: list[T], fill: T) -> list[T]:
        """`old` (results aligned with `prev.refs`) moved onto this table's references: the
        common prefix and suffix kept, `fill` between them."""
        assert self.prev is not None and len(old) == len(self.prev.refs)
        n, s = len(self.refs), self.suffix
        tail = old[len(old) - s:] if s else []
        return old[: self.prefix] + [fill] * (n - self.prefix - s) + tail


def common_ends(a: Sequence[object], b: Sequence[object]) -> tuple[int, int]:
    """The lengths of the longest prefix and suffix (not overlapping) that `a` and `b` share
    item for item, by identity: found by bisection over slices of the items' ids, compared in C
    (comparing the items themselves would compare equal but distinct ones deeply: after an edit
    of a helper module, every stack's facts are new objects)."""
    a, b = list(map(id, a)), list(map(id, b))
    n = min(len(a), len(b))
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    la, lb = len(a), len(b)
    lo, hi = 0, n - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def _app_key(app: App) -> Hashable:
    """What a resolution depends on of its app besides the reference (see `resolve_key`)."""
    return (app.root, app.generation, app.default_runtime)


def build_table(resolver: HandlerResolver, app: App, prev: HandlerTable | None = None) -> HandlerTable:
    """The handler table of `app`, resolving only what `prev` (the last run's) does not hold."""
    refs = app.handlers
    app_key = _app_key(app)
    generation = resolver.generation
    resolve = resolver.resolve
    if prev is None or prev.app_key != app_key:
        return HandlerTable(refs, [resolve(app, r) for r in refs], app_key, generation, None, 0, 0, range(len(refs)))
    prev.prev = None  # One level is kept: a chain of tables would keep every snapshot's refs.
    p, s = common_ends(prev.refs, refs)
    n = len(refs)
    res = prev.res[:p] + [resolve(app, r) for r in refs[p : n - s]] + (prev.res[len(prev.res) - s:] if s else [])
    changed: list[int] = list(range(p, n - s))
    if generation != prev.generation:
        # The resolver dropped resolutions since: those kept are checked (memoized, one lookup).
        for i in (*range(p), *range(n - s, n)):
            got = resolve(app, refs[i])
            if got is not res[i]:
                res[i] = got
                changed.append(i)
        changed.sort()
    return HandlerTable(refs, res, app_key, generation, prev, p, s, changed)


class AnalysisMemo:
    """Handler tables and per-reference analyzer results kept between runs (see the module),
    and results read from files (`read`/`keep`), valid until the driver reports an edit of
    one of those files (`edited`) or any other change of the inputs (`moved`). One per
    analysis driver: its entries are valid for that driver's resolver and inputs only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Bumped by every change the driver reports; `_edits`: the serial of each file's last
        #: edit; `_epoch`: the serial of the last change that may have moved anything.
        self._serial = 0
        self._epoch = 0
        self._edits: dict[Path, int] = {}
        #: Results read from files: key -> (serial when reading began, files read, value).
        self._reads: dict[Hashable, tuple[int, tuple[Path, ...], object]] = {}
        #: Per app root: (revision, app, table) of the last run.
        self._tables: dict[Path, tuple[int, App, HandlerTable]] = {}
        #: Per (analyzer, app root): (table, sig, results aligned with the table's refs).
        self._results: dict[tuple[str, Path], tuple[HandlerTable, Hashable, list[object]]] = {}
        #: Per (analyzer, app root): (items, results aligned with them) of `aligned`.
        self._aligned: dict[tuple[str, Path], tuple[Sequence[object], list[object]]] = {}

    def table(self, resolver: HandlerResolver, snapshot: AppSnapshot, app: App) -> HandlerTable:
        """The handler table of `app` at the snapshot's revision: built once per revision
        (the analyzers of a run share it; an app may stay the same object across revisions
        while its resolutions change), from the last one."""
        with self._lock:
            last = self._tables.get(app.root)
        if last is not None and last[0] == snapshot.revision and last[1] is app:
            return last[2]
        table = build_table(resolver, app, last[2] if last is not None else None)
        with self._lock:
            self._tables[app.root] = (snapshot.revision, app, table)
        return table

    def per_ref(self, analyzer: str, app: App, table: HandlerTable, sig: Hashable,
                compute: Callable[[HandlerRef, Resolution], T]) -> list[T]:
        """`compute(ref, res)` for every handler of the table, aligned with it: carried over
        from `analyzer`'s last results where they were made on the table's `prev` with an equal
        `sig` and the table says nothing changed, computed for the rest."""
        key = (analyzer, app.root)
        with self._lock:
            last = self._results.get(key)
        out: list[T]
        if last is not None and last[0] is table and last[1] == sig:
            return last[2]  # type: ignore[return-value]
        if last is not None and table.prev is not None and last[0] is table.prev and last[1] == sig:
            out = table.carry(last[2], None)  # type: ignore[arg-type]
            refs, res = table.refs, table.res
            for i in table.changed:
                out[i] = compute(refs[i], res[i])
        else:
            out = list(map(compute, table.refs, table.res))
        with self._lock:
            self._results[key] = (table, sig, out)  # type: ignore[assignment]
        return out

    def aligned(self, analyzer: str, app: App, items: Sequence[I], compute: Callable[[I], T]) -> list[T]:
        """`compute(item)` for each of `items` (an app's routes, its constructs), carried over
        from `analyzer`'s last call for the app where the items are those of then (the common
        prefix and suffix): `compute` must read nothing but its item."""
        key = (analyzer, app.root)
        with self._lock:
            last = self._aligned.get(key)
        if last is not None and last[0] is items:
            return last[1]  # type: ignore[return-value]
        if last is None:
            out = list(map(compute, items))
        else:
            old_items, old = cast("tuple[Sequence[I], list[T]]", last)
            p, s = common_ends(old_items, items)
            n = len(items)
            out = old[:p] + [compute(x) for x in items[p : n - s]] + (old[len(old) - s:] if s else [])
        with self._lock:
            self._aligned[key] = (items, out)  # type: ignore[assignment]
        return out

    # Results read from files.
    def edited(self, path: Path) -> None:
        """The text of `path` changed, and nothing else did (an open buffer's edit: no folder
        listing moved, no import resolves elsewhere)."""
        with self._lock:
            self._serial += 1
            self._edits[path] = self._serial

    def moved(self) -> None:
        """Anything may have changed (a file on disk, a buffer opened or closed, the roots):
        every result read from files is read again."""
        with self._lock:
            self._serial += 1
            self._epoch = self._serial
            self._edits.clear()
            self._reads.clear()

    @property
    def serial(self) -> int:
        """Taken before reading the files of a result, and handed to `keep` with it."""
        return self._serial

    def read(self, key: Hashable) -> object | None:
        """The result kept under `key`, when none of the files it read was edited since."""
        with self._lock:
            got = self._reads.get(key)
            if got is None:
                return None
            serial, files, value = got
            if serial < self._epoch or any(self._edits.get(f, -1) > serial for f in files):
                del self._reads[key]
                return None
            return value

    def keep(self, key: Hashable, serial: int, files: Sequence[Path], value: object) -> None:
        """Keeps a result read from `files`, reading having begun at `serial`."""
        with self._lock:
            if serial >= self._epoch:
                self._reads[key] = (serial, tuple(files), value)

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._results.clear()
            self._aligned.clear()
            self._reads.clear()


def handler_table(memo: AnalysisMemo | None, resolver: HandlerResolver, snapshot: AppSnapshot,
                  app: App) -> HandlerTable:
    """The handler table of `app`, through the memo when there is one."""
    return build_table(resolver, app) if memo is None else memo.table(resolver, snapshot, app)


def per_ref(memo: AnalysisMemo | None, analyzer: str, app: App, table: HandlerTable, sig: Hashable,
            compute: Callable[[HandlerRef, Resolution], T]) -> list[T]:
    """`AnalysisMemo.per_ref` through the memo when there is one, else every result computed."""
    if memo is None:
        return list(map(compute, table.refs, table.res))
    return memo.per_ref(analyzer, app, table, sig, compute)


def aligned(memo: AnalysisMemo | None, analyzer: str, app: App, items: Sequence[I], compute: Callable[[I], T]) -> list[T]:
    """`AnalysisMemo.aligned` through the memo when there is one, else every result computed."""
    if memo is None:
        return list(map(compute, items))
    return memo.aligned(analyzer, app, items, compute)
