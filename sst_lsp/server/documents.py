"""Documents and diagnostics (layer 4: server).

Text sync handlers only feed the analysis host (`apply_change` for open buffers, with their
versions; `file_changed` for what the disk says) and schedule a diagnostics run; the run
happens off the event loop, on one immutable `Analysis` of the host.

The diagnostics engine (one per server):
- debounces: each change cancels the pending run and schedules a new one after
  `sst.diagnostics.debounceMs` (opens, saves and closes run at once);
- analyses the whole workspace snapshot (so a change to a handler file re-validates every stack
  file that references it, open or not) in one worker thread, serialised;
- drops a result when the host's revision (or the settings) moved while it was computed: a
  newer run is already scheduled;
- publishes per file only when its diagnostics changed, `[]` for files that no longer have any,
  with the document version of open files. Baselines and severity overrides (`off` included)
  are the host's business, as for `sst-lsp check`.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from sst_lsp.analyzers import Cancelled
from sst_lsp.host.host import AnalysisHost, AnalysisOptions, LoadedBaseline
from sst_lsp.ide import lookup
from sst_lsp.model.types import App, AppSnapshot, Finding
from sst_lsp.server.server import FULL_COLLECT_EVERY, SstLanguageServer, settle_heap

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------
# Analysis.
# ----------------------------------------------------------------------------------------------


class BaselineWarnings:
    """One warning per baseline setting that cannot be loaded: without it the stateful-change
    warnings are silently off. (The baselines themselves are loaded and cached by the host.)"""

    def __init__(self, ls: SstLanguageServer) -> None:
        self.ls = ls
        #: Baseline settings already warned about (one message per value, not per keystroke).
        self._warned: set[str] = set()

    def __call__(self, loaded: LoadedBaseline, snap: AppSnapshot) -> None:
        setting = loaded.spec
        if setting in self._warned:
            return
        # The default baseline in a folder without git is no mistake of the user's: logged only.
        worth = [n for n in loaded.notes
                 if not (setting.strip() == "git:HEAD" and "not in a git repository" in n)]
        if not worth or not (loaded.missing or not loaded.per_app):
            return
        self._warned.add(setting)
        shown = "; ".join(worth[:2]) + (f"; and {len(worth) - 2} more (see the log)" if len(worth) > 2 else "")
        log.warning("baseline %s cannot be loaded: %s", setting, "; ".join(worth))
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


def analyze(ls: SstLanguageServer, host: AnalysisHost, warn: BaselineWarnings,
            cancelled: Callable[[], bool] | None = None, newest: bool = False) -> tuple[int, list[Finding]]:
    """The revision and every finding of the host's current analysis, with each app's stage
    and baseline and each file's severity overrides from the settings. With `newest` (the
    server's own host), the lookup indexes of the open files are built for the new snapshot
    first: the requests sent while the analyzers run read that snapshot."""
    analysis = host.analysis()
    if newest:
        lookup.prepare(analysis.snapshot, host.open_paths())

    def options(app: App) -> AnalysisOptions:
        return AnalysisOptions(stage=ls.stage_for(app.root), baseline=ls.settings_for(app.root).baseline)

    findings = analysis.findings(options, lambda p: ls.settings_for(p).diagnostics.severity,
                                 cancelled=cancelled, on_baseline=warn)
    return analysis.revision, findings


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
        self._task: asyncio.Task[bool] | None = None
        self._published: dict[Path, list[types.Diagnostic]] = {}
        self._last: _Result | None = None
        #: Bumped by settings changes: results computed under older settings are dropped.
        self._generation = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sst-analysis")
        self.warnings = BaselineWarnings(ls)
        #: Analyses published since the heap was last collected in full (see `settle_heap`).
        self._since_full = 0

    def versions(self) -> dict[Path, int | None]:
        """The versions of the open documents (the host keeps them with their texts)."""
        return self.ls.host.versions()

    def baseline(self, setting: str, snap: AppSnapshot) -> LoadedBaseline:
        """The baselines of `snap`'s apps for a setting (the host's, cached), warning once
        about one that cannot be loaded. (Never builds a snapshot: a hover asks this while a
        long analysis builds one.)"""
        loaded = self.ls.host.baseline(setting, snap)
        if loaded.spec != "off":
            self.warnings(loaded, snap)
        return loaded

    # Scheduling.
    def schedule(self, path: Path | None = None, immediate: bool = False) -> None:
        """Cancels the pending run and schedules a new one (after the debounce delay)."""
        delay = 0.0 if immediate else self.ls.settings_for(path).diagnostics.debounce_ms / 1000
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self._run(delay))

    def stage_changed(self) -> None:
        """A deploy or remove changed what is deployed: `stage:` baselines are stale."""
        self.ls.host.stage_changed()
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
        self.ls.host.settings_changed()
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
        rev, gen = self.ls.host.revision, self._generation
        versions = self.versions()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self._compute, rev, gen)
        except RuntimeError:  # The executor is shut down: the server is exiting.
            return False
        if result is None or self.ls.host.revision != rev or self._generation != gen:
            return False  # Stale: a newer run is scheduled.
        self._last = result
        self._publish(result.diagnostics, versions)
        if self.ls.indexed is not None and self.ls.indexed.is_set():
            # After the first index (which settles the heap itself): freeze what this analysis
            # built, so the collections during the next one do not walk it again.
            self._since_full += 1
            full = self._since_full >= FULL_COLLECT_EVERY
            if full:
                self._since_full = 0
            settle_heap(full=full)
        return True

    def _compute(self, rev: int, gen: int, host: AnalysisHost | None = None) -> _Result | None:
        main = host is None
        h = self.ls.host if host is None else host
        try:
            if main and (h.revision != rev or self._generation != gen):
                return None
            got_rev, findings = analyze(self.ls, h, self.warnings,
                                        cancelled=(lambda: h.revision != rev) if main else None, newest=main)
            if main and got_rev != rev:
                return None
            by_path: dict[Path, list[Finding]] = {}
            diags: dict[Path, list[types.Diagnostic]] = {}
            conv = self.ls.converter
            for f in findings:  # Severity overrides are applied (by the host) already.
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
        scoped = self.ls.host.scoped(roots)
        rev, gen = self.ls.host.revision, self._generation
        versions = self.versions()
        result = await asyncio.to_thread(self._compute, rev, gen, scoped)
        if result is None or self.ls.host.revision != rev or self._generation != gen:
            return
        self._publish(result.diagnostics, versions, scope=roots)

    async def findings_for(self, path: Path) -> list[Finding]:
        """The current findings of a file (after severity overrides), for quick fixes."""
        last = self._last
        if last is None or last.revision != self.ls.host.revision or last.generation != self._generation:
            loop = asyncio.get_running_loop()
            got = await loop.run_in_executor(self._executor, self._compute, self.ls.host.revision, self._generation)
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


def _line_end(text: str, i: int) -> int:
    """The index of the first `\\r` or `\\n` at or after `i`, or -1.

    The `\\r` is looked for only before the next `\\n`, so a walk over a file without any
    `\\r` stays linear."""
    n = text.find("\n", i)
    r = text.find("\r", i, n if n >= 0 else len(text))
    return r if r >= 0 else n


#: Lines walked between two marks of `LineMarks`.
MARK_EVERY = 256


class LineMarks:
    """The offsets of some line starts of one text, kept across edits: a didChange names
    (line, column) positions, and walking to line 150,000 of a 7 MB file from its start takes
    0.1 s of the event loop per keystroke. From the nearest mark before a line, at most about
    `MARK_EVERY` lines are walked; an edit keeps the marks before it, shifts those after it
    (line breaks counted in C by `str.count`) and drops those it touched.

    Lines end where LSP ends them: at "\\r\\n", "\\n" or a lone "\\r", as `LineIndex` counts
    them (pygls' own document splits with `str.splitlines`, which also breaks at form feeds,
    U+2028 and U+0085, so a client edit after one of those would land on another line)."""

    __slots__ = ("marks", "text")

    def __init__(self, text: str, marks: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        #: (line, offset of its start), ascending; (0, 0) always.
        self.marks = marks if marks is not None else [(0, 0)]

    def line_start(self, line: int) -> int | None:
        """The offset where `line` starts (None past the last line)."""
        text, marks = self.text, self.marks
        k = bisect.bisect_right(marks, (line, len(text) + 1)) - 1
        at, i = marks[k]
        while at < line:
            j = _line_end(text, i)
            if j < 0:
                return None
            i = j + 2 if text.startswith("\r\n", j) else j + 1
            at += 1
            if at % MARK_EVERY == 0 and (k + 1 >= len(marks) or marks[k + 1][0] > at):
                k += 1
                marks.insert(k, (at, i))
        return i

    def offset(self, pos: types.Position, encoding: str) -> int:
        """The `str` offset of an LSP position, clamped into the text."""
        text = self.text
        i = self.line_start(max(pos.line, 0))
        if i is None:
            return len(text)
        end = _line_end(text, i)
        if end < 0:
            end = len(text)
        col = max(pos.character, 0)
        if encoding == "utf-32":
            return i + min(col, end - i)
        line = text[i:end]
        if line.isascii():
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

    def replaced(self, a: int, b: int, new: str) -> LineMarks:
        """The marks of this text with `[a, b)` replaced by `new`."""
        text = self.text[:a] + new + self.text[b:]
        before = [m for m in self.marks if m[1] < a or m[0] == 0]
        after = [m for m in self.marks if m[1] > b + 1]
        if after:
            # The first mark kept after the edit: its line in the new text is that of the last
            # mark before it plus the line breaks between them (a mark's offset is a line start,
            # so no "\\r\\n" straddles either end).
            delta = len(new) - (b - a)
            line0, start = before[-1]
            end = after[0][1] + delta
            breaks = text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)
            shift = line0 + breaks - after[0][0]
            before.extend((line + shift, off + delta) for line, off in after)
        return LineMarks(text, before)


def change_offset(text: str, pos: types.Position, encoding: str) -> int:
    """The `str` offset of an LSP position in `text`, clamped into it (see `LineMarks`)."""
    return LineMarks(text).offset(pos, encoding)


def apply_changes(text: str, changes: Iterable[types.TextDocumentContentChangeEvent], encoding: str) -> str:
    """`text` after a didChange's content changes, in order."""
    return apply_marked(text, changes, encoding).text


