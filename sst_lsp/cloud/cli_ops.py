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
from sst_lsp.cloud.local import LOCAL_LIMITS, LocalEndpoint
from sst_lsp.cloud.naming import stage_name_problem
from sst_lsp.cloud.outputs import format_outputs
from sst_lsp.cloud.reporter import TerminalReporter
from sst_lsp.cloud.synth import format_text as synth_text


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ops.OpsError, CloudError) as e:
        print(f"sst-lsp: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    problem = stage_name_problem(args.stage)
    if problem:
        print(f"sst-lsp: {problem}", file=sys.stderr)
        return 2
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
    with _connection(args, app.region) as (conn, local):
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
            state = f"kept running, pid {local.pid}" if args.keep else "stopped"
            if fmt == "text":
                print(f"Local endpoint {local.endpoint_url} ({state}): moto's server mode, where")
                print("\n".join(f"  - {line}" for line in LOCAL_LIMITS))
            else:
                print(f"local endpoint: {local.endpoint_url} ({state})", file=sys.stderr)
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
def _connection(args: argparse.Namespace, app_region: str | None) -> Iterator[tuple[Connection, LocalEndpoint | None]]:
    region = args.region or app_region
    if args.local:
        local = LocalEndpoint(keep=args.keep)
        local.start()
        try:
            yield Connection(region=region or "us-east-1", endpoint_url=local.endpoint_url, local=True), local
        finally:
            if not args.keep:
                local.stop()
        return
    yield Connection(profile=args.profile, region=region, endpoint_url=args.endpoint_url), None


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
