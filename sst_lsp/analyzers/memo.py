"""Analyzer results kept between runs, per handler reference (layer 3: analyzers).

An edit in a large stack file leaves almost every `HandlerRef` of the snapshot as it was: the
index reuses the facts of what the edit did not touch, so the same reference is the same object
from one snapshot to the next. `AnalysisMemo`, owned by the analysis host, keeps per reference:

- its resolution (the resolver's memo key and the `Resolution` found), valid while the resolver
  still holds that key (a file or folder event drops what read it);
- each analyzer's result for it, valid while the reference is the same object and the facts
  the analyzer read beside it (its resolution, the app's root, generation, ...) compare equal.

So an edit that touches one route re-analyzes that route, and an analyzer that is handed no memo
(`AnalysisContext.memo` None: tests, a one-off run) computes the same results afresh, through
the same code. Each run keeps only the entries of the references it saw: nothing outlives the
snapshots that hold it.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from sst_lsp.model.types import App, AppSnapshot, HandlerRef

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

T = TypeVar("T")


class Missing:
    """What `RefResults.get` returns for a reference it has no valid result for."""

    __slots__ = ()


MISSING = Missing()


class RefResults(Generic[T]):
    """One run's per-reference results of one analyzer over one app: the last run's entries
    to reuse (`get`) and this run's (`put`, and every entry `get` reused), kept for the next."""

    __slots__ = ("_new", "_old")

    def __init__(self, old: dict[int, tuple[HandlerRef, Hashable, T]] | None = None) -> None:
        self._old = old or {}
        self._new: dict[int, tuple[HandlerRef, Hashable, T]] = {}

    def get(self, ref: HandlerRef, sig: Hashable) -> T | Missing:
        """The result kept for `ref` when it was computed from the same `sig` (the facts read
        beside the reference), else `MISSING`."""
        got = self._old.get(id(ref))
        if got is not None and got[0] is ref and (got[1] is sig or got[1] == sig):
            self._new[id(ref)] = got
            return got[2]
        return MISSING

    def put(self, ref: HandlerRef, sig: Hashable, value: T) -> T:
        # Keyed by identity, and the entry holds the reference: its id is not reused meanwhile.
        self._new[id(ref)] = (ref, sig, value)
        return value


class AnalysisMemo:
    """Per-reference resolutions and analyzer results kept between runs (see the module).
    One per analysis driver: its entries are valid for that driver's resolver only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, Path], dict[int, tuple[HandlerRef, Hashable, object]]] = {}
        #: The resolutions of the last revision resolved, per app root: (revision, app, id -> res).
        self._runs: dict[Path, tuple[int, App, dict[int, Resolution]]] = {}

    def begin(self, analyzer: str, app: App) -> RefResults[T]:
        """The per-reference results `analyzer` kept for `app` in its last run."""
        with self._lock:
            old = self._results.get((analyzer, app.root))
        return RefResults(old)  # type: ignore[arg-type]

    def end(self, analyzer: str, app: App, results: RefResults[T]) -> None:
        """Keeps this run's results (only the references it saw) for the next run."""
        with self._lock:
            self._results[(analyzer, app.root)] = results._new  # type: ignore[assignment]

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
            self._runs.clear()

    def resolutions(self, resolver: HandlerResolver, snapshot: AppSnapshot, app: App) -> dict[int, Resolution]:
        """id(ref) -> its resolution, for every handler of `app`: computed once per revision
        (the analyzers of a run share it; an app may stay the same object across revisions
        while its resolutions change) and, between revisions, per reference only for those
        that are new or whose resolution the resolver dropped."""
        with self._lock:
            run = self._runs.get(app.root)
        if run is not None and run[0] == snapshot.revision and run[1] is app:
            return run[2]
        keys: RefResults[tuple[tuple[object, ...], Resolution]] = self.begin("resolve", app)
        out = resolve_all(resolver, app, keys)
        self.end("resolve", app, keys)
        with self._lock:
            self._runs[app.root] = (snapshot.revision, app, out)
        return out


def _app_key(app: App) -> Hashable:
    """What a resolution depends on of its app besides the reference (see `resolve_key`)."""
    return (app.root, app.generation, app.default_runtime)


def resolve_all(resolver: HandlerResolver, app: App,
                keys: RefResults[tuple[tuple[object, ...], Resolution]] | None = None) -> dict[int, Resolution]:
    """id(ref) -> resolution for every handler of `app`, reusing the resolver keys of `keys`
    (a reference kept with its key costs one lookup; one whose resolution the resolver no
    longer holds is resolved again)."""
    keys = keys if keys is not None else RefResults()
    app_key = _app_key(app)
    memoized = resolver.memoized
    out: dict[int, Resolution] = {}
    for ref in app.handlers:
        got = keys.get(ref, app_key)
        res = memoized(got[0]) if not isinstance(got, Missing) else None
        if res is None:
            res = resolver.resolve(app, ref)
            keys.put(ref, app_key, (resolver.resolve_key(app, ref), res))
        elif res is not got[1]:  # type: ignore[index]
            keys.put(ref, app_key, (got[0], res))  # type: ignore[index]
        out[id(ref)] = res
    return out


def resolutions(ctx_memo: AnalysisMemo | None, resolver: HandlerResolver, snapshot: AppSnapshot,
                app: App) -> dict[int, Resolution]:
    """id(ref) -> resolution for every handler of `app`, through the memo when there is one."""
    if ctx_memo is None:
        return resolve_all(resolver, app)
    return ctx_memo.resolutions(resolver, snapshot, app)