def apply_marked(text: str, changes: Iterable[types.TextDocumentContentChangeEvent], encoding: str,
                 marks: LineMarks | None = None) -> LineMarks:
    """`apply_changes` with the line marks of the result (`marks`: those of `text`, kept from
    the last change)."""
    cur = marks if marks is not None and marks.text is text else LineMarks(text)
    for ch in changes:
        rng = getattr(ch, "range", None)
        if rng is None:
            cur = LineMarks(ch.text)
            continue
        a = cur.offset(rng.start, encoding)
        b = cur.offset(rng.end, encoding)
        if b < a:
            a, b = b, a
        cur = cur.replaced(a, b, ch.text)
    return cur


def register(server: SstLanguageServer) -> None:
    #: The line marks of each open document's text (see `LineMarks`).
    marks: dict[Path, LineMarks] = {}

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(ls: SstLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        ls.host.apply_change(path, params.text_document.text, params.text_document.version)
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_did_change(ls: SstLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is None:
            return
        # The host holds the open documents' texts, as the client's edits made them (see
        # `apply_changes`).
        text = ls.host.open_text(path)
        if text is None:  # A change without an open: pygls' copy is all there is.
            text = ls.workspace.get_text_document(uri).source
            marks.pop(path, None)
        else:
            got = apply_marked(text, params.content_changes, ls.converter.encoding, marks.get(path))
            marks[path] = got
            text = got.text
        ls.host.apply_change(path, text, params.text_document.version)
        ls.diagnostics.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_did_save(ls: SstLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        ls.host.file_saved(path)
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_did_close(ls: SstLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None:
            return
        marks.pop(path, None)
        ls.host.apply_change(path, None)  # Back to the disk's text.
        ls.diagnostics.schedule(path, immediate=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_did_change_watched_files(ls: SstLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        last: Path | None = None
        stage_file = False
        for change in params.changes:
            path = ls.path_of(change.uri)
            if path is None:
                continue
            ls.host.file_changed(path)
            stage_file = stage_file or (path.name == "stage" and path.parent.name == ".sst")
            last = path
        if stage_file:
            ls.check_stages()  # A new `.sst/stage`: the lenses show other names.
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
                    ls.host.file_changed(path)
                    last = path
        if last is not None:
            ls.diagnostics.schedule(last)
