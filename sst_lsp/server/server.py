"""The sst-lsp language server (layer 4: server): lifecycle, settings, background indexing.

This module knows no feature: `server/factory.py: create_server(...)` builds every collaborator
(the analysis host, the settings store, the diagnostics engine of `documents`, the command
runner of `commands`) and registers the handlers of `documents`, `features` and `commands`,
which import this module's types; this module imports none of them. The collaborators it holds
are typed by the protocols below, so a test can build a server with any of them replaced.

State lives in the collaborators: one `AnalysisHost` over every workspace folder (multi-root,
each folder may hold many apps) owns the texts and caches, the `SettingsStore` the settings by
folder. Handlers read one snapshot per request.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from sst_lsp import __version__
from sst_lsp.baseline import StageReader
from sst_lsp.cache import CheckCache
from sst_lsp.host.host import AnalysisHost, LoadedBaseline
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import AppSnapshot, Finding
from sst_lsp.server.config import SettingsStore
from sst_lsp.server.convert import Converter, UriMap, encoding_of, uri_to_path
from sst_lsp.settings import Settings

log = logging.getLogger(__name__)

#: The garbage collector's first-generation threshold once the first index is built (700 by
#: default; see `settle_heap`).
GC_GEN0_THRESHOLD = 10_000

#: The garbage collector's last-generation threshold in the server (10 by default): a full
#: collection walks every object not frozen, and one during the extraction of a 200,000-route
#: file (a million new objects) held the GIL for 0.1-0.35 s at a time, growing with the heap.
#: The server collects in full itself every `FULL_COLLECT_EVERY` analyses (see `settle_heap`).
GC_GEN2_THRESHOLD = 1_000

#: Analyses between two full collections (see `settle_heap`).
FULL_COLLECT_EVERY = 200

#: Seconds a thread holds the GIL before another may take it (5 ms by default): the event loop's
#: thread gets it back sooner while an analysis runs (see `factory.run_server`).
SWITCH_INTERVAL = 0.001

#: Files whose creation, change or deletion the client reports (workspace/didChangeWatchedFiles):
#: sources of every runtime SST resolves handlers for, the app configs, and what the resolver
#: and the stage lookup read besides sources.
WATCHED_GLOBS = (
    "**/*.{ts,tsx,js,jsx,mjs,cjs,py,go,cs,java}",
    "**/sst.config.*",
    "**/sst.json",
    "**/{Dockerfile,*.csproj}",
    "**/.sst/stage",
)


#: Seconds requests wait for the client's answer to the first settings pull.
SETTINGS_WAIT = 5.0

#: Seconds a request waits for a snapshot another thread is building before it is answered
#: from the newest snapshot already built (a large file's analysis takes seconds; a hover must
#: not wait for it).
REQUEST_WAIT = 0.05


class Diagnostics(Protocol):
    """What the server and the features ask of the diagnostics engine (`documents.DiagnosticsEngine`)."""

    def schedule(self, path: Path | None = None, immediate: bool = False) -> None: ...

    def settings_changed(self) -> None: ...

    def stage_changed(self) -> None: ...

    async def run_now(self) -> bool: ...

    async def publish_apps_first(self, roots: list[Path]) -> None: ...

    async def findings_for(self, path: Path) -> list[Finding]: ...

    def baseline(self, setting: str, snap: AppSnapshot) -> LoadedBaseline: ...

    def close(self) -> None: ...


class Commands(Protocol):
    """What the server asks of the command runner (`commands.CommandRunner`)."""

    def stage_reader(self) -> StageReader: ...

    def close(self) -> None: ...


def settle_heap(full: bool = True) -> None:
    """Moves what the index holds out of the garbage collector's sight (`gc.freeze`).

    The index of a large workspace is over a million tracked objects (parses, facts, apps)
    that live as long as their files are unchanged. Every full collection walks all of them,
    0.2-1.2 s on a 200,000-route file, holding the GIL: a hover waits that long, and so does
    each documentSymbol that allocates enough to trigger one. Frozen objects are still freed
    by reference counting when an edit replaces them; only a reference cycle among them would
    stay, and the model's facts are acyclic values (29 edits of a 3,000-line stack left 25 objects in
    cycles among the frozen ones). A collection of the young generations first, so that the
    recent garbage is not frozen with them (a full one walks the whole heap: 0.6 s on the
    event loop after the first index of a 200,000-route file); after each analysis too, so
    what it built is frozen in turn and the collections of the next one walk only what that
    one allocates. With `full`, the frozen set is brought back and collected in full (the
    caller does that every `FULL_COLLECT_EVERY` analyses, for the cycles frozen meanwhile).
    A larger first generation threshold makes the young collections during an extraction
    (which allocates in bursts) fewer."""
    if full:
        gc.unfreeze()
        gc.collect()
    else:
        gc.collect(1)
    gc.freeze()
    set_gc_thresholds()


def set_gc_thresholds() -> None:
    """The server's collector thresholds (see `GC_GEN0_THRESHOLD`, `GC_GEN2_THRESHOLD`)."""
    _, g1, _ = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, g1, GC_GEN2_THRESHOLD)


