"""workspace/executeCommand commands (layer 4: server; the only server module that calls cloud/).

- `sst.listStages` `{app?}` -> `{stages, current}`;
- `sst.synth`, `sst.diff`, `sst.deploy`, `sst.remove`, each with ONE argument object
  `{app?, stage, stacks?}`: the cloud engines run in a worker thread (they are synchronous,
  boto3) behind a work-done progress the user can cancel; questions go to
  `window/showMessageRequest`; the result is a JSON object the client summarises.
- `sst.showReferences` `(uri, position, locations?)` -> locations: the target of the
  references code lens, for clients that execute it on the server.

Ops failures (no credentials, a failed synth, a rollback) are results with a `status`, never
JSON-RPC errors; bad arguments are JSON-RPC errors with a clear message (pygls answers
InvalidParams when the argument does not structure).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types

from sst_lsp.baseline import StageReader
from sst_lsp.model.types import App, AppSnapshot

# A runtime import (not TYPE_CHECKING): pygls evaluates command handlers' annotations.
from sst_lsp.server.server import SstLanguageServer

log = logging.getLogger(__name__)


@attrs.define
class AppArgs:
    """`sst.listStages`' argument."""

    app: str | None = None
    """The app root (a path or a file: URI); omitted when the workspace has one app."""


@attrs.define
class CloudArgs:
    """The one argument of `sst.synth` / `sst.diff` / `sst.deploy` / `sst.remove`."""

    stage: str
    """The stage to work on."""

    app: str | None = None
    """The app root (a path or a file: URI); omitted when the workspace has one app."""

    stacks: list[str] | None = None
    """Only these stacks (deploy)."""


class CommandError(Exception):
    """A problem with the command's input, answered as a JSON-RPC error with this message."""


def pick_app(snap: AppSnapshot, app: str | None) -> App:
    """The app a command argument names (a root path or URI), or the only app."""
    if app:
        from sst_lsp.server.convert import uri_to_path

        p = uri_to_path(app) if "://" in app else Path(app)
        if p is None:
            raise CommandError(f"not a file URI: {app}")
        for a in snap.apps:
            if a.root == p or a.config_path == p:
                return a
        inner = snap.app_for(p)
        if inner is not None and p.is_relative_to(inner.root):
            return inner
        raise CommandError(f"no SST app at {p}")
    if len(snap.apps) == 1:
        return snap.apps[0]
    if not snap.apps:
        raise CommandError("no SST app in the workspace")
    raise CommandError(
        f"{len(snap.apps)} SST apps in the workspace: name one with `app` ({', '.join(str(a.root) for a in snap.apps)})"
    )


def _structure(ls: SstLanguageServer, raw: object, cls: type[Any]) -> Any:
    try:
        return ls.protocol._converter.structure(raw if raw is not None else {}, cls)
    except Exception as e:
        raise CommandError(f"invalid argument: {e}") from e


# ----------------------------------------------------------------------------------------------
# Progress, questions and cancellation for the cloud engines.
# ----------------------------------------------------------------------------------------------


class ServerReporter:
    """The cloud engines' `Reporter` (sst_lsp/cloud/reporter.py) over LSP. Called from the
    engine's worker thread: every call hops to the event loop."""

    def __init__(self, ls: SstLanguageServer, loop: asyncio.AbstractEventLoop, token: str | None) -> None:
        self.ls = ls
        self.loop = loop
        self.token = token
        self._cancelled = False
        self.lines: list[str] = []

    @property
    def cancelled(self) -> bool:
        if self._cancelled:
            return True
        fut = self.ls.work_done_progress.tokens.get(self.token) if self.token is not None else None
        return fut is not None and fut.cancelled()

    def cancel(self) -> None:
        self._cancelled = True

    def _call(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def progress(self, message: str, percent: int | None = None) -> None:
        if self.token is None:
            return
        token = self.token
        self._call(
            lambda: self.ls.work_done_progress.report(
                token, types.WorkDoneProgressReport(message=message, percentage=percent, cancellable=True)
            )
        )

    def log(self, line: str) -> None:
        self.lines.append(line)
        self._call(lambda: self.ls.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=line)))

    def _ask(self, message: str, actions: list[str], kind: types.MessageType) -> str | None:
        async def ask() -> str | None:
            got = await self.ls.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=kind, message=message, actions=[types.MessageActionItem(title=a) for a in actions]
                )
            )
            return got.title if got is not None else None

        fut: Future[str | None] = asyncio.run_coroutine_threadsafe(ask(), self.loop)
        while True:
            try:
                return fut.result(timeout=0.5)
            except TimeoutError:
                if self.cancelled:
                    fut.cancel()
                    return None
            except Exception:
                log.warning("window/showMessageRequest failed: treated as no", exc_info=True)
                return None

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        text = title if not items else title + "\n" + "\n".join(f"- {i}" for i in items[:20])
        if len(items) > 20:
            text += f"\n- and {len(items) - 20} more (see the log)"
        for i in items:
            self.log(f"  {i}")
        got = self._ask(text, actions, types.MessageType.Warning)
        return got if got in actions else None

    def confirm_typed(self, prompt: str, expected: str) -> bool:
        # LSP has no input box: a protected stage is confirmed by choosing a button that
        # spells the stage name out, next to a plain "Cancel".
        action = f"Yes, {expected}"
        return self._ask(f"{prompt} (stage \"{expected}\")", [action, "Cancel"], types.MessageType.Warning) == action


