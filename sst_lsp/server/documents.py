"""Documents and diagnostics (layer 4: server).

Text sync handlers only feed the index (`set_text` for open buffers, `file_changed` for what the
disk says) and schedule a diagnostics run; the run happens off the event loop.

The diagnostics engine (one per server):
- debounces: each change cancels the pending run and schedules a new one after
  `sst.diagnostics.debounceMs` (opens, saves and closes run at once);
- analyses the whole workspace snapshot (so a change to a handler file re-validates every stack
  file that references it, open or not) in one worker thread, serialised;
- drops a result when the index revision (or the settings) moved while it was computed: a
  newer run is already scheduled;
- publishes per file only when its diagnostics changed, `[]` for files that no longer have any,
  with the document version of open files; severity overrides and `off` apply here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from sst_lsp.analyzers import AnalysisContext, Cancelled, run_all
from sst_lsp.model.discover import AppRoot, read_sst_json
from sst_lsp.model.index import WorkspaceIndex, resolve_import
from sst_lsp.model.types import App, AppSnapshot, Finding
from sst_lsp.syntax.parser import lang_for_path

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver
    from sst_lsp.server.server import SstLanguageServer

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------
# Analysis.
# ----------------------------------------------------------------------------------------------


class BaselineCache:
    """Loaded baselines by (setting, app roots): loading one reads git or an assembly (or a
    deployed stage), far too slow for every keystroke. Cleared on settings changes and saves;
    deployed stages also after a deploy or remove."""

    def __init__(self, ls: SstLanguageServer) -> None:
        self.ls = ls
        self._cache: dict[tuple[str, tuple[Path, ...]], tuple[Any, dict[Any, Any]]] = {}
        self._states: Any = None  # sst_lsp.baseline.BaselineCache: git states per commit, ...
        #: Baseline settings already warned about (one message per value, not per keystroke).
        self._warned: set[str] = set()

    def clear(self, stages: bool = False) -> None:
        self._cache.clear()
        if stages and self._states is not None:
            self._states.invalidate()

    def get(self, setting: str, snap: AppSnapshot, index: WorkspaceIndex) -> tuple[Any, dict[Any, Any]]:
        if not setting or setting == "off" or not snap.apps:
            return None, {}
        key = (setting, tuple(a.root for a in snap.apps))
        got = self._cache.get(key)
        if got is not None:
            return got
        from sst_lsp.baseline import BaselineCache as States
        from sst_lsp.baseline import load_baselines

        if self._states is None:
            self._states = States()
        reader = None
        if setting.strip().startswith("stage:"):
            # Only this baseline talks to AWS; the reader lives with the other cloud calls.
            from sst_lsp.server.commands import stage_reader

            reader = stage_reader(self.ls)
        try:
            base, baselines, notes = load_baselines(
                setting, snap, index.fs, cache=self._states, stage_reader=reader, cwd=self.ls.settings.folders[0]
                if self.ls.settings.folders else None,
            )
            for n in notes:
                log.info("baseline %s: %s", setting, n)
        except Exception as e:
            log.exception("loading the baseline %s failed; stateful checks are skipped", setting)
            base, baselines, notes = None, {}, [f"loading it failed: {e.__class__.__name__}: {e}"]
        missing = [r for r, b in baselines.items() if b is None and _has_stacks(snap, r)]
        # The default baseline in a folder without git is no mistake of the user's: logged only.
        worth = [n for n in notes if not (setting.strip() == "git:HEAD" and "not in a git repository" in n)]
        if worth and (missing or not baselines):
            self._warn(setting, worth)
        self._cache[key] = (base, baselines)
        return base, baselines

    def _warn(self, setting: str, notes: list[str]) -> None:
        """One warning per baseline setting that cannot be loaded: without it the
        stateful-change warnings are silently off."""
        if setting in self._warned:
            return
        self._warned.add(setting)
        shown = "; ".join(notes[:2]) + (f"; and {len(notes) - 2} more (see the log)" if len(notes) > 2 else "")
        log.warning("baseline %s cannot be loaded: %s", setting, "; ".join(notes))
        params = types.ShowMessageParams(
            type=types.MessageType.Warning,
            message=f"sst-lsp: stateful-change warnings are off: the baseline \"{setting}\" (sst.baseline) "
                    f"cannot be loaded. {shown}",
        )
        loop = self.ls.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None or loop is None:
            self.ls.window_show_message(params)
        else:
            # Called from the analysis thread: the message is sent from the event loop.
            loop.call_soon_threadsafe(self.ls.window_show_message, params)


def _has_stacks(snap: AppSnapshot, root: Path) -> bool:
    """False for apps a baseline never covers (v3 deploys through Pulumi: no stacks)."""
    app = next((a for a in snap.apps if a.root == root), None)
    return app is not None and app.generation != "v3"


def analyze(
    ls: SstLanguageServer, snap: AppSnapshot, resolver: HandlerResolver, index: WorkspaceIndex,
    baselines: BaselineCache, cancelled: Callable[[], bool] | None = None,
) -> list[Finding]:
    """Every finding of the snapshot. Apps are grouped by (stage, baseline) since both come
    from per-folder settings and per-app `.sst/stage` files."""
    groups: dict[tuple[str, str], list[App]] = {}
    for app in snap.apps:
        s = ls.settings_for(app.root)
        groups.setdefault((ls.stage_for(app.root), s.baseline), []).append(app)
    out: list[Finding] = []
    for (stage, baseline), apps in groups.items():
        sub = snap if len(groups) == 1 else dataclasses.replace(snap, apps=tuple(apps))
        base, per_app = baselines.get(baseline, sub, index)
        ctx = AnalysisContext(snapshot=sub, resolver=resolver, stage=stage, baseline=base, baselines=per_app,
                              cancelled=cancelled)
        out.extend(run_all(ctx))  # run_all guards each analyzer.
    return out


def warm_app(index: WorkspaceIndex, ar: AppRoot) -> None:
    """Computes the facts of an app's files (its entry and what it imports), so the snapshot
    that follows only assembles. Mirrors the index's own walk, through its public API."""
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