class RawResult:
    """A request's result already written as LSP's JSON text (ASCII): sent as it is, without
    cattrs or `json.dumps` (see `SstProtocol._send_response`). Kept, it is sent again for the
    cost of a write."""

    __slots__ = ("data",)

    def __init__(self, text: str) -> None:
        #: The JSON text, encoded.
        self.data = text.encode("ascii")

    def value(self) -> Any:
        """The result as plain JSON values (for tests)."""
        return json.loads(self.data)


class SstProtocol(LanguageServerProtocol):
    """pygls' protocol, except that didChange leaves the text to sst-lsp.

    pygls applies each change to its own copy of the document by `str.splitlines` lines, which
    also end at form feeds, U+0085 and U+2028 (LSP lines end at "\n" and "\r\n"), in a
    Python loop over every line (tens of milliseconds per keystroke in a 7 MB file); and when
    that raises, the server's handler never sees the change, so its text drifts from the
    client's for good. `documents.apply_changes` applies them instead; pygls' copy keeps the
    version only."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        try:
            self.workspace.get_text_document(params.text_document.uri).version = params.text_document.version
        except Exception:  # A change before any open: the handler copes.
            log.debug("didChange for %s: no pygls document", params.text_document.uri, exc_info=True)
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None

    def _send_response(self, msg_id: Any, result: Any | None = None, error: Any = None) -> None:
        if error is None and isinstance(result, RawResult):
            # Already JSON: an outline of 500,000 symbols through cattrs takes seconds, and
            # `json.dumps` of it a second more.
            self._result_types.pop(msg_id, None)
            self._send_raw(b'{"id":%s,"jsonrpc":"%s","result":%s}' % (
                json.dumps(msg_id).encode("ascii"), self.VERSION.encode("ascii"), result.data))
            return
        super()._send_response(msg_id, result, error)

    def _send_raw(self, body: bytes) -> None:
        """Writes one message whose body is already JSON (pygls' `_send_data` without the
        `json.dumps`)."""
        if self.writer is None:
            log.error("unable to send data: no transport")
            return
        header = (f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; "
                  f"charset={self.CHARSET}\r\n\r\n").encode("ascii")
        try:
            res = self.writer.write(header + body if self._include_headers else body)
            if inspect.isawaitable(res):
                asyncio.ensure_future(res)
        except BrokenPipeError:
            log.exception("sending data failed: broken pipe")
            raise
        except Exception as error:
            log.exception("sending data failed")
            self._server._report_server_error(error, JsonRpcInternalError)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        # pygls files the future of a notification run by a generator handler (its own text
        # sync handlers, the didChange above) under a fresh id in `_request_futures` and never
        # takes it out: one future, with its generator and the change, kept per keystroke.
        before = set(self._request_futures)
        super()._handle_notification(method_name, params)
        for key in [k for k in self._request_futures if k not in before]:
            future = self._request_futures[key]

            def forget(_f: Any, key: Any = key) -> None:
                self._request_futures.pop(key, None)

            future.add_done_callback(forget)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        # Clients cancel requests that were already answered all the time (a hover overtaken
        # by the next keystroke): pygls logs each one as a warning. Only debug news for us.
        if msg_id not in self._request_futures:
            log.debug('cancel notification for unknown message id "%s" (already answered)', msg_id)
            return
        super()._handle_cancel_notification(msg_id)


class SstLanguageServer(LanguageServer):
    """The language server: holds the analysis host, the settings, the diagnostics engine and
    the command runner, all built by `factory.create_server` and passed in."""

    def __init__(
        self,
        host: AnalysisHost,
        settings: SettingsStore,
        diagnostics: Callable[[SstLanguageServer], Diagnostics],
        commands: Callable[[SstLanguageServer], Commands],
        uris: UriMap | None = None,
    ) -> None:
        super().__init__("sst-lsp", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=SstProtocol)
        self.host = host
        self.uris = uris or UriMap()
        self.settings = settings
        self.diagnostics: Diagnostics = diagnostics(self)
        self.commands: Commands = commands(self)
        # Deployed stages are read (for `stage:` baselines) the way the commands reach AWS.
        self.host.stage_reader = self.commands.stage_reader
        #: The stage of each app as last used (a change refreshes the code lenses).
        self._stages: dict[Path, str] = {}
        #: The converted outline per path, with the (snapshot, text, encoding, hierarchical)
        #: it was made for (see `features.on_document_symbol`).
        self.outlines: dict[Path, tuple[tuple[Any, ...], Any]] = {}
        #: The same for document links (see `features.on_document_link`).
        self.links: dict[Path, tuple[tuple[Any, ...], Any]] = {}
        #: The `.sst/stage` problems already logged, per app root.
        self._stage_problems: set[tuple[Path, str]] = set()
        self._converter: Converter | None = None
        self._shown_settings_errors: tuple[str, ...] = ()
        self.index_task: asyncio.Task[None] | None = None
        #: Set once the first full analysis after startup has been published.
        self.indexed: asyncio.Event | None = None
        #: The event loop serving the client (set by `initialize`), for calls from worker threads.
        self.loop: asyncio.AbstractEventLoop | None = None
        #: Set once the settings of `initialized` (the workspace/configuration pull) are in.
        self.settings_loaded = asyncio.Event()

    # ------------------------------------------------------------------------------------------
    # Helpers for handlers.
    @property
    def index(self) -> WorkspaceIndex:
        """The host's workspace index (the derived facts; tests and benchmarks poke at it)."""
        return self.host.index

    @property
    def converter(self) -> Converter:
        """Converts for this client's position encoding against the host's current texts."""
        if self._converter is None:
            try:
                enc = encoding_of(self.workspace.position_encoding)
            except RuntimeError:  # Not initialized yet.
                enc = "utf-16"
            self._converter = Converter(self.host.read_text, self.uris.uri, enc)
        return self._converter

    def path_of(self, uri: str) -> Path | None:
        """The path of a client URI (remembering the client's spelling for replies)."""
        return self.uris.remember(uri)

    def request_snapshot(self) -> AppSnapshot:
        """The snapshot a request reads: the current one when it is built (or quick to get),
        else the newest one built, so requests never wait for a long analysis."""
        return self.host.analysis(wait=REQUEST_WAIT).snapshot

    def settings_for(self, path: Path | None) -> Settings:
        return self.settings.for_path(path)

    def client_supports(self, field: str, default: Any = False) -> Any:
        """A client capability by dotted snake_case path, e.g. "window.work_done_progress"."""
        try:
            return get_capability(self.client_capabilities, field, default)
        except Exception:  # noqa: BLE001 - not initialized, or an odd capabilities object.
            return default

    def stage_for(self, app_root: Path | None, path: Path | None = None) -> str:
        """The stage of an app: the setting, else `.sst/stage`, else the default."""
        setting = self.settings_for(path or app_root).stage
        if app_root is None:
            return setting or "dev"
        from sst_lsp.ide.stage import choose_stage

        try:
            choice = choose_stage(app_root, self.host.fs, setting)
        except Exception:
            log.exception("reading the stage of %s failed", app_root)
            return setting or "dev"
        stage = choice.stage
        if choice.problem is not None and (app_root, choice.problem) not in self._stage_problems:
            # Once per app and problem: the stage is read for every request and analysis.
            self._stage_problems.add((app_root, choice.problem))
            log.warning("%s", choice.problem)
        old = self._stages.get(app_root)
        self._stages[app_root] = stage
        if old is not None and old != stage:
            self.refresh_code_lenses()
        return stage

    def refresh_code_lenses(self) -> None:
        """Asks the client to pull the code lenses again (they show the stage's names), where
        it supports workspace/codeLens/refresh; callable from worker threads."""
        if not self.client_supports("workspace.code_lens.refresh_support", False):
            return

        def send() -> None:
            try:
                self.workspace_code_lens_refresh(None)
            except Exception:
                log.debug("workspace/codeLens/refresh failed", exc_info=True)

        loop = self.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None or loop is None:
            send()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(send)

    async def ready(self) -> None:
        """Waits (briefly, at startup only) for the first settings pull, so early requests
        and diagnostics use the user's stage and severities rather than the defaults."""
        if self.settings_loaded.is_set():
            return
        try:
            await asyncio.wait_for(self.settings_loaded.wait(), SETTINGS_WAIT)
        except TimeoutError:
            log.warning("no settings after %.0f s: using what is known", SETTINGS_WAIT)
            self.settings_loaded.set()

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls' default shows "Error in server" popups, possibly one per keystroke: log instead.
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error, exc_info=error)

    # ------------------------------------------------------------------------------------------
    # Settings.
    def apply_settings(self) -> None:
        """After a settings change: exclusions to the index, one message for bad values,
        diagnostics re-published (severity overrides apply at publish)."""
        excludes: list[str] = []
        for s in self.settings.all():
            excludes.extend(g for g in s.exclude if g not in excludes)
        if tuple(excludes) != self.host.exclude:
            self.host.set_roots(self.host.roots, excludes)
        errors = tuple(self.settings.errors)
        if errors and errors != self._shown_settings_errors:
            for e in errors:
                log.warning("settings: %s", e)
            shown = "; ".join(errors[:3]) + (f"; and {len(errors) - 3} more (see the log)" if len(errors) > 3 else "")
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"sst-lsp: invalid settings ignored, defaults used: {shown}",
                )
            )
        self._shown_settings_errors = errors
        self.diagnostics.settings_changed()
        self.check_stages()

    def check_stages(self) -> None:
        """Reads every known app's stage again (after a settings change or a change of
        `.sst/stage`): a stage that moved refreshes the code lenses."""
        for root in list(self._stages):
            self.stage_for(root)

    async def pull_settings(self) -> None:
        """Pulls section `sst` for every folder (and globally) through workspace/configuration."""
        if not self.client_supports("workspace.configuration", False):
            return
        folders = self.settings.folders
        items = [types.ConfigurationItem(section="sst")]
        items += [types.ConfigurationItem(scope_uri=self.uris.uri(f), section="sst") for f in folders]
        try:
            result = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception:
            log.warning("workspace/configuration failed; keeping the current settings", exc_info=True)
            return
        result = list(result or [])
        result += [None] * (len(items) - len(result))
        self.settings.set_pulled(result[0], dict(zip(folders, result[1:])))
        self.apply_settings()

    # ------------------------------------------------------------------------------------------
    # Workspace folders.
    def set_folders(self, folders: list[Path]) -> None:
        self.settings.set_folders(folders)
        self.host.cwd = folders[0] if folders else None
        self.host.set_roots(folders)

    def close_collaborators(self) -> None:
        self.commands.close()
        self.diagnostics.close()

    def shutdown(self) -> None:
        self.close_collaborators()
        if self.index_task is not None:
            self.index_task.cancel()
        super().shutdown()  # type: ignore[no-untyped-call]


