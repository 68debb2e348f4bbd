"""Benchmark: embedded synth of a 10-stack app, cold process and warm worker (prints figures).

Generates an SST v1 app with N stacks (default 10), each holding a Table with a stream consumer,
an Api with 3 routes, a Queue with a consumer and a Cron (39 resources per stack), its handlers
under `srcPath: "services"` as SST v1's starter had them, then:

1. cold: a fresh Python process loads the model and synthesizes in-process (what the CLI does),
   timed from process start to exit, with the child's peak RSS;
2. worker: a `SynthWorker` is started and warmed (the language server does this once), then the
   same app is synthesized several times in that warm process; the median is reported, split
   into the parent's spec building and the worker's CDK time.

Target from the issue: repeated synths in the warm worker take well under a second; a warm
re-synth of one edited stack in a 10-stack app under 150 ms. Wall times grow with the load of a
shared machine: the CPU time of the whole synth (this process, the worker and its node child)
is printed beside them.

With `--esbuild PATH` (an esbuild binary you have; none is downloaded) the app gets it as
`node_modules/.bin/esbuild`, so node handlers are bundled as in a real SST app.

With `--wide` the app is an SST v2 app whose stacks also hold a Config.Secret, an EventBus rule
with a target function, a KinesisStream consumer and a Cognito pool with a trigger (67 resources
per stack).

Measured (2 cores shared, load 3.7-4.1, 7 runs): one stack edited, median 216 ms wall and
120 ms CPU before the merged manifest.json/tree.json were written compact, 81 ms wall and 82 ms
CPU after (json's `indent` runs its pure-Python encoder over every stack's tree).

Usage: python benchmarks/bench_synth.py [--stacks N] [--runs N] [--esbuild PATH] [--wide] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

STACK = """import {{ Api, Cron, Queue, StackContext, Table }} from "@serverless-stack/resources";

export function Stack{i}({{ stack }}: StackContext) {{
  const table = new Table(stack, "Table{i}", {{
    fields: {{ pk: "string", sk: "string" }},
    primaryIndex: {{ partitionKey: "pk", sortKey: "sk" }},
    stream: true,
    consumers: {{ indexer: "src/handler.main" }},
  }});
  const api = new Api(stack, "Api{i}", {{
    defaults: {{ function: {{ environment: {{ TABLE: table.tableName }}, permissions: [table] }} }},
    routes: {{
      "GET /items": "src/handler.main",
      "POST /items": "src/handler.main",
      "GET /items/{{id}}": "src/handler.main",
    }},
  }});
  new Queue(stack, "Queue{i}", {{ consumer: "src/handler.main" }});
  new Cron(stack, "Cron{i}", {{ schedule: "rate(1 hour)", job: "src/handler.main" }});
  stack.addOutputs({{ Url: api.url }});
}}
"""

#: With `--wide`: the constructs added later to the embedded synth too (Config, EventBus,
#: KinesisStream, Cognito with a trigger, outputs of their attributes).
STACK_WIDE = """import {{ Api, Config, Cron, EventBus, KinesisStream, Cognito, Queue, StackContext, Table }} from "sst/constructs";

