"""The analysis host, in the manner of rust-analyzer's `AnalysisHost`/`Analysis` (pure layer).

`AnalysisHost` is the one owner of the inputs and of what is derived from them:

- file texts: open buffers (with their versions) over the disk, through one `FileSource`;
  `apply_change(path, text | None)` sets or drops a buffer, `file_changed(path)` says the disk
  moved; each bumps the revision;
- the workspace roots and exclusions;
- the caches: the `WorkspaceIndex` (parses, facts, apps), the stateful analyzer's per-construct
  `TrackCache`, the baseline states (`sst_lsp.baseline.BaselineCache`: git trees, assemblies,
  deployed stages) and the baselines loaded per (setting, apps).

`analysis()` returns an immutable `Analysis`: the snapshot of one revision, the texts of the open
buffers as they were then, and `findings(...)`, which runs the analyzers grouped by (stage,
baseline) and applies the severity overrides. The language server and `sst-lsp check` both go
through here, so the editor and the checker cannot disagree.

No pygls, lsprotocol or boto3: a driver that talks to AWS injects a `StageReader`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from sst_lsp.analyzers import AnalysisContext, run_all
from sst_lsp.analyzers.memo import AnalysisMemo
from sst_lsp.baseline import Baseline, BaselineCache, StageReader, load_baselines
from sst_lsp.baseline.kinds import TrackCache
from sst_lsp.host.severity import SeverityOverrides, apply_severity
from sst_lsp.model.discover import AppRoot, read_sst_json
from sst_lsp.model.files import FileSource
from sst_lsp.model.index import FactStore, WorkspaceIndex, resolve_import
from sst_lsp.model.resolve import HandlerResolver, ResolutionStore
from sst_lsp.model.types import App, AppSnapshot, Finding
from sst_lsp.syntax.parser import lang_for_path

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """What one app is analysed with: the stage names are computed for and the baseline spec."""

    stage: str = "dev"
    #: A baseline spec ("git:HEAD", "assembly:PATH", "stage:NAME"); None or "off": none.
    baseline: str | None = None


@dataclass(frozen=True)
class LoadedBaseline:
    """The baselines of some apps for one spec, as `load_baselines` found them."""

    spec: str
    #: The baseline of the first app that has one (for a single description).
    base: Baseline | None
    #: The baseline per app root (None where none is available).
    per_app: Mapping[Path, Baseline | None]
    #: What to tell the user once (why a baseline is missing, which commit was used, ...).
    notes: tuple[str, ...] = ()
    #: App roots that have stacks but got no baseline (v3 apps never have one).
    missing: tuple[Path, ...] = ()


class IndexStore(FactStore, ResolutionStore, Protocol):
    """What a driver may lend the host for its first index: entries remembered across runs
    (`sst_lsp.cache.CheckCache`, read-only), consulted for files without an open buffer."""

    def forget(self, path: Path | None) -> None:
        """The disk moved at `path` (None: anywhere): what was probed there is stale."""


_NO_BASELINE = LoadedBaseline(spec="off", base=None, per_app=MappingProxyType({}))


class _Baselines:
    """Loaded baselines by (spec, app roots): loading one reads git or an assembly (or a deployed
    stage), far too slow for every keystroke. Thread-safe."""

    def __init__(self) -> None:
        #: Git states per commit, assemblies, deployed stages (kept across loads).
        self.states = BaselineCache()
        self._loaded: dict[tuple[str, tuple[Path, ...]], LoadedBaseline] = {}
        self._lock = threading.Lock()

    def clear(self, stages: bool = False) -> None:
        """Forgets the loaded baselines (settings changed, a save, a commit may follow); with
        `stages`, also the deployed stages read (after a deploy or remove)."""
        with self._lock:
            self._loaded.clear()
        if stages:
            self.states.invalidate()

    def get(self, spec: str | None, snap: AppSnapshot, reader: Callable[[], StageReader] | None,
            cwd: Path | None) -> LoadedBaseline:
        if not spec or spec == "off" or not snap.apps:
            return _NO_BASELINE
        key = (spec, tuple(a.root for a in snap.apps))
        with self._lock:
            got = self._loaded.get(key)
        if got is not None:
            return got
        # Only a `stage:` baseline talks to AWS: the reader is made for it alone.
        stage_reader = reader() if reader is not None and spec.strip().startswith("stage:") else None
        try:
            base, per_app, notes = load_baselines(spec, snap, cache=self.states, stage_reader=stage_reader, cwd=cwd)
        except Exception as e:  # load_baselines never raises; a bug must not cost the analysis.
            log.exception("loading the baseline %s failed; stateful checks are skipped", spec)
            base, per_app, notes = None, {}, [f"loading it failed: {e.__class__.__name__}: {e}"]
        gens = {a.root: a.generation for a in snap.apps}
        missing = tuple(r for r, b in per_app.items() if b is None and gens.get(r) != "v3")
        got = LoadedBaseline(spec, base, MappingProxyType(dict(per_app)), tuple(notes), missing)
        with self._lock:
            self._loaded[key] = got
        return got


@dataclass(frozen=True)
class Analysis:
    """An immutable view of the workspace at one revision (rust-analyzer's `Analysis`)."""

    snapshot: AppSnapshot
    resolver: HandlerResolver
    #: The open buffers' texts when the analysis was taken.
    texts: Mapping[Path, str]
    host: AnalysisHost = field(repr=False, compare=False)

    @property
    def revision(self) -> int:
        return self.snapshot.revision

    def text(self, path: Path) -> str | None:
        """A file's text: the open buffer as it was at this revision, else the disk's."""
        got = self.texts.get(path)
        return got if got is not None else self.host.fs.read_text(path)

    def baseline(self, spec: str | None, snapshot: AppSnapshot | None = None) -> LoadedBaseline:
        """The baselines of the snapshot's apps (or those of `snapshot`) for `spec`, cached."""
        return self.host.baseline(spec, snapshot or self.snapshot)

    def findings(
        self,
        options: AnalysisOptions | Callable[[App], AnalysisOptions] = AnalysisOptions(),
        severity: SeverityOverrides | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
        on_baseline: Callable[[LoadedBaseline, AppSnapshot], None] | None = None,
    ) -> list[Finding]:
        """Every finding of the snapshot, after the severity overrides.

        Apps are grouped by their (stage, baseline) options, since both may differ per app
        (per-folder settings, per-app `.sst/stage` files); `on_baseline` sees each baseline a
        group loaded (for a driver to warn about one that is missing). Raises
        `sst_lsp.analyzers.Cancelled` when `cancelled()` turns true between analyzers."""
        per_app = options if callable(options) else (lambda _a: options)
        groups: dict[AnalysisOptions, list[App]] = {}
        for app in self.snapshot.apps:
            o = per_app(app)
            groups.setdefault(AnalysisOptions(o.stage, o.baseline or None), []).append(app)
        out: list[Finding] = []
        for opts, apps in groups.items():
            sub = self.snapshot if len(groups) == 1 else dataclasses.replace(self.snapshot, apps=tuple(apps))
            loaded = self.baseline(opts.baseline, sub)
            if on_baseline is not None and loaded is not _NO_BASELINE:
                on_baseline(loaded, sub)
            ctx = AnalysisContext(snapshot=sub, resolver=self.resolver, stage=opts.stage, baseline=loaded.base,
                                  baselines=dict(loaded.per_app.items()), cancelled=cancelled,
                                  track_cache=self.host.track_cache, parsed=self.host.index.parsed,
                                  memo=self.host.analysis_memo)
            out.extend(run_all(ctx))  # run_all guards each analyzer.
        return apply_severity(out, severity)


class AnalysisHost:
    """The one owner of file texts, revisions and caches (see the module docstring)."""

    def __init__(
        self,
        roots: Iterable[Path] = (),
        *,
        exclude: Iterable[str] = (),
        fs: FileSource | None = None,
        stage_reader: Callable[[], StageReader] | None = None,
        cwd: Path | None = None,
        _shared: AnalysisHost | None = None,
    ) -> None:
        self.index = WorkspaceIndex(roots, fs=fs, exclude=exclude)
        self.fs = self.index.fs
        #: Makes the reader of deployed stages, for `stage:` baselines (the cloud layer's).
        self.stage_reader = stage_reader
        #: Where relative baseline paths (`assembly:PATH`) start from (None: the process's).
        self.cwd = cwd
        if _shared is not None:
            self.track_cache: TrackCache = _shared.track_cache
            self.baselines: _Baselines = _shared.baselines
        else:
            self.track_cache = TrackCache()
            self.baselines = _Baselines()
        #: Per-reference analyzer results kept between runs (valid for this host's resolver).
        self.analysis_memo = AnalysisMemo()
        #: The store lent by `use_store` (None: none).
        self.store: IndexStore | None = None
        if _shared is not None and _shared.store is not None:
            self.use_store(_shared.store)
        # Versions of the open buffers (their texts are the file source's overlay).
        self._versions: dict[Path, int | None] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------
    # Inputs.
    @property
    def revision(self) -> int:
        return self.index.revision

    @property
    def roots(self) -> list[Path]:
        return self.index.roots

    @property
    def exclude(self) -> tuple[str, ...]:
        return self.index.exclude

    @property
    def resolver(self) -> HandlerResolver:
        return self.index.resolver

    def set_roots(self, roots: Iterable[Path], exclude: Iterable[str] | None = None) -> None:
        self.analysis_memo.moved()
        self.index.set_roots(roots, exclude)

    def use_store(self, store: IndexStore | None) -> None:
        """Lends the index and the resolver a store of facts, export tables and resolutions
        remembered across runs (the check cache; None: takes it back). A driver lends it for
        its first index, so that a large workspace gets its first findings sooner, and takes it
        back after: what was taken from it stays until its file changes; open buffers never
        come from it. The findings are the same with it or without."""
        self.store = store
        self.index.store = store
        self.index.resolver.store = store

    def apply_change(self, path: Path, text: str | None, version: int | None = None) -> None:
        """An open buffer's new text (and version); None: the buffer closed, the disk's text
        counts again."""
        with self._lock:
            content_only = text is not None and path in self._versions
            if text is None:
                self._versions.pop(path, None)
            else:
                self._versions[path] = version
        # An open buffer's edit changes its text alone; opening or closing one may change
        # what is listed and where imports lead.
        if content_only:
            self.analysis_memo.edited(path)
        else:
            self.analysis_memo.moved()
            self._forget(path)  # A closed buffer's file may have been saved meanwhile.
        self.index.set_text(path, text)

    def file_changed(self, path: Path) -> None:
        """A file (or folder) changed, appeared or went away on disk."""
        self.analysis_memo.moved()
        self._forget(None if lang_for_path(path) is None else path)
        self.index.file_changed(path)
        if lang_for_path(path) is None:
            # A folder (or a file the resolver lists rather than parses: Dockerfile, *.csproj):
            # the cached listings below it may all be stale.
            self.fs.invalidate(None)
            self.index.resolver.invalidate(None)

    def file_saved(self, path: Path) -> None:
        """A buffer was saved: the disk now agrees with it. Listings may have changed (a first
        save creates the file) and a commit may follow: both are read again."""
        self.fs.invalidate(path)
        self._forget(path)
        self.analysis_memo.moved()
        self.baselines.clear()

    def _forget(self, path: Path | None) -> None:
        store = self.store
        if store is not None:
            store.forget(path)

    def stage_changed(self) -> None:
        """A deploy or remove changed what is deployed: `stage:` baselines are stale."""
        self.baselines.clear(stages=True)

    def settings_changed(self) -> None:
        self.baselines.clear()

    def open_paths(self) -> list[Path]:
        with self._lock:
            return list(self._versions)

    def versions(self) -> dict[Path, int | None]:
        """The version of every open buffer (None where the client sent none)."""
        with self._lock:
            return dict(self._versions)

    def open_text(self, path: Path) -> str | None:
        """The text of an open buffer (None if `path` is not open)."""
        with self._lock:
            if path not in self._versions:
                return None
        return self.fs.overlay_text(path)

    def read_text(self, path: Path) -> str | None:
        """A file's current text: its open buffer, else the disk's."""
        return self.fs.read_text(path)

    # ------------------------------------------------------------------------------------------
    # Snapshots.
    def analysis(self, wait: float | None = None) -> Analysis:
        """An immutable view of the current revision. With `wait` (seconds), a caller that would
        wait longer for another thread's build gets the newest snapshot already built."""
        texts = MappingProxyType(self.fs.overlay())
        snap = self.index.snapshot(wait=wait)
        return Analysis(snap, self.index.resolver, texts, self)

    def baseline(self, spec: str | None, snapshot: AppSnapshot) -> LoadedBaseline:
        """The baselines of `snapshot`'s apps for `spec`, cached (without building a snapshot)."""
        return self.baselines.get(spec, snapshot, self.stage_reader, self.cwd)

    def snapshot(self, wait: float | None = None) -> AppSnapshot:
        """The app model of `analysis(wait)` alone."""
        return self.analysis(wait).snapshot

    def scoped(self, roots: Iterable[Path]) -> AnalysisHost:
        """A host over the apps under `roots` only, reading the same files and sharing the
        caches of this one (to analyse the apps being edited before the whole workspace)."""
        return AnalysisHost(roots, exclude=self.exclude, fs=self.fs, stage_reader=self.stage_reader, cwd=self.cwd,
                            _shared=self)

    def app_roots(self) -> list[AppRoot]:
        return self.index.app_roots()

    def warm(self, ar: AppRoot) -> None:
        """Computes the facts of an app's files (its entry and what it imports), so the snapshot
        that follows only assembles. Mirrors the index's own walk, through its public API."""
        index = self.index
        try:
            entry = read_sst_json(ar, index.fs).entry if ar.kind == "sst.json" else ar.config_path
            if entry is None:
                return
            seen = {entry}
            queue = [entry]
            while queue and len(seen) < 5000:
                p = queue.pop(0)
                f = index.facts(p)
                if f is None:
                    continue
                for imp in f.imports:
                    t = resolve_import(index.fs, p, imp.specifier)
                    if t is not None and t not in seen:
                        seen.add(t)
                        queue.append(t)
        except Exception:
            log.exception("indexing %s failed", ar.root)