# ----------------------------------------------------------------------------------------------
# Lifecycle handlers.
# ----------------------------------------------------------------------------------------------


def register_lifecycle(server: SstLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: SstLanguageServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        folders: list[Path] = []
        for f in params.workspace_folders or []:
            p = ls.path_of(f.uri)
            if p is not None:
                folders.append(p)
        if not folders:
            root = params.root_uri and ls.path_of(params.root_uri)
            if not root and params.root_path:
                root = Path(params.root_path)
            if root:
                folders.append(Path(root))
        ls._converter = None  # The encoding is known now.
        ls.settings.set_initialization_options(params.initialization_options)
        ls.set_folders(folders)
        log.info("sst-lsp %s: folders %s, encoding %s", __version__, [str(f) for f in folders], ls.converter.encoding)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: SstLanguageServer, params: types.InitializedParams) -> None:
        ls.indexed = asyncio.Event()
        try:
            await _register_dynamic(ls)
            await ls.pull_settings()
            if not ls.client_supports("workspace.configuration", False):
                ls.apply_settings()
        finally:
            ls.settings_loaded.set()
        ls.index_task = asyncio.ensure_future(index_workspace(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_did_change_configuration(ls: SstLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.client_supports("workspace.configuration", False):
            await ls.pull_settings()
            return
        raw = params.settings
        if isinstance(raw, dict):
            section = raw.get("sst", raw)
            ls.settings.set_pulled(section, {})
            ls.apply_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def on_did_change_workspace_folders(
        ls: SstLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        folders = list(ls.settings.folders)
        for f in params.event.removed:
            p = uri_to_path(f.uri)
            if p in folders:
                folders.remove(p)
        for f in params.event.added:
            p = ls.path_of(f.uri)
            if p is not None and p not in folders:
                folders.append(p)
        ls.set_folders(folders)
        await ls.pull_settings()
        if ls.index_task is not None:
            ls.index_task.cancel()
        ls.index_task = asyncio.ensure_future(index_workspace(ls))

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: SstLanguageServer, params: None) -> None:
        ls.close_collaborators()
        if ls.index_task is not None:
            ls.index_task.cancel()


async def _register_dynamic(ls: SstLanguageServer) -> None:
    """Registers file watching and configuration changes where the client allows it."""
    regs: list[types.Registration] = []
    if ls.client_supports("workspace.did_change_watched_files.dynamic_registration", False):
        regs.append(
            types.Registration(
                id=f"sst-watch-{uuid.uuid4()}",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS]
                ),
            )
        )
    if ls.client_supports("workspace.did_change_configuration.dynamic_registration", False):
        regs.append(
            types.Registration(
                id=f"sst-config-{uuid.uuid4()}",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section="sst"),
            )
        )
    if not regs:
        return
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=regs))
    except Exception:
        log.warning("client/registerCapability failed: file changes outside open buffers go unseen", exc_info=True)


