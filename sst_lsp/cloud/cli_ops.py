"""The CLI's synth / diff / deploy / remove commands (cloud layer; thin over `ops`).

Exit codes: 0 done (deploy: deployed or no changes), 1 refused, failed or cancelled, 2 the
command cannot run as given (no app, bad stage, no credentials...).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sst_lsp.cloud import ops
from sst_lsp.cloud.aws import CloudError, Connection
from sst_lsp.cloud.local import (
    LOCAL_LIMITS,
    LOCAL_SETTING,
    KeptEndpoint,
    LocalEndpoint,
    is_moto_endpoint,
    kept_endpoints,
    read_kept,
    start_kept,
    stop_kept,
)
from sst_lsp.cloud.naming import stage_name_problem
from sst_lsp.cloud.outputs import format_outputs
from sst_lsp.cloud.reporter import TerminalReporter
from sst_lsp.cloud.synth import format_text as synth_text


def run(args: argparse.Namespace) -> int:
    """Runs the command; with ``--format json`` stdout always gets one JSON object, whatever
    fails (a bad stage, no app, a config error, no credentials, a crash)."""
    fmt = getattr(args, "format", "text")
    try:
        return _run(args)
    except (ops.OpsError, CloudError) as e:
        if fmt == "json":
            print(json.dumps(_failure_json(args, str(e)), indent=2))
        print(f"sst-lsp: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if fmt == "json":
            print(json.dumps(_failure_json(args, "interrupted"), indent=2))
        raise
    except Exception as e:
        if fmt != "json":
            raise
        # The CLI's last guard prints the line and logs the traceback; the JSON comes first.
        print(json.dumps(_failure_json(args, f"internal error: {type(e).__name__}: {e}"), indent=2))
        raise


def _failure_json(args: argparse.Namespace, message: str) -> dict[str, Any]:
    """The JSON a command prints when it cannot run: synth's shape (``SynthResult.to_json``)
    for synth, ``{status: "failed", message}`` for the others."""
    if args.command != "synth":
        return {"status": "failed", "message": message, "stage": getattr(args, "stage", None)}
    from sst_lsp.cloud.synth import SynthResult

    out = Path(args.out) if getattr(args, "out", None) else Path(args.app) / ".sst-lsp" / "cdk.out" / str(args.stage)
    res = SynthResult(
        app="", out_dir=out.resolve(), mode=args.synth_mode or "embedded", stage=str(args.stage), ok=False, error=message
    )
    return res.to_json()


def _run(args: argparse.Namespace) -> int:
    problem = stage_name_problem(args.stage)
    if problem:
        raise ops.OpsError(problem)
    app = ops.find_app(Path(args.app))
    mode = args.synth_mode or "embedded"
    fmt = getattr(args, "format", "text")
    # Synth's summary already lists warnings and skipped constructs: the reporter keeps quiet.
    reporter = TerminalReporter(yes=getattr(args, "yes", False), verbose=args.command != "synth")
    if args.command == "synth":
        out = Path(args.out) if args.out else None
        res = ops.synth(app, args.stage, mode=mode, out_dir=out, reporter=reporter)
        print(json.dumps(res.to_json(), indent=2) if fmt == "json" else synth_text(res))
        return 0 if res.ok else 1
    with _connection(args, app.root, app.region) as (conn, local):
        target = ops.Target(stage=args.stage, connection=conn)
        with _sigint(reporter):
            if args.command == "deploy":
                _, dres = ops.deploy(
                    app, target, reporter, stacks=args.stacks, yes=args.yes,
                    allow_data_loss=args.allow_data_loss, allow_partial=args.allow_partial, mode=mode,
                )
                if fmt == "json":
                    print(json.dumps(dres.to_json(), indent=2))
                else:
                    print(dres.to_text())
                code = 0 if dres.ok else 1
            elif args.command == "diff":
                _, diff_res = ops.diff(app, target, reporter, mode=mode)
                if fmt == "json":
                    print(json.dumps(diff_res.to_json(), indent=2))
                else:
                    print(diff_res.to_text())
                code = 0 if diff_res.status == "ok" else 1
            else:
                rres = ops.remove(app, target, reporter, yes=args.yes)
                _print_result(rres.to_json(), fmt, rres.message, None)
                code = 0 if rres.ok else 1
        if local is not None:
            if isinstance(local, KeptEndpoint):
                state = f"the stage's kept endpoint, pid {local.pid}; `sst-lsp local stop` ends it"
            else:
                state = f"kept running, pid {local.pid}" if args.keep else "stopped"
            url = local.url if isinstance(local, KeptEndpoint) else local.endpoint_url
            if fmt == "text":
                print(f"Local endpoint {url} ({state}): moto's server mode, where")
                print("\n".join(f"  - {line}" for line in LOCAL_LIMITS))
            else:
                print(f"local endpoint: {url} ({state})", file=sys.stderr)
        return code


def _print_result(data: dict[str, Any], fmt: str, message: str, outputs: dict[str, dict[str, str]] | None) -> None:
    if fmt == "json":
        print(json.dumps(data, indent=2))
        return
    print(message)
    if outputs:
        for line in format_outputs(outputs):
            print(line)


@contextlib.contextmanager
def _connection(
    args: argparse.Namespace, root: Path, app_region: str | None
) -> Iterator[tuple[Connection, LocalEndpoint | KeptEndpoint | None]]:
    """The connection the flags ask for. ``--local`` uses the stage's kept endpoint (``sst-lsp
    local start``) when it runs, else a fresh one (stopped at the end unless ``--keep``, which
    makes it the stage's kept endpoint); ``--endpoint-url local`` names the kept one; an
    ``--endpoint-url`` that is a moto server gets the local endpoint's treatment."""
    region = args.region or app_region
    if args.local or args.endpoint_url == LOCAL_SETTING:
        kept = read_kept(root, args.stage)
        if kept is None and args.endpoint_url == LOCAL_SETTING:
            raise ops.OpsError(
                f"No local endpoint runs for stage '{args.stage}': start one with "
                f"`sst-lsp local start --stage {args.stage}` (or pass --local)"
            )
        if kept is None and args.keep:
            kept, _ = start_kept(root, args.stage)
        if kept is not None:
            yield kept.connection(region or "us-east-1"), kept
            return
        local = LocalEndpoint(keep=False)
        local.start()
        try:
            yield Connection(region=region or "us-east-1", endpoint_url=local.endpoint_url, local=True), local
        finally:
            local.stop()
        return
    if args.endpoint_url and is_moto_endpoint(args.endpoint_url):
        # A moto server (a kept one, or the user's own): the same adaptations as --local.
        yield Connection(region=region or "us-east-1", endpoint_url=args.endpoint_url, local=True), None
        return
    yield Connection(profile=args.profile, region=region, endpoint_url=args.endpoint_url), None


def run_local(args: argparse.Namespace) -> int:
    """``sst-lsp local start|stop|status``: one kept moto server per stage of an app."""
    try:
        if args.stage is not None:
            problem = stage_name_problem(args.stage)
            if problem:
                print(f"sst-lsp: {problem}", file=sys.stderr)
                return 2
        elif args.action != "status":
            print(f"sst-lsp: local {args.action} needs --stage", file=sys.stderr)
            return 2
        app = ops.find_app(Path(args.app))
        if args.action == "start":
            kept, started = start_kept(app.root, args.stage)
            data = {**kept.to_json(), "status": "started" if started else "running"}
            text = (
                f"Local endpoint for stage '{args.stage}' {'started' if started else 'already running'}: "
                f"{kept.url} (pid {kept.pid})\n"
                f"Use it with --endpoint-url local (or --local); `sst-lsp local stop --stage {args.stage}` ends it."
            )
            code = 0
        elif args.action == "stop":
            stopped = stop_kept(app.root, args.stage)
            data = {"stage": args.stage, "status": "stopped" if stopped else "not-running",
                    "url": stopped.url if stopped else None, "pid": stopped.pid if stopped else None}
            text = (
                f"Stopped the local endpoint of stage '{args.stage}' ({stopped.url}, pid {stopped.pid}); "
                "its state is gone"
                if stopped else f"No local endpoint runs for stage '{args.stage}'"
            )
            code = 0
        else:
            found = [read_kept(app.root, args.stage)] if args.stage else kept_endpoints(app.root)
            running = [k for k in found if k is not None]
            data = {"endpoints": [k.to_json() for k in running]}
            if running:
                text = "\n".join(f"stage '{k.stage}': {k.url} (pid {k.pid})" for k in running)
            else:
                text = f"No local endpoint runs{f' for stage {args.stage!r}' if args.stage else ''}"
            code = 0 if running or not args.stage else 1
    except (ops.OpsError, CloudError) as e:
        if args.format == "json":
            print(json.dumps({"status": "failed", "message": str(e)}, indent=2))
        print(f"sst-lsp: {e}", file=sys.stderr)
        return 2
    print(json.dumps(data, indent=2) if args.format == "json" else text)
    return code


@contextlib.contextmanager
def _sigint(reporter: TerminalReporter) -> Iterator[None]:
    """Ctrl-C asks the engine to stop at its next safe point; a second one interrupts."""
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: object) -> None:
        if reporter.cancelled:
            raise KeyboardInterrupt
        print("Cancelling at the next safe point (Ctrl-C again to interrupt)...", file=sys.stderr)
        reporter.cancel()

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # Not the main thread.
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