def _cancel_with_request(ls: SstLanguageServer, loop: asyncio.AbstractEventLoop) -> None:
    """Makes `$/cancelRequest` reach this command's task.

    pygls runs commands behind its own executeCommand handler: a cancel request cancels that
    outer future (and answers RequestCancelled), not the task running the command. Follow the
    outer future and cancel the current task with it.
    """
    task = asyncio.current_task()
    msg_id = ls.protocol.msg_id
    outer = getattr(ls.protocol, "_request_futures", {}).get(msg_id) if msg_id is not None else None
    if task is None or outer is None:
        return

    def on_done(fut: Any) -> None:
        if fut.cancelled() and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    outer.add_done_callback(on_done)


async def _with_progress(
    ls: SstLanguageServer, title: str, work: Callable[[ServerReporter], Any]
) -> Any:
    """Runs `work(reporter)` in a thread behind a cancellable work-done progress."""
    loop = asyncio.get_running_loop()
    token: str | None = None
    if ls.client_supports("window.work_done_progress", False):
        token = f"sst-cmd-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0))
        except Exception:
            log.debug("work-done progress refused", exc_info=True)
            token = None
    reporter = ServerReporter(ls, loop, token)
    _cancel_with_request(ls, loop)
    try:
        return await asyncio.to_thread(work, reporter)
    except asyncio.CancelledError:
        # The request was cancelled: tell the engine, which stops at its next safe point.
        reporter.cancel()
        raise
    finally:
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd())
            ls.work_done_progress.tokens.pop(token, None)


# ----------------------------------------------------------------------------------------------
# Cloud commands: the only place the server calls sst_lsp/cloud (through cloud/ops.py, which the
# CLI shares). The runners are synchronous and run in a worker thread.
# ----------------------------------------------------------------------------------------------

CloudRunner = Callable[[SstLanguageServer, App, CloudArgs, ServerReporter], dict[str, Any]]


def _connection(
    ls: SstLanguageServer, app: App, stage: str, reporter: ServerReporter | None = None, *, start: bool = True
) -> Any:
    """The connection the `sst.aws` settings name. `endpointUrl: "local"` is the stage's kept
    local endpoint (`sst-lsp local start`), started here when none runs (and `start`); an
    endpoint that is a moto server gets the local endpoint's template adaptations."""
    from sst_lsp.cloud.aws import CloudError, Connection
    from sst_lsp.cloud.local import LOCAL_SETTING, is_moto_endpoint, read_kept, start_kept

    aws = ls.settings_for(app.root).aws
    region = aws.region or app.region or None
    url = aws.endpoint_url.strip() or None
    if url == LOCAL_SETTING:
        kept = read_kept(app.root, stage)
        if kept is None and not start:
            raise CloudError(f"No local endpoint runs for stage '{stage}' (sst.aws.endpointUrl is \"local\")")
        if kept is None:
            kept, _ = start_kept(app.root, stage)
            if reporter is not None:
                reporter.log(
                    f"Started the local endpoint of stage '{stage}': {kept.url} (pid {kept.pid}); it keeps "
                    f"running for the stage (`sst-lsp local stop --stage {stage}` ends it)"
                )
        return kept.connection(region or "us-east-1")
    if url is not None and is_moto_endpoint(url):
        return Connection(region=region or "us-east-1", endpoint_url=url, local=True)
    return Connection(profile=aws.profile or None, region=region, endpoint_url=url)