@dataclass
class _Result:
    revision: int
    generation: int
    #: Findings after severity overrides (`off` removed), by file.
    findings: dict[Path, list[Finding]]
    diagnostics: dict[Path, list[types.Diagnostic]]


class DiagnosticsEngine:
    """Schedules analyses and publishes their diagnostics (see the module docstring)."""

    def __init__(self, ls: SstLanguageServer) -> None:
        self.ls = ls
        self._open: dict[Path, str] = {}
        self._task: asyncio.Task[bool] | None = None
        self._published: dict[Path, list[types.Diagnostic]] = {}
        self._last: _Result | None = None
        #: Bumped by settings changes: results computed under older settings are dropped.
        self._generation = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sst-analysis")
        self.baselines = BaselineCache(ls)


    # Documents.
    def opened(self, path: Path, uri: str) -> None:
        self._open[path] = uri

    def closed(self, path: Path) -> None:
        self._open.pop(path, None)

    def open_paths(self) -> list[Path]:
        return list(self._open)

    def versions(self) -> dict[Path, int | None]:
        out: dict[Path, int | None] = {}
        for p, uri in self._open.items():
            try:
                out[p] = self.ls.workspace.get_text_document(uri).version
            except Exception:  # noqa: BLE001 - no workspace yet: publish without a version.
                out[p] = None
        return out

    # Scheduling.
    def schedule(self, path: Path | None = None, immediate: bool = False) -> None:
        """Cancels the pending run and schedules a new one (after the debounce delay)."""
        delay = 0.0 if immediate else self.ls.settings_for(path).diagnostics.debounce_ms / 1000
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self._run(delay))

    def stage_changed(self) -> None:
        """A deploy or remove changed what is deployed: `stage:` baselines are stale."""
        self.baselines.clear(stages=True)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            # Called from a command's worker thread: schedule on the server's loop.
            if self.ls.loop is not None:
                self.ls.loop.call_soon_threadsafe(lambda: self.schedule(immediate=True))
        else:
            self.schedule(immediate=True)

    def settings_changed(self) -> None:
        self._generation += 1
        self.baselines.clear()
        try:
            self.schedule(immediate=True)
        except RuntimeError:  # No event loop (settings applied before the server runs).
            pass

    async def run_now(self) -> bool:
        """Runs an analysis at once (replacing a pending one) and publishes it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        return await self._run(0.0)

    async def _run(self, delay: float) -> bool:
        if delay > 0:
            await asyncio.sleep(delay)
        await self.ls.ready()
        rev, gen = self.ls.index.revision, self._generation
        versions = self.versions()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self._compute, rev, gen)
        except RuntimeError:  # The executor is shut down: the server is exiting.
            return False
        if result is None or self.ls.index.revision != rev or self._generation != gen:
            return False  # Stale: a newer run is scheduled.
        self._last = result
        self._publish(result.diagnostics, versions)
        return True

    def _compute(self, rev: int, gen: int, index: WorkspaceIndex | None = None) -> _Result | None:
        main = index is None
        idx = self.ls.index if index is None else index
        try:
            if main and (idx.revision != rev or self._generation != gen):
                return None
            snap = idx.snapshot()
            if main and snap.revision != rev:
                return None
            findings = analyze(self.ls, snap, idx.resolver, idx, self.baselines,
                               cancelled=(lambda: idx.revision != rev) if main else None)
            by_path: dict[Path, list[Finding]] = {}
            diags: dict[Path, list[types.Diagnostic]] = {}
            conv = self.ls.converter
            for f in findings:
                override = self.ls.settings_for(f.path).diagnostics.severity.get(f.code)
                if override == "off":
                    continue
                if override is not None and override != f.severity:
                    f = dataclasses.replace(f, severity=override)
                by_path.setdefault(f.path, []).append(f)
                diags.setdefault(f.path, []).append(conv.diagnostic(f))
            return _Result(rev, gen, by_path, diags)
        except Cancelled:
            return None  # A newer revision arrived: its own run is scheduled.
        except Exception:
            log.exception("analysis failed; diagnostics are not updated")
            return None

    def _publish(
        self, diags: dict[Path, list[types.Diagnostic]], versions: dict[Path, int | None],
        scope: Iterable[Path] | None = None,
    ) -> None:
        roots = list(scope) if scope is not None else None
        paths = set(diags) | set(self._published)
        for path in sorted(paths, key=str):
            if roots is not None and not any(path.is_relative_to(r) for r in roots):
                continue
            new = diags.get(path, [])
            if self._published.get(path, []) == new:
                continue
            if new:
                self._published[path] = new
            else:
                self._published.pop(path, None)
            self.ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=self.ls.uris.uri(path), diagnostics=new, version=versions.get(path))
            )

    async def publish_apps_first(self, roots: list[Path]) -> None:
        """Analyses only the apps at `roots` (in an index of their own over the same files) and
        publishes their diagnostics, before the whole workspace is indexed."""
        idx = WorkspaceIndex(roots, fs=self.ls.index.fs, exclude=self.ls.index.exclude)
        rev, gen = self.ls.index.revision, self._generation
        versions = self.versions()
        result = await asyncio.to_thread(self._compute, rev, gen, idx)
        if result is None or self.ls.index.revision != rev or self._generation != gen:
            return
        self._publish(result.diagnostics, versions, scope=roots)

    async def findings_for(self, path: Path) -> list[Finding]:
        """The current findings of a file (after severity overrides), for quick fixes."""
        last = self._last
        if last is None or last.revision != self.ls.index.revision or last.generation != self._generation:
            loop = asyncio.get_running_loop()
            got = await loop.run_in_executor(self._executor, self._compute, self.ls.index.revision, self._generation)
            if got is None:
                return []
            last = got
        return list(last.findings.get(path, []))

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------------------------
# Handlers.
# ----------------------------------------------------------------------------------------------


def _disk_changed(index: WorkspaceIndex, path: Path) -> None:
    index.file_changed(path)
    if lang_for_path(path) is None:
        # A folder (or a file the resolver lists rather than parses: Dockerfile, *.csproj): the
        # cached listings below it may all be stale.
        index.fs.invalidate(None)
        index.resolver.invalidate(None)


def change_offset(text: str, pos: types.Position, encoding: str) -> int:
    """The `str` offset of an LSP position in `text`, clamped into it.

    Lines end at "\n" (a "\r" before it belongs to the line ending), as tree-sitter and
    `LineIndex` count them; pygls' own document splits with `str.splitlines`, which also breaks
    at form feeds, U+2028 and U+0085, so a client edit after one of those would land on
    another line."""
    i = 0
    for _ in range(max(pos.line, 0)):
        j = text.find("\n", i)
        if j < 0:
            return len(text)
        i = j + 1
    end = text.find("\n", i)
    if end < 0:
        end = len(text)
    line = text[i:end]
    line = line.removesuffix("\r")
    col = max(pos.character, 0)
    if encoding == "utf-32" or line.isascii():
        return i + min(col, len(line))
    units = 0
    for k, ch in enumerate(line):
        if units >= col:
            return i + k
        if encoding == "utf-8":
            units += len(ch.encode("utf-8", errors="surrogatepass"))
        else:
            units += 2 if ord(ch) > 0xFFFF else 1
    return i + len(line)


def apply_changes(text: str, changes: Iterable[types.TextDocumentContentChangeEvent], encoding: str) -> str:
    """`text` after a didChange's content changes, in order."""
    for ch in changes:
        rng = getattr(ch, "range", None)
        if rng is None:
            text = ch.text
            continue
        a = change_offset(text, rng.start, encoding)
        b = change_offset(text, rng.end, encoding)
        if b < a:
            a, b = b, a
        text = text[:a] + ch.text + text[b:]
    return text


