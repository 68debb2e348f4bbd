"""The `sst-lsp` command line: serve | check | synth | diff | deploy | remove | local.

Thin: parse arguments, call the layers, print. Exit codes: 0 success (check: no errors),
1 findings or a failed/refused operation, 2 usage or internal error. No traceback reaches the
user: unexpected errors print one line (the traceback goes to the log with --verbose).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sst_lsp import __version__, logs


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the terminal width looked up once: argparse builds one per
    argument it adds, each asking the terminal again (a tenth of a small check's time)."""

    _columns: int | None = None

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            if _Formatter._columns is None:
                _Formatter._columns = _terminal_columns()
            width = _Formatter._columns - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    """What `shutil.get_terminal_size().columns` answers (without importing shutil)."""
    try:
        cols = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        cols = 0
    if cols <= 0:
        try:
            cols = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            cols = 0
    return cols if cols > 0 else 80


class _Parser(argparse.ArgumentParser):
    #: Set on a top-level parser built with one command only: its usage names them all.
    partial = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        (build_parser() if self.partial else self).print_usage(sys.stderr)
        print(f"sst-lsp: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _add_cloud_args(p: argparse.ArgumentParser, deploy: bool = False) -> None:
    p.add_argument("app", nargs="?", default=".", help="the app directory (default: current directory)")
    p.add_argument("--stage", required=True, help="the stage to work on, e.g. dev")
    p.add_argument("--region", help="AWS region (default: the app's region, then the AWS config)")
    p.add_argument("--profile", help="AWS profile from ~/.aws/config")
    ep = p.add_mutually_exclusive_group()
    ep.add_argument("--endpoint-url", help="a CloudFormation-compatible endpoint (e.g. a local moto server)")
    ep.add_argument("--local", action="store_true", help="start a local AWS endpoint (moto) on 127.0.0.1")
    p.add_argument("--keep", action="store_true", help="with --local: keep the local endpoint running")
    p.add_argument("--synth-mode", choices=["embedded", "project"], default=None,
                   help="embedded (default): sst-lsp's own synth; project: run the app's own toolchain")
    p.add_argument("--format", choices=["text", "json"], default="text")
    if deploy:
        p.add_argument("--stacks", nargs="+", help="only these stacks (ids or full names)")
        p.add_argument("--yes", action="store_true", help="do not ask (protected stages included)")
        p.add_argument("--allow-data-loss", action="store_true",
                       help="deploy even when stateful resources would be removed or replaced")
        p.add_argument("--allow-partial", action="store_true",
                       help="deploy even when the synth left constructs out (what of them is deployed is deleted)")


def _serve_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead")


def _check_args(c: argparse.ArgumentParser) -> None:
    c.add_argument("paths", nargs="*", default=["."], help="directories or files (default: .)")
    c.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    c.add_argument("--stats", action="store_true", help="print counts, including unresolvable handlers")
    c.add_argument("--baseline", default=None,
                   help="compare stateful constructs with git:REF, assembly:PATH or stage:NAME")
    c.add_argument("--baseline-required", action="store_true",
                   help="exit 2 when the baseline cannot be loaded for an app (CI: no unchecked pass)")
    c.add_argument("--stage", default="dev", help="stage used for physical names in messages")
    c.add_argument("--exclude", action="append", default=[], help="glob of directories to skip")
    c.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the cache in each app's .sst-lsp/cache/")


def _cache_args(ca: argparse.ArgumentParser) -> None:
    ca_sub = ca.add_subparsers(dest="cache_command", parser_class=_Parser)
    cc = ca_sub.add_parser("clean", help="delete the cache of every SST app under the paths")
    cc.add_argument("paths", nargs="*", default=["."], help="directories (default: .)")


def _synth_args(sy: argparse.ArgumentParser) -> None:
    sy.add_argument("app", nargs="?", default=".")
    sy.add_argument("--stage", required=True)
    sy.add_argument("--out", help="output directory (default: <app>/.sst-lsp/cdk.out/<stage>)")
    sy.add_argument("--synth-mode", choices=["embedded", "project"], default=None)
    sy.add_argument("--format", choices=["text", "json"], default="text")


def _remove_args(rm: argparse.ArgumentParser) -> None:
    _add_cloud_args(rm)
    rm.add_argument("--yes", action="store_true", help="do not ask (protected stages included)")


def _local_args(lo: argparse.ArgumentParser) -> None:
    lo.add_argument("action", choices=["start", "stop", "status"])
    lo.add_argument("app", nargs="?", default=".", help="the app directory (default: current directory)")
    lo.add_argument("--stage", help="the stage (status without it: every stage of the app)")
    lo.add_argument("--format", choices=["text", "json"], default="text")


#: The commands, in the order help lists them: (name, help, what adds its arguments).
COMMANDS: tuple[tuple[str, str, Any], ...] = (
    ("serve", "run the language server (stdio by default)", _serve_args),
    ("check", "report problems in SST apps (exit 1 when errors are found)", _check_args),
    ("cache", "manage the check cache (.sst-lsp/cache/ in each app)", _cache_args),
    ("synth", "synthesize CloudFormation templates (a cloud assembly)", _synth_args),
    ("diff", "compare the synthesized app with a deployed stage", _add_cloud_args),
    ("deploy", "deploy a stage (change sets, data-loss gate)", lambda p: _add_cloud_args(p, deploy=True)),
    ("remove", "remove a stage's stacks", _remove_args),
    ("local", "keep one local AWS endpoint (moto) running for a stage", _local_args),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only` (a command's name), just the parser of that command
    under the top-level options (what parsing `sst-lsp only ...` needs: building every
    command's arguments is a tenth of a warm check's time)."""
    parser = _Parser(prog="sst-lsp", description="Language server, checker and deploy tool for SST apps.")
    parser.add_argument("--version", action="version", version=f"sst-lsp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.partial = only is not None
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name, help_text, add_args in COMMANDS:
        if only is None or name == only:
            add_args(sub.add_parser(name, help=help_text))
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command `argv` names, when it is the first argument (after `-v`): only then do the
    top-level parser's messages (which list every command) stay out of the way."""
    args = list(argv[1:] if argv[:1] in (["-v"], ["--verbose"]) else argv)
    return args[0] if args and any(args[0] == name for name, _, _ in COMMANDS) else None


#: The last `check` result, kept alive past `_check` so that `entry` can end the process without
#: freeing it (a 200,000-route app's facts take over half a second to free, for nothing).
_kept: object = None


def entry() -> NoReturn:
    """The `sst-lsp` executable: `main`, then, after a `check`, a hard exit once the output is
    flushed (as mypy does), skipping the teardown of everything the check built."""
    rc = main()
    if _kept is None:
        sys.exit(rc)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(rc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_command_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    # `check` loads `logging` only when it builds an app (see sst_lsp/logs.py).
    logs.configure(args.verbose, defer=args.command == "check")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "serve":
            from sst_lsp.server.factory import run_server

            return run_server(tcp=args.tcp)
        if args.command == "check":
            return _check(args)
        if args.command == "cache":
            return _cache(args, parser)
        from sst_lsp.cloud import cli_ops

        if args.command == "local":
            return int(cli_ops.run_local(args))
        return int(cli_ops.run(args))
    except KeyboardInterrupt:
        print("sst-lsp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # The last guard: one line, no traceback (unless --verbose).
        import logging

        logging.getLogger("sst_lsp").debug("internal error", exc_info=True)
        print(f"sst-lsp: internal error: {e.__class__.__name__}: {e}", file=sys.stderr)
        return 2


def _check(args: argparse.Namespace) -> int:
    from sst_lsp.check import render_json, render_sarif, render_stats, render_text, run_check

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"sst-lsp: error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    from sst_lsp.stage_name import stage_name_problem

    problem = stage_name_problem(args.stage)
    if problem is not None:
        print(f"sst-lsp: error: {problem}", file=sys.stderr)
        return 2
    if args.baseline_required and (not args.baseline or args.baseline.strip() in ("off", "none")):
        print("sst-lsp: error: --baseline-required needs --baseline git:REF, assembly:PATH or stage:NAME",
              file=sys.stderr)
        return 2
    if args.baseline:
        from sst_lsp.baseline import parse_spec

        spec = parse_spec(args.baseline)
        if isinstance(spec, str):  # A malformed spec is a usage error, required or not.
            print(f"sst-lsp: error: {spec}", file=sys.stderr)
            return 2
    global _kept
    res = run_check(paths, baseline=args.baseline, stage=args.stage, exclude=args.exclude,
                    use_cache=not args.no_cache)
    _kept = res
    if args.format == "json":
        out = render_json(res)
    elif args.format == "sarif":
        out = render_sarif(res)
    else:
        out = render_text(res, stats=args.stats)
    print(out)
    if args.stats and args.format != "text":
        # JSON and SARIF stay machine-readable on stdout; the counts go to stderr.
        print(render_stats(res), file=sys.stderr)
    if res.apps == 0:
        print("note: no SST app found (looked for sst.json and sst.config.ts/js/mjs)", file=sys.stderr)
    if args.baseline_required and res.baseline_problems:
        for p in res.baseline_problems:
            print(f"sst-lsp: error: baseline {args.baseline} cannot be loaded: {p}", file=sys.stderr)
        hint = ("; a shallow CI clone needs the history the ref names (e.g. `fetch-depth: 0`)"
                if args.baseline.strip().startswith("git") else "")
        print(f"sst-lsp: error: stateful changes were not checked (--baseline-required){hint}", file=sys.stderr)
        return 2
    return 1 if res.errors else 0


def _cache(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.cache_command != "clean":
        print("sst-lsp: error: say what to do with the cache: sst-lsp cache clean [PATH ...]", file=sys.stderr)
        return 2
    from sst_lsp.cache import clean
    from sst_lsp.model.discover import discover_apps

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_dir()]
    if missing:
        print(f"sst-lsp: error: no such directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    roots = {a.root for p in paths for a in discover_apps(p.resolve())}
    removed = clean(sorted(roots))
    for d in removed:
        print(f"removed {d}")
    if not removed:
        print("no cache to remove" if roots else "note: no SST app found (looked for sst.json and sst.config.ts/js/mjs)")
    return 0