export function Stack{i}({{ stack }}: StackContext) {{
  const KEY = new Config.Secret(stack, "KEY{i}");
  const table = new Table(stack, "Table{i}", {{
    fields: {{ pk: "string", sk: "string" }},
    primaryIndex: {{ partitionKey: "pk", sortKey: "sk" }},
    stream: true,
    consumers: {{ indexer: "services/src/handler.main" }},
  }});
  const api = new Api(stack, "Api{i}", {{
    defaults: {{ function: {{ bind: [table, KEY] }} }},
    routes: {{
      "GET /items": "services/src/handler.main",
      "POST /items": "services/src/handler.main",
      "GET /items/{{id}}": "services/src/handler.main",
    }},
  }});
  new Queue(stack, "Queue{i}", {{ consumer: "services/src/handler.main" }});
  new Cron(stack, "Cron{i}", {{ schedule: "rate(1 hour)", job: "services/src/handler.main" }});
  const bus = new EventBus(stack, "Bus{i}", {{
    rules: {{ r{i}: {{ pattern: {{ source: ["bench"] }}, targets: {{ t: "services/src/handler.main" }} }} }},
  }});
  const stream = new KinesisStream(stack, "Stream{i}", {{ consumers: {{ c: "services/src/handler.main" }} }});
  const auth = new Cognito(stack, "Auth{i}", {{ login: ["email"], triggers: {{ preSignUp: "services/src/handler.main" }} }});
  stack.addOutputs({{ Url: api.url, Bus: bus.eventBusName, Stream: stream.streamName, Pool: auth.userPoolId }});
}}
"""


def generate(root: Path, stacks: int, wide: bool = False) -> None:
    (root / "stacks").mkdir(parents=True)
    (root / "services" / "src").mkdir(parents=True)
    if wide:
        (root / "sst.config.ts").write_text(
            'import { SSTConfig } from "sst";\n'
            + "".join(f'import {{ Stack{i} }} from "./stacks/Stack{i}";\n' for i in range(stacks))
            + 'export default {\n  config() { return { name: "bench", region: "us-east-1" }; },\n'
            + '  stacks(app) {\n    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });\n'
            + "    app" + "".join(f".stack(Stack{i})" for i in range(stacks)) + ";\n  },\n} satisfies SSTConfig;\n"
        )
        (root / "services" / "package.json").write_text('{ "name": "services", "private": true }\n')
        (root / "services" / "src" / "handler.ts").write_text("export const main = async () => ({ statusCode: 200 });\n")
        for i in range(stacks):
            (root / "stacks" / f"Stack{i}.ts").write_text(STACK_WIDE.format(i=i))
        return
    (root / "sst.json").write_text('{"name": "bench", "region": "us-east-1", "main": "stacks/index.ts"}\n')
    (root / "services" / "src" / "handler.ts").write_text("export const main = async () => ({ statusCode: 200 });\n")
    imports = "\n".join(f'import {{ Stack{i} }} from "./Stack{i}";' for i in range(stacks))
    chain = "".join(f".stack(Stack{i})" for i in range(stacks))
    (root / "stacks" / "index.ts").write_text(
        f'{imports}\n\nexport default function main(app) {{\n'
        f'  app.setDefaultFunctionProps({{ runtime: "nodejs22.x", srcPath: "services" }});\n  app{chain};\n}}\n'
    )
    for i in range(stacks):
        (root / "stacks" / f"Stack{i}.ts").write_text(STACK.format(i=i))


COLD = """
import sys
from pathlib import Path
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.cloud.synth import synth_app
app = WorkspaceIndex([Path(sys.argv[1])]).snapshot().apps[0]
r = synth_app(app, "dev", Path(sys.argv[2]))
print(len(r.stacks), sum(s.resources for s in r.stacks), len(r.skipped))
"""


def tree_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) used so far by process `pid` and its descendants (the
    worker's jsii node child does most of the work), from /proc; None where there is none.
    Unlike wall time it does not grow when other processes share the cores."""
    proc = Path("/proc")
    if pid is None or not (proc / str(pid)).is_dir():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(d.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        cur = todo.pop()
        total += stats.get(cur, (0, 0.0))[1]
        todo.extend(child for child, (ppid, _) in stats.items() if ppid == cur)
    return total


def cold_run(app: Path, out: Path) -> tuple[float, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", COLD, str(app), str(out)], capture_output=True, text=True,
                          env=env, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"cold synth failed:\n{proc.stderr}")
    return elapsed, proc.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stacks", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the generated app and outputs")
    ap.add_argument("--esbuild", type=Path, default=None, help="an esbuild binary to bundle handlers with")
    ap.add_argument("--wide", action="store_true",
                    help="a v2 app whose stacks also hold Config, EventBus, KinesisStream and Cognito")
    args = ap.parse_args()

    from sst_lsp.cloud.synth import synth_app
    from sst_lsp.cloud.synth_spec import app_to_spec
    from sst_lsp.cloud.synth_worker import SynthWorker
    from sst_lsp.model.index import WorkspaceIndex

    tmp = Path(tempfile.mkdtemp(prefix="sst-lsp-bench-synth-"))
    try:
        app_dir = tmp / "app"
        generate(app_dir, args.stacks, args.wide)
        if args.esbuild is not None:
            (app_dir / "node_modules" / ".bin").mkdir(parents=True)
            (app_dir / "node_modules" / ".bin" / "esbuild").symlink_to(args.esbuild.resolve())
        print(f"app: {args.stacks} stacks in {app_dir}")

        # 1. Cold processes.
        cold: list[float] = []
        summary = ""
        for i in range(max(1, args.runs // 2)):
            t, summary = cold_run(app_dir, tmp / f"cold{i}")
            cold.append(t)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        n_stacks, n_res, n_skipped = summary.split()
        print(f"result: {n_stacks} stacks, {n_res} resources, {n_skipped} skipped")
        print(f"cold process (model + jsii start + synth + exit): "
              f"median {statistics.median(cold):.2f} s, runs {', '.join(f'{x:.2f}' for x in cold)}; "
              f"peak RSS of a child {rss_mb:.0f} MB")

        # 2. The warm worker, synthesizing one stage into one folder as the server does.
        index = WorkspaceIndex([app_dir])
        [app] = index.snapshot().apps
        out = tmp / "warm"
        with SynthWorker() as worker:
            t0 = time.perf_counter()
            worker.warm()
            print(f"worker start + warm-up: {time.perf_counter() - t0:.2f} s")
            t0 = time.perf_counter()
            synth_app(app, "dev", out, worker=worker)
            print(f"first synth in the worker: {time.perf_counter() - t0:.2f} s")
            spec_times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                app_to_spec(app, "dev")
                spec_times.append(time.perf_counter() - t0)

            def timed(label: str, prepare: Callable[[int], None], folder: Callable[[int], Path]) -> None:
                nonlocal app
                totals, reused, cpus = [], [], []
                for i in range(args.runs):
                    prepare(i)
                    [app] = index.snapshot().apps
                    c0 = tree_cpu(worker.pid)
                    own0 = time.process_time()
                    t0 = time.perf_counter()
                    r = synth_app(app, "dev", folder(i), worker=worker)
                    totals.append(time.perf_counter() - t0)
                    c1 = tree_cpu(worker.pid)
                    if c0 is not None and c1 is not None:
                        cpus.append(c1 - c0 + time.process_time() - own0)
                    reused.append(len(r.reused))
                cpu = f"; CPU (this process + worker + its node) median {statistics.median(cpus) * 1000:.0f} ms" \
                    if cpus else ""
                print(f"warm synth, {label}: median {statistics.median(totals) * 1000:.0f} ms, "
                      f"runs {', '.join(f'{x * 1000:.0f}' for x in totals)} ms "
                      f"(stacks reused: {', '.join(map(str, reused))}){cpu}")

            def edit_stack(i: int) -> None:
                path = app_dir / "stacks" / f"Stack{i % args.stacks}.ts"
                text = path.read_text()
                path.write_text(text.replace('rate(1 hour)', 'rate(2 hours)') if 'rate(1 hour)' in text
                                else text.replace('rate(2 hours)', 'rate(1 hour)'))
                index.file_changed(path)

            def touch_handler(i: int) -> None:
                handler = app_dir / "services" / "src" / "handler.ts"
                handler.write_text(handler.read_text() + f"export const edit{i} = {i};\n")

            timed("nothing changed", lambda i: None, lambda i: out)
            timed("one stack edited", edit_stack, lambda i: out)
            timed("the handler every stack ships edited", touch_handler, lambda i: out)
            timed("a new folder each time (every stack rebuilt)", lambda i: None, lambda i: tmp / f"fresh{i}")
            print(f"  spec building in the parent: median {statistics.median(spec_times) * 1000:.0f} ms")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
