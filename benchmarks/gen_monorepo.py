"""Generates a synthetic SST monorepo for benchmarks (no pass/fail: figures only).

Shape (defaults): 20 apps, 10 stacks per app (200), 25 routes per stack (5,000), one handler
file per route (5,000), half the apps TypeScript v2 (`sst.config.ts`, handlers in
packages/functions), half JavaScript v1 (`sst.json`, `stacks/index.js`, `srcPath`). A few
handlers are deliberately broken so the checker has something to report.

Usage: python benchmarks/gen_monorepo.py [DEST] [--apps N] [--stacks N] [--routes N]
Without DEST it writes into a new temporary directory and prints its path.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def gen_app(root: Path, index: int, stacks: int, routes: int) -> int:
    """One app; returns the number of handler files written."""
    ts = index % 2 == 0
    ext = "ts" if ts else "js"
    name = f"app{index:02d}"
    files = 0
    stack_names = [f"Stack{j:02d}" for j in range(stacks)]
    if ts:
        imports = "\n".join(f'import {{ {s} }} from "./stacks/{s}";' for s in stack_names)
        chain = "\n".join(f"      .stack({s})" for s in stack_names)
        _write(root / "sst.config.ts", f'''import type {{ SSTConfig }} from "sst";
{imports}

export default {{
  config(_input) {{
    return {{ name: "{name}", region: "us-east-1" }};
  }},
  stacks(app) {{
    app.setDefaultFunctionProps({{ runtime: "nodejs18.x" }});
    app
{chain};
  }},
}} satisfies SSTConfig;
''')
    else:
        _write(root / "sst.json", f'{{ "name": "{name}", "region": "us-east-1", "main": "stacks/index.js" }}\n')
        imports = "\n".join(f'import {{ {s} }} from "./{s}";' for s in stack_names)
        regs = "\n".join(f"  app.stack({s});" for s in stack_names)
        _write(root / "stacks" / "index.js", f'''{imports}

export default function main(app) {{
  app.setDefaultFunctionProps({{ runtime: "nodejs16.x", srcPath: "services" }});
{regs}
}}
''')
    for j, s in enumerate(stack_names):
        lines = []
        base = "packages/functions/src" if ts else "functions"
        for k in range(routes):
            rel = f"{s.lower()}/route{k:03d}"
            export = "handler" if ts else "main"
            # One broken handler in every stack: an export that does not exist.
            wanted = "nothere" if k == routes - 1 else export
            lines.append(f'      "GET /{s.lower()}/r{k:03d}/{{id}}": "{base}/{rel}.{wanted}",')
            hdir = root / ("packages/functions/src" if ts else "services/functions")
            if ts:
                _write(hdir / f"{rel}.ts",
                       f'export const handler = async (event: unknown) => ({{ statusCode: 200, body: "{rel}" }});\n')
            else:
                _write(hdir / f"{rel}.js",
                       f'exports.main = async (event) => ({{ statusCode: 200, body: "{rel}" }});\n')
            files += 1
        routes_text = "\n".join(lines)
        if ts:
            body = f'''import {{ Api, StackContext, Table }} from "sst/constructs";

export function {s}({{ stack }}: StackContext) {{
  const table = new Table(stack, "Table", {{
    fields: {{ pk: "string", sk: "string" }},
    primaryIndex: {{ partitionKey: "pk", sortKey: "sk" }},
  }});
  const api = new Api(stack, "Api", {{
    defaults: {{ function: {{ bind: [table], timeout: 10 }} }},
    routes: {{
{routes_text}
    }},
  }});
  stack.addOutputs({{ url: api.url }});
  return {{ api, table }};
}}
'''
        else:
            body = f'''import * as sst from "@serverless-stack/resources";

export function {s}({{ stack }}) {{
  const table = new sst.Table(stack, "Table", {{
    fields: {{ pk: "string", sk: "string" }},
    primaryIndex: {{ partitionKey: "pk", sortKey: "sk" }},
  }});
  const api = new sst.Api(stack, "Api", {{
    defaults: {{ function: {{ environment: {{ TABLE: table.tableName }} }} }},
    routes: {{
{routes_text}
    }},
  }});
  return {{ api, table }};
}}
'''
        _write(root / "stacks" / f"{s}.{ext}", body)
    return files


def generate(dest: Path, apps: int = 20, stacks: int = 10, routes: int = 25) -> dict[str, int]:
    """Writes the monorepo below `dest`; returns its counts."""
    dest.mkdir(parents=True, exist_ok=True)
    _write(dest / "package.json", '{ "name": "bench-monorepo", "private": true }\n')
    handlers = 0
    for i in range(apps):
        handlers += gen_app(dest / "apps" / f"app{i:02d}", i, stacks, routes)
    return {"apps": apps, "stacks": apps * stacks, "routes": apps * stacks * routes, "handler_files": handlers}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dest", nargs="?", help="output directory (default: a new temporary directory)")
    p.add_argument("--apps", type=int, default=20)
    p.add_argument("--stacks", type=int, default=10, help="stacks per app")
    p.add_argument("--routes", type=int, default=25, help="routes per stack")
    args = p.parse_args(argv)
    dest = Path(args.dest) if args.dest else Path(tempfile.mkdtemp(prefix="sst-lsp-bench-"))
    counts = generate(dest, args.apps, args.stacks, args.routes)
    print(dest)
    print(", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