# ----------------------------------------------------------------------------------------------
# Background indexing.
# ----------------------------------------------------------------------------------------------


async def index_workspace(ls: SstLanguageServer) -> None:
    """Finds and indexes every app with work-done progress: the apps of open files first (their
    diagnostics are published as soon as they are known), then the rest, then one full analysis."""
    token: str | None = None
    if ls.client_supports("window.work_done_progress", False):
        token = f"sst-index-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="SST: indexing", message="finding apps", percentage=0)
            )
        except Exception:
            log.debug("work-done progress refused", exc_info=True)
            token = None

    def report(message: str, percentage: int) -> None:
        if token is not None:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message, percentage=percentage))

    try:
        roots = await asyncio.to_thread(ls.host.app_roots)
        # The check cache's entries (read-only) for the files without an open buffer.
        ls.host.use_store(CheckCache([ar.root for ar in roots], read_only=True))
        open_paths = ls.host.open_paths()
        first = [ar for ar in roots if any(p.is_relative_to(ar.root) for p in open_paths)]
        rest = [ar for ar in roots if ar not in first]
        if first and rest:
            # The apps being edited: analyse them alone so their diagnostics do not wait for
            # the whole monorepo.
            report(f"{len(roots)} apps: open files first", 1)
            await ls.diagnostics.publish_apps_first([ar.root for ar in first])
        total = max(len(roots), 1)
        for i, ar in enumerate(first + rest):
            report(f"{ar.root.name} ({i + 1}/{len(roots)})", int(100 * i / total))
            await asyncio.to_thread(ls.host.warm, ar)
        report("checking handlers", 99)
        await ls.diagnostics.run_now()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("indexing failed")
    finally:
        ls.host.use_store(None)
        settle_heap(full=False)
        if ls.indexed is not None:
            ls.indexed.set()
        if token is not None:
            try:
                ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
            except Exception:
                log.debug("ending progress failed", exc_info=True)


# ----------------------------------------------------------------------------------------------
# Logging to the client.
# ----------------------------------------------------------------------------------------------


class _LspLogHandler(logging.Handler):
    """Forwards sst_lsp's log records to the client's output (window/logMessage)."""

    _TYPES: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
    }

    def __init__(self, server: SstLanguageServer) -> None:
        super().__init__(logging.INFO)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        # Records come from the event loop and from worker threads: hop to the loop (known once
        # `initialize` ran; earlier records only reach stderr with --verbose).
        loop = self.server.loop
        if loop is None or loop.is_closed():
            return
        try:
            kind = types.MessageType.Error if record.levelno >= logging.ERROR else self._TYPES.get(
                record.levelno, types.MessageType.Log
            )
            params = types.LogMessageParams(type=kind, message=self.format(record))
            loop.call_soon_threadsafe(self._send, params)
        except Exception:  # noqa: BLE001 - logging must never raise; the stdlib's policy decides.
            self.handleError(record)

    def _send(self, params: types.LogMessageParams) -> None:
        try:
            self.server.window_log_message(params)
        except Exception:  # noqa: BLE001, S110 - the connection may be gone at exit: nothing to tell.
            pass
