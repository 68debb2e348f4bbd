"""No partial deploys (issue 11): a synth that left constructs out refuses the deploy before
anything changes, unless --allow-partial (never implied by --yes); diff shows the deployed
resources of a left-out construct as "not modeled". CLI against a kept local endpoint (moto's
server mode on 127.0.0.1), plus the pure pieces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sst_lsp.cloud.local import KeptEndpoint, start_kept, stop_kept
from sst_lsp.cloud.partial import LeftOut, left_out, not_modeled_ids, refusal_message
from sst_lsp.cloud.synth import SkippedConstruct, StackResult, SynthResult

REPO = Path(__file__).resolve().parents[2]

JOBS = """\
import { Cron, Function, StaticSite, StackContext } from "@serverless-stack/resources";

export function Jobs({ stack }: StackContext) {
  const worker = new Function(stack, "Worker", { handler: "src/worker.handler" });
  new Cron(stack, "Nightly", { schedule: "rate(1 day)", job: "src/worker.nightly" });
  stack.addOutputs({ WorkerName: worker.functionName });
  // SITE
}
"""


def write_app(root: Path, *, site: bool) -> Path:
    """An SST v1 app: a function and a cron job, and (``site``) a static site, which the
    embedded synth leaves out (a frontend needs the app's own build)."""
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "src").mkdir(exist_ok=True)
    (root / "sst.json").write_text(json.dumps({"name": "jobs", "region": "us-east-1", "main": "stacks/index.ts"}))
    (root / "stacks" / "index.ts").write_text(
        'import * as sst from "@serverless-stack/resources";\nimport { Jobs } from "./Jobs";\n\n'
        "export default function main(app: sst.App) {\n  app.stack(Jobs);\n}\n"
    )
    jobs = JOBS.replace("  // SITE\n", '  new StaticSite(stack, "Web", { path: "web" });\n' if site else "")
    (root / "stacks" / "Jobs.ts").write_text(jobs)
    (root / "src" / "worker.ts").write_text(
        "export async function handler() {\n  return 1;\n}\n\nexport const nightly = async () => 0;\n"
    )
    (root / "web").mkdir(exist_ok=True)
    (root / "web" / "index.html").write_text("<h1>jobs</h1>\n")
    return root


# -- pure ----------------------------------------------------------------------------------------


def synth_result(skipped: list[SkippedConstruct]) -> SynthResult:
    return SynthResult(
        app="jobs", out_dir=Path("x"), mode="embedded", stage="dev",
        stacks=[StackResult("Jobs", "dev-jobs-Jobs", Path("t"), 3), StackResult("Web", "dev-jobs-Web", Path("u"), 1)],
        skipped=skipped,
    )


def test_left_out_names_full_stacks_and_follows_the_stack_selection() -> None:
    res = synth_result([
        SkippedConstruct("StaticSite", "Web", "Jobs", "not modeled by the embedded synth (use synth mode `project`)"),
        SkippedConstruct("Function", "Fn", "Web", "cannot find a handler file for \"src/x.main\" in ."),
    ])
    items = left_out(res, "dev", "jobs")
    assert [(o.id, o.stack) for o in items] == [("Web", "dev-jobs-Jobs"), ("Fn", "dev-jobs-Web")]
    assert [o.id for o in left_out(res, "dev", "jobs", ["Jobs"])] == ["Web"]
    assert [o.id for o in left_out(res, "dev", "jobs", ["dev-jobs-Web"])] == ["Fn"]
    text = refusal_message(items)
    assert text.startswith("Refused: the synth left out 2 construct(s)")
    assert 'StaticSite "Web" (stack dev-jobs-Jobs): not modeled' in text
    assert "what to do: deploy with --synth-mode project" in text
    assert "what to do: fix the handler path" in text
    assert text.endswith("or pass --allow-partial to deploy the rest anyway.")
    assert '"Deploy without them"' in refusal_message(items, editor=True)


def test_not_modeled_ids_follow_the_construct_path() -> None:
    deployed = {
        "Resources": {
            "WorkerABC": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:cdk:path": "dev-jobs-Jobs/Worker/Resource"}},
            "WorkerRole": {"Type": "AWS::IAM::Role", "Metadata": {"aws:cdk:path": "dev-jobs-Jobs/Worker/ServiceRole/Resource"}},
            "Worker2": {"Type": "AWS::IAM::Role", "Metadata": {"aws:cdk:path": "dev-jobs-Jobs/Worker2/Resource"}},
            "Other": {"Type": "AWS::SQS::Queue"},
        }
    }
    item = LeftOut("Function", "Worker", "dev-jobs-Jobs", "r")
    assert set(not_modeled_ids(deployed, [item], "dev-jobs-Jobs")) == {"WorkerABC", "WorkerRole"}
    assert not_modeled_ids(deployed, [item], "dev-jobs-Other") == {}


