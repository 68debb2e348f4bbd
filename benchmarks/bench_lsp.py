"""Benchmark: the language server as an editor sees it (prints figures; never pass/fail).

Drives the real server process (`python -m sst_lsp serve`) through pytest-lsp's LanguageClient
outside pytest, with VS Code's client capabilities and `sst.diagnostics.debounceMs = 0`:

1. keystroke -> publishDiagnostics in a 3,000-line stack file: 200 edits, each of which
   toggles one handler string between broken and fixed (so every edit changes the file's
   findings and the server publishes), timed from didChange to the publish carrying that
   document version: p50/p95/max, and the server process's CPU time per keystroke (from /proc);
2. textDocument/definition and textDocument/hover on handler strings: p50/p95 over 200 each;
3. full index of the synthetic monorepo (benchmarks/gen_monorepo.py): from `initialized` to the
   end of the indexing work-done progress (every app indexed, every diagnostic published);
4. an in-process profile of one analysis of the 3,000-line file through the analysis host, as
   the server drives it (index update, snapshot, analyzers, conversion; wall and CPU), to show
   where edit latency goes;
5. keystroke in a helper module -> publishDiagnostics: an app of 50 stacks that all import one
   helper module (a route map and a function taking `(stack, api)` that adds routes); each
   edit toggles a handler string of the helper between broken and fixed, so the helper's own
   diagnostics change, and the 50 stacks that use it are validated again: p50/p95/max; then
   the same edits in process (set_text + snapshot + analyzers), in wall and CPU time.

Targets from the issues: p95 under 10 ms edit->diagnostics, under 5 ms definition/hover,
under 50 ms edit in a helper module used by 50 stacks -> diagnostics.

Usage: python benchmarks/bench_lsp.py [--edits N] [--requests N] [--apps N --stacks N --routes N]
       [--skip-index] [--skip-helper | --only-helper]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from gen_monorepo import generate
from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

#: Handler files the big stack's routes point at.
HANDLERS = 100


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# ----------------------------------------------------------------------------------------------
# The 3,000-line stack file.
# ----------------------------------------------------------------------------------------------


def big_app(root: Path, lines: int = 3000) -> tuple[Path, list[int]]:
    """A v2 app whose one stack file has `lines` lines: Apis with many routes, Functions, Tables
    and Buckets. Returns the stack file and the line numbers of its route handler strings."""
    (root / "stacks").mkdir(parents=True)
    src = root / "packages" / "functions" / "src"
    src.mkdir(parents=True)
    for i in range(HANDLERS):
        (src / f"h{i:03d}.ts").write_text(
            f"export async function main(event: unknown) {{\n  return {{ statusCode: 200, body: \"h{i}\" }};\n}}\n",
            encoding="utf-8",
        )
    (root / "sst.config.ts").write_text(
        'import { SSTConfig } from "sst";\nimport { Big } from "./stacks/Big";\n\n'
        'export default {\n  config(_input) {\n    return { name: "big", region: "us-east-1" };\n  },\n'
        "  stacks(app) {\n    app.stack(Big);\n  },\n} satisfies SSTConfig;\n",
        encoding="utf-8",
    )
    out = ['import { Api, Bucket, Function, StackContext, Table } from "sst/constructs";', "",
           "export function Big({ stack }: StackContext) {"]
    route_lines: list[int] = []
    n = 0
    while len(out) < lines - 40:
        out += [
            f'  const table{n} = new Table(stack, "Table{n}", {{',
            '    fields: { pk: "string", sk: "string" },',
            '    primaryIndex: { partitionKey: "pk", sortKey: "sk" },',
            "  });",
            f'  new Bucket(stack, "Bucket{n}");',
            f'  new Function(stack, "Worker{n}", {{ handler: "packages/functions/src/h{n % HANDLERS:03d}.main" }});',
            f'  const api{n} = new Api(stack, "Api{n}", {{',
            f"    defaults: {{ function: {{ bind: [table{n}], timeout: 10 }} }},",
            "    routes: {",
        ]
        for k in range(40):
            route_lines.append(len(out))
            out.append(f'      "GET /a{n}/r{k:02d}/{{id}}": "packages/functions/src/h{(n * 40 + k) % HANDLERS:03d}.main",')
        out += ["    },", "  });", f"  stack.addOutputs({{ Url{n}: api{n}.url }});", ""]
        n += 1
    # One broken handler, so that opening the file publishes diagnostics.
    out += ['  new Function(stack, "Broken", { handler: "packages/functions/src/missing.main" });', "}", ""]
    path = root / "stacks" / "Big.ts"
    path.write_text("\n".join(out), encoding="utf-8")
    return path, route_lines


def helper_app(root: Path, stacks: int = 50, routes: int = 10) -> tuple[Path, list[int]]:
    """A v2 app of `stacks` stacks that all use one helper module. Returns the helper module
    and the line numbers of its handler strings."""
    (root / "stacks").mkdir(parents=True)
    src = root / "packages" / "functions" / "src"
    src.mkdir(parents=True)
    for i in range(HANDLERS):
        (src / f"h{i:03d}.ts").write_text(f"export async function main() {{\n  return \"h{i}\";\n}}\n", encoding="utf-8")
    names = [f"S{i:02d}" for i in range(stacks)]
    (root / "sst.config.ts").write_text(
        'import { SSTConfig } from "sst";\n'
        + "".join(f'import {{ {n} }} from "./stacks/{n}";\n' for n in names)
        + 'export default {\n  config() {\n    return { name: "helpers", region: "us-east-1" };\n  },\n'
        + "  stacks(app) {\n" + "".join(f"    app.stack({n});\n" for n in names) + "  },\n} satisfies SSTConfig;\n",
        encoding="utf-8",
    )
    helper = ['import { Api, Stack } from "sst/constructs";', "", 'export const SRC = "packages/functions/src";', "",
              "export const SHARED_ROUTES = {"]
    lines: list[int] = []
    for k in range(routes):
        lines.append(len(helper))
        helper.append(f'  "GET /shared/r{k:02d}": "packages/functions/src/h{k:03d}.main",')
    helper += ["};", "", "export function addCommonRoutes(stack: Stack, api: Api, prefix: string) {",
               "  api.addRoutes(stack, {"]
    for k in range(routes):
        lines.append(len(helper))
        helper.append(f'    [`GET /${{prefix}}/c{k:02d}`]: "packages/functions/src/h{(k + routes) % HANDLERS:03d}.main",')
    helper += ["  });", "}", ""]
    path = root / "stacks" / "helpers.ts"
    path.write_text("\n".join(helper), encoding="utf-8")
    for i, n in enumerate(names):
        body = ['import { Api, StackContext } from "sst/constructs";',
                'import { SHARED_ROUTES, SRC, addCommonRoutes } from "./helpers";', "",
                f"export function {n}({{ stack }}: StackContext) {{",
                f'  const api = new Api(stack, "Api{i}", {{', "    routes: {", "      ...SHARED_ROUTES,"]
        for k in range(routes):
            body.append(f'      "GET /{n.lower()}/r{k:02d}": `${{SRC}}/h{(i * routes + k) % HANDLERS:03d}.main`,')
        body += ["    },", "  });", f'  addCommonRoutes(stack, api, "{n.lower()}");', "}", ""]
        (root / "stacks" / f"{n}.ts").write_text("\n".join(body), encoding="utf-8")
    return path, lines


async def bench_helper_edits(helper: Path, handler_lines: list[int], edits: int) -> list[float]:
    """Keystrokes in a helper module used by every stack: didChange -> the helper's publish."""
    root = helper.parents[1]
    client = await start(root, {"diagnostics": {"debounceMs": 0}})
    uri = helper.as_uri()
    arrived = publishes(client, uri)
    lines = open_document(client, helper)
    # The helper has no diagnostic at first: wait for the first edit's publish instead.
    latencies: list[float] = []
    broken: set[int] = set()
    for i in range(edits + 1):
        ln = handler_lines[(i // 2 * 3) % len(handler_lines)]
        took = await toggle_main(client, uri, lines, ln, broken, i + 2, arrived)
        if i > 0:  # The first one includes indexing the app.
            latencies.append(took)
    await stop(client)
    return latencies


def profile_helper_edits(helper: Path, handler_lines: list[int], edits: int) -> dict[str, list[float]]:
    """The helper-module edits of `bench_helper_edits` in process: set_text, snapshot and the
    analyzers, in wall and CPU time (CPU stays meaningful when other work shares the cores).
    The heap is settled after each edit, untimed, as the server does once it has published."""
    from sst_lsp.analyzers import AnalysisContext, run_all
    from sst_lsp.model.index import WorkspaceIndex
    from sst_lsp.server.server import settle_heap

    root = helper.parents[1]
    index = WorkspaceIndex([root])
    text = helper.read_text(encoding="utf-8")
    index.set_text(helper, text)
    run_all(AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver))
    settle_heap()  # As the server does after its first index.
    lines = text.split("\n")
    broken: set[int] = set()
    out: dict[str, list[float]] = {"wall": [], "cpu": []}
    for i in range(edits):
        ln = handler_lines[(i // 2 * 3) % len(handler_lines)]
        if ln in broken:
            lines[ln] = lines[ln].replace(".mainx", ".main")
            broken.discard(ln)
        else:
            lines[ln] = lines[ln].replace(".main", ".mainx")
            broken.add(ln)
        t, c = time.perf_counter(), time.process_time()
        index.set_text(helper, "\n".join(lines))
        run_all(AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver))
        out["wall"].append((time.perf_counter() - t) * 1000)
        out["cpu"].append((time.process_time() - c) * 1000)
        settle_heap(full=False)  # As the server does after each analysis (not timed: after the publish).
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def fmt(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms  max {max(values):6.2f} ms"
            f"  (n={len(values)})")


# ----------------------------------------------------------------------------------------------
# Driving the server.
# ----------------------------------------------------------------------------------------------


async def start(folder: Path, settings: dict[str, Any]) -> Any:
    client = make_test_lsp_client()
    client.set_configuration(settings, section="sst")

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        return None

    # From the repository: `python -m` puts the working directory first on the path, so a run
    # started in another checkout would measure that checkout's server.
    await client.start_io(sys.executable, "-m", "sst_lsp", "serve", env=server_env(), cwd=str(REPO))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
        )
    )
    return client