def _target(
    ls: SstLanguageServer, app: App, stage: str, reporter: ServerReporter | None = None, *, start: bool = True
) -> Any:
    from sst_lsp.cloud import ops

    s = ls.settings_for(app.root)
    connection = _connection(ls, app, stage, reporter, start=start)
    return ops.Target(stage=stage, connection=connection, protected_stages=tuple(s.protected_stages))


class CommandRunner:
    """What the commands keep between calls (one per server, built by `factory.create_server`):
    the warm synth worker (a child process keeping aws-cdk-lib loaded), started on the first
    synth and ended at shutdown, and the reader of deployed stages for `stage:` baselines."""

    def __init__(self, ls: SstLanguageServer) -> None:
        self.ls = ls
        self._worker: Any = None
        self._lock = threading.Lock()

    def synth_worker(self) -> Any:
        with self._lock:
            if self._worker is None:
                from sst_lsp.cloud.synth_worker import SynthWorker

                self._worker = SynthWorker(on_stderr=lambda line: log.debug("synth worker: %s", line))
            return self._worker

    def stage_reader(self) -> StageReader:
        return stage_reader(self.ls)

    def close(self) -> None:
        worker = self._worker
        if worker is not None:
            try:
                worker.close()
            except Exception:
                log.debug("closing the synth worker failed", exc_info=True)


def synth_worker(ls: SstLanguageServer) -> Any:
    """The server's warm synth worker (see `CommandRunner`)."""
    runner = ls.commands
    if isinstance(runner, CommandRunner):
        return runner.synth_worker()
    return None  # A test's runner without a worker: synth in the calling process.


def _synth_json(app: App, res: Any) -> dict[str, Any]:
    return {
        "app": app.name or str(app.root),
        "root": str(app.root),
        "outDir": str(res.out_dir),
        "mode": res.mode,
        "stacks": [{"id": s.id, "name": s.name, "resources": s.resources} for s in res.stacks],
        "skipped": [f"{k.kind} {k.id}" + (f" ({k.stack})" if k.stack else "") + f": {k.reason}" for k in res.skipped],
        "warnings": list(res.warnings),
        "durationMs": res.duration_ms,
        "ok": res.ok,
        "error": res.error,
    }


def run_synth(ls: SstLanguageServer, app: App, args: CloudArgs, reporter: ServerReporter) -> dict[str, Any]:
    from sst_lsp.cloud import ops

    mode = ls.settings_for(app.root).synth.mode
    res = ops.synth(app, args.stage, mode=mode, reporter=reporter, worker=synth_worker(ls) if mode == "embedded" else None)
    status = "ok" if res.ok else "failed"
    return {"status": status, "message": res.error or "", "apps": [_synth_json(app, res)]}


def run_diff(ls: SstLanguageServer, app: App, args: CloudArgs, reporter: ServerReporter) -> dict[str, Any]:
    from sst_lsp.cloud import ops

    mode = ls.settings_for(app.root).synth.mode
    _, res = ops.diff(app, _target(ls, app, args.stage, reporter), reporter, mode=mode,
                      worker=synth_worker(ls) if mode == "embedded" else None)
    return {**res.to_json(), "text": res.to_text()}


def run_deploy(ls: SstLanguageServer, app: App, args: CloudArgs, reporter: ServerReporter) -> dict[str, Any]:
    from sst_lsp.cloud import ops

    mode = ls.settings_for(app.root).synth.mode
    # No `yes`, no `allow_data_loss`, no `allow_partial`: the engine asks (protected stage, a
    # partial synth, data loss, bootstrap) through the reporter, i.e. window/showMessageRequest.
    _, res = ops.deploy(app, _target(ls, app, args.stage, reporter), reporter, stacks=args.stacks, mode=mode,
                        ask_partial=True, worker=synth_worker(ls) if mode == "embedded" else None)
    ls.diagnostics.stage_changed()
    text = res.to_text()
    for line in text.splitlines():
        reporter.log(line)
    return {**res.to_json(), "text": text}