# -- CLI against one kept endpoint -------------------------------------------------------------


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[tuple[Path, KeptEndpoint]]:
    root = tmp_path / "jobs"
    root.mkdir()
    endpoint, _ = start_kept(root, "dev")
    try:
        yield root, endpoint
    finally:
        stop_kept(root, "dev")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "PYTHONPATH": str(REPO),
        "AWS_CONFIG_FILE": str(cwd / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run([sys.executable, "-m", "sst_lsp", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600, check=False)


def stacks_on(endpoint: KeptEndpoint) -> list[str]:
    cf: Any = boto3.client("cloudformation", endpoint_url=endpoint.url, region_name="us-east-1",
                           aws_access_key_id="t", aws_secret_access_key="t")
    return sorted(s["StackName"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE")


@pytest.mark.slow
def test_cli_refuses_a_partial_deploy_even_with_yes(kept: tuple[Path, KeptEndpoint], tmp_path: Path) -> None:
    root, endpoint = kept
    write_app(root, site=True)
    refused = cli("deploy", "jobs", "--stage", "dev", "--endpoint-url", "local", "--yes", "--allow-data-loss",
                  cwd=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("Refused: the synth left out 1 construct(s)")
    assert lines[1].startswith('  - StaticSite "Web" (stack dev-jobs-Jobs): ')
    assert lines[2] == "      what to do: deploy with --synth-mode project (runs the app's own toolchain)"
    assert stacks_on(endpoint) == [], "nothing was deployed"
    assert not (root / ".sst-lsp" / "local" / "outputs" / "dev.json").exists()

    as_json = cli("deploy", "jobs", "--stage", "dev", "--endpoint-url", "local", "--yes", "--format", "json",
                  cwd=tmp_path)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["status"] == "refused"
    assert [(o["kind"], o["id"], o["stack"]) for o in data["notModeled"]] == [("StaticSite", "Web", "dev-jobs-Jobs")]

    allowed = cli("deploy", "jobs", "--stage", "dev", "--endpoint-url", "local", "--yes", "--allow-partial",
                  cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "deploying without (--allow-partial): StaticSite \"Web\"" in allowed.stderr
    assert stacks_on(endpoint) == ["dev-jobs-Jobs"]


@pytest.mark.slow
def test_diff_shows_a_left_out_constructs_resources_as_not_modeled(
    kept: tuple[Path, KeptEndpoint], tmp_path: Path
) -> None:
    root, endpoint = kept
    write_app(root, site=False)
    first = cli("deploy", "jobs", "--stage", "dev", "--endpoint-url", "local", "--yes", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert stacks_on(endpoint) == ["dev-jobs-Jobs"]
    # The handler now points outside the app: the synth leaves the Worker (and its cron) out.
    jobs = root / "stacks" / "Jobs.ts"
    jobs.write_text(jobs.read_text().replace('"src/worker.handler"', '"../shared/worker.handler"'))
    (root.parent / "shared").mkdir()
    (root.parent / "shared" / "worker.ts").write_text("export const handler = async () => 2;\n")

    diff = cli("diff", "jobs", "--stage", "dev", "--endpoint-url", "local", "--format", "json", cwd=tmp_path)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    data = json.loads(diff.stdout)
    [stack] = data["stacks"]
    actions = {r["logicalId"]: r["action"] for r in stack["resources"]}
    assert actions and "remove" not in actions.values(), actions
    worker = [lid for lid, a in actions.items() if a == "not-modeled" and lid.startswith("Worker")]
    assert worker, actions
    assert any(o["id"] == "Worker" for o in data["notModeled"])
    text = cli("diff", "jobs", "--stage", "dev", "--endpoint-url", "local", cwd=tmp_path).stdout
    assert f"  ? {worker[0]}" in text
    assert "[not modeled: Function \"Worker\" (stack dev-jobs-Jobs)" in text
    assert "Not modeled (" in text

    refused = cli("deploy", "jobs", "--stage", "dev", "--endpoint-url", "local", "--yes", cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout.startswith("Refused: the synth left out")
    assert 'what to do: move the handler\'s code into the app' in refused.stdout


@pytest.mark.slow
def test_choosing_the_apps_toolchain_runs_project_synth(tmp_path: Path) -> None:
    """The editor's third choice synthesizes with the app's own toolchain (a stand-in here,
    which fails with SST's own words): the deploy then stops with that reason."""
    from asmkit import ScriptedReporter

    from sst_lsp.cloud import ops
    from sst_lsp.cloud.aws import Connection
    from sst_lsp.cloud.partial import PARTIAL_PROJECT

    root = write_app(tmp_path / "jobs", site=True)
    bin_dir = root / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    tool = bin_dir / "sst"
    tool.write_text(
        f"#!{sys.executable}\nimport json, pathlib, sys\n"
        "pathlib.Path('ran.json').write_text(json.dumps(sys.argv[1:]))\n"
        "print('Error: Cannot find a handler file for web', flush=True)\nsys.exit(1)\n"
    )
    tool.chmod(0o755)
    app = ops.find_app(root)
    target = ops.Target(stage="dev", connection=Connection(region="us-east-1", endpoint_url="http://127.0.0.1:1", local=True))
    rep = ScriptedReporter(confirm=PARTIAL_PROJECT)
    with pytest.raises(ops.OpsError, match="Cannot find a handler file for web"):
        ops.deploy(app, target, rep, ask_partial=True)
    [(title, items, actions)] = rep.questions
    assert PARTIAL_PROJECT in actions and "runs the app's code" in title
    assert [i.split(":")[0] for i in items] == ['StaticSite "Web" (stack dev-jobs-Jobs)']
    assert json.loads((root / "ran.json").read_text()) == ["build", "--stage", "dev"]