def server_cpu(client: Any) -> float | None:
    """Seconds of CPU the server process used so far (user + system, from /proc; None where
    there is no /proc)."""
    try:
        with open(f"/proc/{client._server.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, ValueError, IndexError):
        return None


async def stop(client: Any) -> None:
    await client.shutdown_session()
    await client.stop()


async def wait_for(client: Any, check: Any, method: str = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                   timeout: float = 600) -> None:
    async def loop() -> None:
        while not check():
            await client.wait_for_notification(method)

    await asyncio.wait_for(loop(), timeout)


def publishes(client: Any, uri: str) -> dict[int, float]:
    """Version -> when the server's first publishDiagnostics for that version of `uri` arrived.
    Replaces pytest-lsp's own handler: the arrival time is taken as the message is handled."""
    arrived: dict[int, float] = {}

    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        if params.uri == uri and params.version is not None:
            arrived.setdefault(params.version, time.perf_counter())

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    return arrived


def open_document(client: Any, path: Path) -> list[str]:
    """Sends didOpen (version 1) for a TypeScript file; its lines."""
    text = path.read_text(encoding="utf-8")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="typescript", version=1, text=text)))
    return text.split("\n")


async def toggle_main(client: Any, uri: str, lines: list[str], ln: int, broken: set[int], version: int,
                      arrived: dict[int, float]) -> float:
    """Renames the `.main` export on line `ln` to `.mainx`, or back when `broken` says it was:
    sends the didChange as `version` and returns the milliseconds until its publish."""
    col = lines[ln].index(".main") + len(".main")
    if ln in broken:
        end, new = col + 1, ""
        broken.discard(ln)
    else:
        end, new = col, "x"
        broken.add(ln)
    rng = types.Range(start=types.Position(line=ln, character=col), end=types.Position(line=ln, character=end))
    sent = time.perf_counter()
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)]))
    await wait_for(client, lambda: version in arrived)
    return (arrived[version] - sent) * 1000


