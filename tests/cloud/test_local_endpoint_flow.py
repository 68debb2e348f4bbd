"""One local endpoint across deploys (issue 11): `sst-lsp local start|stop|status`, a moto
server recognised behind `--endpoint-url`, and deploy -> change -> refused deploy -> remove on
that one endpoint, from the engine and from the CLI (moto's server mode on 127.0.0.1)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asmkit as k
import boto3
import pytest
from asmkit import APP, TABLE, ScriptedReporter, api_stack, data_stack

from sst_lsp.cloud.aws import Connection
from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.local import (
    free_port,
    is_moto_endpoint,
    kept_endpoints,
    read_kept,
    start_kept,
    state_path,
    stop_kept,
)
from sst_lsp.cloud.remove import RemoveOptions, remove_stage

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def boto(url: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def pending_change_sets(cf: Any, stack: str) -> list[str]:
    """Change sets not executed (moto keeps executed ones listed; CloudFormation drops them)."""
    rows = cf.list_change_sets(StackName=stack)["Summaries"]
    return [r["ChangeSetName"] for r in rows if r.get("ExecutionStatus") != "EXECUTE_COMPLETE"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"moto.server" in cmdline.read_bytes()


@pytest.fixture
def plain_http() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that is not moto."""
    server = http.server.HTTPServer(("127.0.0.1", free_port()), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_kept_endpoint_lifecycle_and_moto_detection(tmp_path: Path, plain_http: str) -> None:
    root = tmp_path / "app"
    root.mkdir()
    assert read_kept(root, "dev") is None
    kept, started = start_kept(root, "dev")
    try:
        assert started and alive(kept.pid)
        state = json.loads(state_path(root, "dev").read_text())
        assert state["url"] == kept.url and state["pid"] == kept.pid
        # .sst-lsp/ carries its own .gitignore.
        assert (root / ".sst-lsp" / ".gitignore").read_text().splitlines()[-1] == "*"
        again, started_again = start_kept(root, "dev")
        assert not started_again and again.pid == kept.pid
        assert [e.stage for e in kept_endpoints(root)] == ["dev"]
        assert is_moto_endpoint(kept.url)
    finally:
        stopped = stop_kept(root, "dev")
    assert stopped is not None and stopped.pid == kept.pid
    assert not alive(kept.pid)
    assert not state_path(root, "dev").exists()
    assert stop_kept(root, "dev") is None
    assert not is_moto_endpoint(plain_http)
    assert not is_moto_endpoint(f"http://127.0.0.1:{free_port()}")


def test_a_stale_state_file_is_not_a_running_endpoint(tmp_path: Path) -> None:
    path = state_path(tmp_path, "dev")
    path.parent.mkdir(parents=True)
    # A pid that is not a moto server (this test's own process).
    path.write_text(json.dumps({"url": "http://127.0.0.1:1", "pid": os.getpid(), "port": 1, "started": 0}))
    assert read_kept(tmp_path, "dev") is None
    assert not path.exists()
    assert stop_kept(tmp_path, "dev") is None


def test_deploy_change_refused_remove_on_one_endpoint(tmp_path: Path) -> None:
    """Engine: a kept endpoint reached through its URL (recognised as moto: the templates get
    the local adaptations), a deploy, a data-losing change refused, then remove."""
    root = tmp_path / "app"
    root.mkdir()
    kept, _ = start_kept(root, "dev")
    try:
        assert is_moto_endpoint(kept.url)
        conn = Connection(region="us-east-1", endpoint_url=kept.url, local=True)
        v1 = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
        first = deploy_assembly(v1, "dev", APP, DeployOptions(connection=conn, yes=True, outputs_root=root), ScriptedReporter())
        assert first.status == "deployed", first.message
        boto(kept.url, "dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "note-1"}})

        # A second process (a new deploy) on the same endpoint: unchanged -> no changes.
        same = deploy_assembly(v1, "dev", APP, DeployOptions(connection=conn, yes=True, outputs_root=root), ScriptedReporter())
        assert same.status == "no-changes", same.message

        # The table goes away (Delete policy): refused for data loss, nothing changed.
        v2 = k.write_assembly(tmp_path / "v2", [data_stack(table=False, queue=True), api_stack()])
        refused = deploy_assembly(v2, "dev", APP, DeployOptions(connection=conn, yes=True, outputs_root=root), ScriptedReporter())
        assert refused.status == "refused" and "destroy data" in refused.message
        assert boto(kept.url, "dynamodb").scan(TableName=TABLE)["Count"] == 1
        cf = boto(kept.url, "cloudformation")
        for name in ("dev-notes-Data", "dev-notes-Api"):
            assert pending_change_sets(cf, name) == []

        removed = remove_stage("dev", APP, RemoveOptions(connection=conn, yes=True, outputs_root=root), ScriptedReporter())
        assert removed.ok, removed.message
        live = [s for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
        assert live == []
        # Local outputs went to their own file, never the real stage's one; remove dropped them.
        assert not (root / ".sst-lsp" / "outputs" / "dev.json").exists()
        assert not (root / ".sst-lsp" / "local" / "outputs" / "dev.json").exists()
    finally:
        stop_kept(root, "dev")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "PYTHONPATH": str(REPO),
        "AWS_CONFIG_FILE": str(cwd / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [sys.executable, "-m", "sst_lsp", *args], cwd=cwd, capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )


def test_cli_local_start_deploy_diff_change_remove_stop(tmp_path: Path) -> None:
    app = tmp_path / "notes-app"
    shutil.copytree(REPO / "examples" / "notes-app", app, ignore=shutil.ignore_patterns(".sst-lsp", "node_modules"))
    started = cli("local", "start", "notes-app", "--stage", "dev", "--format", "json", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    kept = json.loads(started.stdout)
    try:
        assert kept["status"] == "started" and kept["url"].startswith("http://127.0.0.1:")
        status = cli("local", "status", "notes-app", cwd=tmp_path)
        assert status.stdout.strip() == f"stage 'dev': {kept['url']} (pid {kept['pid']})"

        # The raw URL, as a user would paste it: recognised as moto, adapted like --local.
        first = cli("deploy", "notes-app", "--stage", "dev", "--endpoint-url", kept["url"], "--yes", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert first.stdout.splitlines()[0] == "Deployed 3 stack(s) to stage 'dev'"
        assert "Outputs (notes-app/.sst-lsp/local/outputs/dev.json):" in first.stdout
        assert not (app / ".sst-lsp" / "outputs" / "dev.json").exists()
        # The summary (outputs, local differences) is printed once, not also in the log.
        assert first.stdout.count("TableName: dev-notes-Notes") == 1
        assert "TableName: dev-notes-Notes" not in first.stderr
        assert "moto does not create" not in first.stderr

        # Right after an unchanged deploy, diff shows no change (nothing REPLACED).
        diff = cli("diff", "notes-app", "--stage", "dev", "--endpoint-url", "local", "--format", "json", cwd=tmp_path)
        assert diff.returncode == 0, diff.stdout + diff.stderr
        data = json.loads(diff.stdout)
        assert data["hasChanges"] is False, diff.stdout
        assert [s["status"] for s in data["stacks"]] == ["unchanged"] * 3
        again = cli("deploy", "notes-app", "--stage", "dev", "--endpoint-url", "local", "--yes", cwd=tmp_path)
        assert again.returncode == 0 and again.stdout.startswith("No changes"), again.stdout + again.stderr

        # A new key for the named table: a replacement CloudFormation cannot make. Refused first.
        stack_file = app / "stacks" / "StorageStack.ts"
        text = stack_file.read_text()
        stack_file.write_text(text.replace('partitionKey: "userId", sortKey: "noteId"', 'partitionKey: "noteId"'))
        refused = cli("deploy", "notes-app", "--stage", "dev", "--endpoint-url", "local", "--yes",
                      "--allow-data-loss", cwd=tmp_path)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refused.stdout.startswith("Refused: this deploy cannot succeed")
        assert "NotesTable" in refused.stdout and '"dev-notes-Notes"' in refused.stdout
        cf = boto(kept["url"], "cloudformation")
        assert all(s["StackStatus"] == "CREATE_COMPLETE" for s in cf.describe_stacks()["Stacks"])
        assert pending_change_sets(cf, "dev-notes-StorageStack") == []

        removed = cli("remove", "notes-app", "--stage", "dev", "--endpoint-url", "local", "--yes", cwd=tmp_path)
        assert removed.returncode == 0, removed.stdout + removed.stderr
        assert [s for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"] == []
    finally:
        stopped = cli("local", "stop", "notes-app", "--stage", "dev", cwd=tmp_path)
    assert stopped.returncode == 0 and "Stopped the local endpoint" in stopped.stdout
    assert not alive(kept["pid"])
    missing = cli("deploy", "notes-app", "--stage", "dev", "--endpoint-url", "local", cwd=tmp_path)
    assert missing.returncode == 2 and "sst-lsp local start --stage dev" in missing.stderr