def run_remove(ls: SstLanguageServer, app: App, args: CloudArgs, reporter: ServerReporter) -> dict[str, Any]:
    from sst_lsp.cloud import ops

    # Removing from a local endpoint that does not run: say so rather than start an empty one.
    res = ops.remove(app, _target(ls, app, args.stage, reporter, start=False), reporter)
    ls.diagnostics.stage_changed()
    return res.to_json()


RUNNERS: dict[str, CloudRunner] = {"synth": run_synth, "diff": run_diff, "deploy": run_deploy, "remove": run_remove}


def stage_reader(ls: SstLanguageServer) -> StageReader:
    """Reads a deployed stage's stacks for the `stage:NAME` baseline (sst_lsp/baseline)."""

    def read(app: App, stage: str) -> Any:
        from sst_lsp.cloud.aws import open_session
        from sst_lsp.cloud.stage_state import read_deployed_stage

        session = open_session(_connection(ls, app, stage, start=False), app.region)
        return read_deployed_stage(session, app.name or "", stage).stacks

    return read


async def _cloud_command(ls: SstLanguageServer, kind: str, raw: object) -> dict[str, Any]:
    args = _structure(ls, raw, CloudArgs)
    stage = args.stage = args.stage.strip()
    if not stage:
        raise CommandError("`stage` is required")
    snap = await asyncio.to_thread(ls.host.snapshot)
    app = pick_app(snap, args.app)
    runner = RUNNERS[kind]
    title = {"synth": "SST: synth", "diff": "SST: diff", "deploy": "SST: deploy", "remove": "SST: remove"}[kind]

    def work(reporter: ServerReporter) -> dict[str, Any]:
        from sst_lsp.cloud import ops

        try:
            return runner(ls, app, args, reporter)
        except (ops.OpsError, ops.CloudError) as e:
            # What the user must fix (no credentials, a bad stage, a config error): a result.
            reporter.log(f"sst.{kind} {stage}: {e}")
            return {"status": "failed", "message": str(e)}
        except Exception as e:  # The engines return results; a bug still must not escape raw.
            log.exception("sst.%s failed", kind)
            return {"status": "failed", "message": f"internal error: {type(e).__name__}: {e}"}

    return await _with_progress(ls, f"{title} {stage}", work)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------
# Registration.
# ----------------------------------------------------------------------------------------------


def list_stages(ls: SstLanguageServer, snap: AppSnapshot, app_arg: str | None) -> dict[str, Any]:
    app = pick_app(snap, app_arg)
    setting = ls.settings_for(app.root).stage
    current = ls.stage_for(app.root)
    from sst_lsp.ide.stage import known_stages

    stages: list[str] = list(known_stages(app.root, ls.host.fs, setting))
    if current not in stages:
        stages.insert(0, current)
    return {"stages": stages, "current": current}


def register(server: SstLanguageServer) -> None:
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        async def handler(ls: SstLanguageServer, *args: Any) -> Any:
            try:
                return await fn(ls, *args)
            except CommandError as e:
                from pygls.exceptions import JsonRpcInvalidParams

                raise JsonRpcInvalidParams(str(e)) from None

        handler.__name__ = fn.__name__
        return handler

    async def on_list_stages(ls: SstLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) > 1:
            raise CommandError("sst.listStages takes one argument object {app?}")
        a = _structure(ls, args[0] if args else None, AppArgs)
        snap = await asyncio.to_thread(ls.host.snapshot)
        return await asyncio.to_thread(list_stages, ls, snap, a.app)

    server.command("sst.listStages")(wrap(on_list_stages))

    for kind in ("synth", "diff", "deploy", "remove"):

        def make(k: str) -> Callable[..., Any]:
            async def on_cloud(ls: SstLanguageServer, *args: Any) -> dict[str, Any]:
                if len(args) != 1:
                    raise CommandError(f"sst.{k} takes one argument object {{app?, stage, stacks?}}")
                return await _cloud_command(ls, k, args[0])

            on_cloud.__name__ = f"on_{k}"
            return on_cloud

        server.command(f"sst.{kind}")(wrap(make(kind)))

    async def on_show_references(ls: SstLanguageServer, *args: Any) -> list[Any]:
        # The lens already carries the locations: (uri, position, locations).
        if len(args) >= 3 and isinstance(args[2], list):
            return args[2]
        return []

    server.command("sst.showReferences")(wrap(on_show_references))