async def bench_edits(stack: Path, route_lines: list[int], edits: int, requests: int) -> dict[str, list[float]]:
    root = stack.parents[1]
    client = await start(root, {"diagnostics": {"debounceMs": 0}})
    uri = stack.as_uri()
    arrived = publishes(client, uri)
    t0 = time.perf_counter()
    lines = open_document(client, stack)
    await wait_for(client, lambda: 1 in arrived)
    first = (arrived[1] - t0) * 1000

    # Each edit renames one route's export `.main` <-> `.mainx`: every edit changes findings.
    latencies: list[float] = []
    broken: set[int] = set()
    cpu0 = server_cpu(client)
    for i in range(edits):
        ln = route_lines[(i // 2 * 7) % len(route_lines)]
        latencies.append(await toggle_main(client, uri, lines, ln, broken, i + 2, arrived))
    cpu1 = server_cpu(client)
    cpu = [(cpu1 - cpu0) * 1000 / max(edits, 1)] if cpu0 is not None and cpu1 is not None else []

    # Requests on handler strings (the file is back to its original text when `edits` is even).
    definition: list[float] = []
    hover: list[float] = []
    for i in range(requests):
        ln = route_lines[(i * 13) % len(route_lines)]
        pos = types.Position(line=ln, character=lines[ln].index("packages/") + 12)
        doc = types.TextDocumentIdentifier(uri=uri)
        t = time.perf_counter()
        got = await client.text_document_definition_async(types.DefinitionParams(text_document=doc, position=pos))
        definition.append((time.perf_counter() - t) * 1000)
        assert got, "definition found nothing"
        t = time.perf_counter()
        h = await client.text_document_hover_async(types.HoverParams(text_document=doc, position=pos))
        hover.append((time.perf_counter() - t) * 1000)
        assert h is not None, "hover found nothing"
    await stop(client)
    return {"open": [first], "edit": latencies, "definition": definition, "hover": hover, "cpu": cpu}


async def bench_index(root: Path) -> tuple[float, int]:
    client = await start(root, {})
    t0 = time.perf_counter()

    def ended() -> bool:
        return any(r and r[-1].kind == "end" for t, r in client.progress_reports.items() if str(t).startswith("sst-index-"))

    await wait_for(client, ended, method=types.PROGRESS)
    took = time.perf_counter() - t0
    published = sum(1 for d in client.diagnostics.values() if d)
    await stop(client)
    return took, published


# ----------------------------------------------------------------------------------------------
# In-process profile of one analysis.
# ----------------------------------------------------------------------------------------------


def profile_analysis(stack: Path, route_lines: list[int], rounds: int = 30) -> dict[str, list[float]]:
    """One analysis after each of `rounds` one-character edits, through the analysis host as
    the server drives it (its caches kept between edits), in parts; then the file's parse,
    reparse and extraction measured alone."""
    from sst_lsp.host.host import AnalysisHost
    from sst_lsp.model.extract import ExtractMemo, extract
    from sst_lsp.server.convert import Converter
    from sst_lsp.syntax.parser import lang_for_path, parse, reparse

    root = stack.parents[1]
    host = AnalysisHost([root])
    text = stack.read_text(encoding="utf-8")
    host.apply_change(stack, text, 1)
    host.analysis().findings()
    conv = Converter(host.read_text)
    times: dict[str, list[float]] = {k: [] for k in ("set_text", "snapshot", "analyzers", "convert", "total",
                                                       "total CPU", "reparse", "parse", "extract")}
    lines = text.split("\n")
    pf = parse(text, lang_for_path(stack) or "typescript")
    # As the index does: one memo per file, so unchanged constructs are reused between edits.
    memo = ExtractMemo()
    extract(pf, stack, memo)
    for i in range(rounds):
        ln = route_lines[(i * 7) % len(route_lines)]
        col = lines[ln].index(".main") + len(".main")
        new_lines = list(lines)
        new_lines[ln] = lines[ln][:col] + "x" + lines[ln][col:]
        new_text = "\n".join(new_lines)
        c0 = time.process_time()
        t0 = time.perf_counter()
        host.apply_change(stack, new_text, i + 2)
        t1 = time.perf_counter()
        analysis = host.analysis()
        t2 = time.perf_counter()
        findings = analysis.findings()
        t3 = time.perf_counter()
        for f in findings:
            conv.diagnostic(f)
        t4 = time.perf_counter()
        times["total CPU"].append((time.process_time() - c0) * 1000)
        for k, a, b in (("set_text", t0, t1), ("snapshot", t1, t2), ("analyzers", t2, t3), ("convert", t3, t4),
                        ("total", t0, t4)):
            times[k].append((b - a) * 1000)
        # The parts of the snapshot's work on this file, measured alone (reparse edits the
        # previous tree, as the index does: chain the parses).
        t5 = time.perf_counter()
        pf2 = reparse(pf, new_text)
        pf = pf2
        t6 = time.perf_counter()
        parse(new_text, pf.lang)
        t7 = time.perf_counter()
        extract(pf2, stack, memo)
        t8 = time.perf_counter()
        times["reparse"].append((t6 - t5) * 1000)
        times["parse"].append((t7 - t6) * 1000)
        times["extract"].append((t8 - t7) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="sst-lsp language server latencies")
    p.add_argument("--edits", type=int, default=200)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--apps", type=int, default=20)
    p.add_argument("--stacks", type=int, default=10)
    p.add_argument("--routes", type=int, default=25)
    p.add_argument("--skip-index", action="store_true", help="skip the monorepo indexing figure")
    p.add_argument("--helper-stacks", type=int, default=50, help="stacks using the edited helper module")
    p.add_argument("--only-helper", action="store_true", help="run the helper-module edit figure only")
    p.add_argument("--skip-helper", action="store_true", help="skip the helper-module edit figure")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="sst-lsp-bench-lsp-"))
    try:
        if not args.skip_helper:
            helper, helper_lines = helper_app(tmp / "helpers", args.helper_stacks)
            got_helper = asyncio.run(bench_helper_edits(helper, helper_lines, args.edits))
            print(f"keystroke in a helper used by {args.helper_stacks} stacks -> publishDiagnostics: {fmt(got_helper)}")
            prof_helper = profile_helper_edits(helper, helper_lines, args.edits)
            print(f"  in process (set_text + snapshot + analyzers), wall: {fmt(prof_helper['wall'])}")
            print(f"  in process (set_text + snapshot + analyzers), CPU:  {fmt(prof_helper['cpu'])}")
            print(f"  load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        if args.only_helper:
            return 0
        stack, route_lines = big_app(tmp / "big")
        n_lines = stack.read_text(encoding="utf-8").count("\n")
        print(f"stack file: {n_lines} lines, {len(route_lines)} routes, {HANDLERS} handler files")
        got = asyncio.run(bench_edits(stack, route_lines, args.edits, args.requests))
        print(f"open -> first publishDiagnostics:        {got['open'][0]:8.1f} ms")
        print(f"keystroke -> publishDiagnostics (debounce 0): {fmt(got['edit'])}")
        if got["cpu"]:
            print(f"  server CPU per keystroke (mean):       {got['cpu'][0]:8.2f} ms  (load {os.getloadavg()[0]:.2f})")
        print(f"textDocument/definition:                 {fmt(got['definition'])}")
        print(f"textDocument/hover:                      {fmt(got['hover'])}")
        prof = profile_analysis(stack, route_lines)
        print("in-process (the analysis host, as the server drives it), one analysis after a one-character edit "
              "(p50 / p95 ms):")
        for k, v in prof.items():
            print(f"  {k:10s} {pct(v, 50):7.2f} / {pct(v, 95):7.2f}")
        if not args.skip_index:
            mono = tmp / "mono"
            counts = generate(mono, args.apps, args.stacks, args.routes)
            took, published = asyncio.run(bench_index(mono))
            print(f"index monorepo ({counts['apps']} apps, {counts['stacks']} stacks, {counts['routes']} routes, "
                  f"{counts['handler_files']} handler files): {took:.2f} s to progress end, "
                  f"{published} files with diagnostics")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
