"""A handler that resolves outside the app root (issue 13): synth skips that function with the
reason `check` gives (handler-outside-app) instead of crashing with a ValueError."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sst_lsp.cloud.synth_spec import app_to_spec, iter_functions
from sst_lsp.model.index import WorkspaceIndex

REPO = Path(__file__).resolve().parents[2]

STACK = """\
import { Cron, Function, StackContext } from "@serverless-stack/resources";

const shared = (name: string) => `../shared/${name}`;

export function Jobs({ stack }: StackContext) {
  new Function(stack, "Worker", { handler: "src/worker.handler" });
  new Function(stack, "Shared", { handler: "../shared/report.handler" });
  new Cron(stack, "Nightly", {
    schedule: "rate(1 day)",
    job: { function: { srcPath: "../py", runtime: "python3.9", handler: "nightly.run" } },
  });
}
"""


def write_app(tmp_path: Path) -> Path:
    """A v1 app in a monorepo whose stacks point at code next to (not inside) the app."""
    root = tmp_path / "apps" / "jobs"
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "sst.json").write_text(json.dumps({"name": "jobs", "region": "us-east-1", "main": "stacks/index.ts"}))
    (root / "stacks" / "index.ts").write_text(
        'import * as sst from "@serverless-stack/resources";\nimport { Jobs } from "./Jobs";\n\n'
        "export default function main(app: sst.App) {\n  app.stack(Jobs);\n}\n"
    )
    (root / "stacks" / "Jobs.ts").write_text(STACK)
    (root / "src" / "worker.ts").write_text("export async function handler() {\n  return 1;\n}\n")
    (tmp_path / "apps" / "shared").mkdir()
    (tmp_path / "apps" / "shared" / "report.ts").write_text("export const handler = async () => 2;\n")
    (tmp_path / "apps" / "py").mkdir()
    (tmp_path / "apps" / "py" / "nightly.py").write_text("def run(event, context):\n    return None\n")
    return root


def test_spec_skips_functions_outside_the_app(tmp_path: Path) -> None:
    root = write_app(tmp_path)
    [app] = WorkspaceIndex([root]).snapshot().apps
    spec = app_to_spec(app, "dev")
    reasons = {s["id"]: s["reason"] for s in spec["skipped"]}
    assert {"Shared", "Nightly/Job"} <= set(reasons), spec["skipped"]
    assert "resolves outside the app root" in reasons["Shared"]
    assert "handler-outside-app" in reasons["Nightly/Job"]
    # The function inside the app is still built.
    assert [f["id"] for f in iter_functions(spec)] == ["Worker"]


def test_spec_skips_outside_handlers_when_bundling(tmp_path: Path) -> None:
    root = write_app(tmp_path)
    [app] = WorkspaceIndex([root]).snapshot().apps
    spec = app_to_spec(app, "dev", esbuild="/usr/bin/esbuild-not-run")
    assert {"Shared", "Nightly/Job"} <= {s["id"] for s in spec["skipped"]}


@pytest.mark.slow
def test_cli_synth_lists_the_outside_handler_and_exits_0(tmp_path: Path) -> None:
    root = write_app(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "synth", str(root), "--stage", "dev", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is True
    assert {"Shared", "Nightly/Job"} <= {s["id"] for s in data["skipped"]}
    assert data["summary"]["resources"] > 0
    # The state folder ignores itself in git.
    assert (root / ".sst-lsp" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