def register(server: SstLanguageServer) -> None:
    #: The texts of open documents by URI, as the client's edits made them (see `apply_changes`).
    texts: dict[str, str] = {}

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(ls: SstLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        ls.diagnostics.opened(path, params.text_document.uri)
        texts[params.text_document.uri] = params.text_document.text
        ls.index.set_text(path, params.text_document.text)
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_did_change(ls: SstLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is None:
            return
        text = texts.get(uri)
        if text is None:  # A change without an open: pygls' copy is all there is.
            text = ls.workspace.get_text_document(uri).source
        else:
            text = apply_changes(text, params.content_changes, ls.converter.encoding)
        texts[uri] = text
        ls.index.set_text(path, text)
        ls.diagnostics.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_did_save(ls: SstLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        # The buffer already holds the text; the disk now agrees. Listings may have changed (a
        # first save creates the file) and a commit may follow: refresh both.
        ls.index.fs.invalidate(path)
        ls.diagnostics.baselines.clear()
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_did_close(ls: SstLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        texts.pop(params.text_document.uri, None)
        ls.diagnostics.closed(path)
        ls.index.set_text(path, None)  # Back to the disk's text.
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_did_change_watched_files(ls: SstLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        last: Path | None = None
        for change in params.changes:
            path = ls.path_of(change.uri)
            if path is None:
                continue
            _disk_changed(ls.index, path)
            last = path
        if last is not None:
            ls.diagnostics.schedule(last)

    @server.feature(
        types.WORKSPACE_DID_RENAME_FILES,
        types.FileOperationRegistrationOptions(
            filters=[types.FileOperationFilter(scheme="file", pattern=types.FileOperationPattern(glob="**/*"))]
        ),
    )
    def on_did_rename_files(ls: SstLanguageServer, params: types.RenameFilesParams) -> None:
        last: Path | None = None
        for f in params.files:
            for uri in (f.old_uri, f.new_uri):
                path = ls.path_of(uri)
                if path is not None:
                    _disk_changed(ls.index, path)
                    last = path
        if last is not None:
            ls.diagnostics.schedule(last)
