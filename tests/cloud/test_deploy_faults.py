"""Deploys under faults (issue 13), against moto's server mode on 127.0.0.1: the endpoint killed
while a change set executes, Ctrl-C during a CLI deploy, an error answer on the second of three
stacks, and credentials that stop working between stacks. Each ends with a message naming the
stack and its state; a re-run completes; no change set is left behind; no stateful resource is
removed; the outputs file stays valid JSON (it is replaced atomically)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asmkit as k
import boto3
import botocore.exceptions
import pytest
from asmkit import APP, TABLE, ScriptedReporter, role

from sst_lsp.cloud.aws import Connection
from sst_lsp.cloud.deploy import DeployOptions, DeployResult, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint, start_kept, stop_kept

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STACKS = ["dev-notes-Data", "dev-notes-Api", "dev-notes-Jobs"]
CODE = {"index.py": "def main(e, c):\n    return 'ok'\n"}
TAGS = {"sst:app": APP, "sst:stage": "dev"}


def three_stacks(*, bad_api: bool = False) -> list[k.StackSpec]:
    """Data (a DynamoDB table, deleted with the stack: a data store) <- Api (a function) <- Jobs."""
    data = k.StackSpec(
        "dev-notes-Data", {"Notes": k.table(TABLE, path="dev-notes-Data/Notes/Table")},
        outputs={"TableName": {"Value": {"Ref": "Notes"}}}, tags=TAGS,
    )
    api_res: dict[str, Any] = {"FnRole": role(), "Fn": k.function(k.asset_id(CODE), "FnRole", {"TABLE": TABLE})}
    if bad_api:
        # moto answers this with an error (a FIFO queue's name must end in .fifo).
        api_res["Dlq"] = k.queue(FifoQueue=True, QueueName="dead-letters")
    api = k.StackSpec("dev-notes-Api", api_res, outputs={"FnName": {"Value": {"Ref": "Fn"}}},
                      depends_on=["dev-notes-Data"], code={"fn": CODE}, tags=TAGS)
    jobs = k.StackSpec("dev-notes-Jobs", {"Jobs": k.queue()}, depends_on=["dev-notes-Api"], tags=TAGS)
    return [data, api, jobs]


def boto(url: str, service: str, key: tuple[str, str] = ("t", "t")) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1])


def live(url: str, key: tuple[str, str] = ("t", "t")) -> dict[str, str]:
    cf = boto(url, "cloudformation", key)
    return {s["StackName"]: s["StackStatus"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}


def pending_change_sets(url: str, key: tuple[str, str] = ("t", "t")) -> list[str]:
    """Change sets not executed, of any stack (moto lists every stack's for any StackName, and
    keeps the executed ones that CloudFormation drops)."""
    cf = boto(url, "cloudformation", key)
    rows = {}
    for name in [*live(url, key), *STACKS]:
        with contextlib.suppress(botocore.exceptions.ClientError):  # A stack that does not exist.
            for row in cf.list_change_sets(StackName=name)["Summaries"]:
                rows[row["ChangeSetId"]] = row
    return sorted(f"{r['StackName']}/{r['ChangeSetName']}" for r in rows.values()
                  if r.get("ExecutionStatus") != "EXECUTE_COMPLETE")


def outputs_file_is_whole(root: Path, local: bool = True) -> dict[str, Any]:
    folder = root / ".sst-lsp" / ("local/outputs" if local else "outputs")
    assert [p.name for p in folder.iterdir() if p.name != "dev.json"] == [], "no temporary file is left"
    data: dict[str, Any] = json.loads((folder / "dev.json").read_text())
    return data


class HookReporter(ScriptedReporter):
    """A reporter that runs ``hook`` once, when a progress or log line contains ``when``."""

    def __init__(self, when: str, hook: Callable[[], None]) -> None:
        super().__init__(confirm="Create")
        self.when, self.hook, self.fired = when, hook, False

    def _check(self, text: str) -> None:
        if not self.fired and self.when in text:
            self.fired = True
            self.hook()

    def progress(self, message: str, percent: int | None = None) -> None:
        super().progress(message, percent)
        self._check(message)

    def log(self, line: str) -> None:
        super().log(line)
        self._check(line)


@pytest.fixture
def endpoint() -> Iterator[LocalEndpoint]:
    """A moto server of this test's own (some tests kill it)."""
    local = LocalEndpoint()
    local.start()
    try:
        yield local
    finally:
        local.stop()


def deploy(asm: Path, conn: Connection, root: Path, rep: ScriptedReporter | None = None) -> DeployResult:
    options = DeployOptions(connection=conn, yes=True, outputs_root=root)
    return deploy_assembly(asm, "dev", APP, options, rep or ScriptedReporter(confirm="Create"))


def test_an_error_answer_on_the_second_of_three_stacks(endpoint: LocalEndpoint, tmp_path: Path) -> None:
    root = tmp_path / "app"
    bad = k.write_assembly(tmp_path / "bad", three_stacks(bad_api=True))
    result = deploy(bad, endpoint.connection(), root)
    assert result.status == "failed"
    assert result.message.startswith("dev-notes-Api: the endpoint rejected the deployment")
    assert "Queue name must end in .fifo" in result.message
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-notes-Data", "deployed"), ("dev-notes-Api", "failed"), ("dev-notes-Jobs", "skipped")
    ]
    assert "  dev-notes-Jobs  skipped (an earlier stack did not deploy)" in result.to_text()
    url = endpoint.endpoint_url
    assert live(url) == {"dev-notes-Data": "CREATE_COMPLETE"}
    assert pending_change_sets(url) == []
    boto(url, "dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "kept"}})
    assert set(outputs_file_is_whole(root)) == {"dev-notes-Data"}

    fixed = k.write_assembly(tmp_path / "fixed", three_stacks())
    again = deploy(fixed, endpoint.connection(), root)
    assert again.status == "deployed", again.message
    assert [s.status for s in again.stacks] == ["no-changes", "deployed", "deployed"]
    assert live(url) == dict.fromkeys(STACKS, "CREATE_COMPLETE")
    assert pending_change_sets(url) == []
    assert boto(url, "dynamodb").scan(TableName=TABLE)["Count"] == 1, "the table kept its items"
    assert set(outputs_file_is_whole(root)) == set(STACKS)


def test_the_endpoint_killed_while_a_change_set_executes(endpoint: LocalEndpoint, tmp_path: Path) -> None:
    root = tmp_path / "app"
    asm = k.write_assembly(tmp_path / "v1", three_stacks())
    assert endpoint.process is not None
    pid = endpoint.process.pid

    def kill() -> None:
        os.kill(pid, signal.SIGKILL)
        assert endpoint.process is not None
        endpoint.process.wait(timeout=10)

    rep = HookReporter("dev-notes-Api: executing", kill)
    result = deploy(asm, endpoint.connection(), root, rep)
    assert rep.fired
    assert result.status == "failed"
    assert result.message.startswith("dev-notes-Api: stopped while executing its change set (Cannot reach the AWS endpoint")
    assert "its state is unknown" in result.message and "Deploy again" in result.message
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-notes-Data", "deployed"), ("dev-notes-Api", "failed"), ("dev-notes-Jobs", "skipped")
    ]
    # The outputs of the stack that deployed are in a whole file.
    assert set(outputs_file_is_whole(root)) == {"dev-notes-Data"}

    # The endpoint comes back (moto forgets everything when it dies): the re-run completes.
    port = endpoint.port
    endpoint.stop()
    back = LocalEndpoint(port=port)
    back.start()
    try:
        again = deploy(asm, back.connection(), root)
        assert again.status == "deployed", again.message
        assert live(back.endpoint_url) == dict.fromkeys(STACKS, "CREATE_COMPLETE")
        assert pending_change_sets(back.endpoint_url) == []
        assert set(outputs_file_is_whole(root)) == set(STACKS)
    finally:
        back.stop()


def test_credentials_that_fail_between_stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto enforces IAM after its first 4 calls: the deploy's access key is deleted once the
    first stack is up, so the second stack's first call is refused (InvalidClientTokenId)."""
    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "4")
    local = LocalEndpoint()
    local.start()
    monkeypatch.delenv("INITIAL_NO_AUTH_ACTION_COUNT")
    try:
        url = local.endpoint_url
        iam = boto(url, "iam")
        iam.create_user(UserName="deployer")
        iam.put_user_policy(UserName="deployer", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        first = iam.create_access_key(UserName="deployer")["AccessKey"]
        second = iam.create_access_key(UserName="deployer")["AccessKey"]
        key1 = (first["AccessKeyId"], first["SecretAccessKey"])
        key2 = (second["AccessKeyId"], second["SecretAccessKey"])
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key1[0])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key1[1])
        # An endpoint of the user's own, not the embedded one: the environment's credentials go.
        conn = Connection(region="us-east-1", endpoint_url=url)
        root = tmp_path / "app"
        asm = k.write_assembly(tmp_path / "v1", three_stacks())

        def revoke() -> None:
            boto(url, "iam", key2).delete_access_key(UserName="deployer", AccessKeyId=key1[0])

        rep = HookReporter("dev-notes-Data: CREATE_COMPLETE", revoke)
        result = deploy(asm, conn, root, rep)
        assert rep.fired
        assert result.status == "failed"
        assert result.message == (
            "dev-notes-Api: The AWS credentials were rejected (InvalidClientTokenId): check AWS_PROFILE or "
            "your access keys; the stack was not changed"
        )
        assert [(s.stack, s.status) for s in result.stacks] == [
            ("dev-notes-Data", "deployed"), ("dev-notes-Api", "failed"), ("dev-notes-Jobs", "skipped")
        ]
        assert live(url, key2) == {"dev-notes-Data": "CREATE_COMPLETE", "SstLspToolkit-hnb659fds": "CREATE_COMPLETE"}
        boto(url, "dynamodb", key2).put_item(TableName=TABLE, Item={"pk": {"S": "kept"}})
        assert set(outputs_file_is_whole(root, local=False)) == {"dev-notes-Data"}

        # Fresh credentials: the re-run completes and the table keeps its items.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key2[0])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key2[1])
        again = deploy(asm, conn, root)
        assert again.status == "deployed", again.message
        assert [s.status for s in again.stacks] == ["no-changes", "deployed", "deployed"]
        assert pending_change_sets(url, key2) == []
        assert boto(url, "dynamodb", key2).scan(TableName=TABLE)["Count"] == 1
        assert set(outputs_file_is_whole(root, local=False)) == set(STACKS)
    finally:
        local.stop()


def test_ctrl_c_during_a_cli_deploy(tmp_path: Path) -> None:
    app = tmp_path / "notes-app"
    shutil.copytree(REPO / "examples" / "notes-app", app, ignore=shutil.ignore_patterns(".sst-lsp", "node_modules"))
    kept, _ = start_kept(app, "dev")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "PYTHONPATH": str(REPO), "AWS_CONFIG_FILE": str(tmp_path / "c"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "s"),
    }
    argv = [sys.executable, "-m", "sst_lsp", "deploy", "notes-app", "--stage", "dev", "--endpoint-url", "local", "--yes"]
    try:
        proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None and proc.stdout is not None
        seen: list[str] = []
        for line in proc.stderr:
            seen.append(line)
            if "dev-notes-ApiStack: creating a change set" in line:
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        out = proc.stdout.read()
        code = proc.wait(timeout=300)
        assert code == 1, "".join(seen) + rest + out
        first = out.splitlines()[0]
        assert first.startswith("Cancelled: dev-notes-StorageStack deployed, dev-notes-ApiStack "), out
        assert first.endswith("dev-notes-JobsStack cancelled"), out
        assert "Cancelling at the next safe point" in rest
        stacks = live(kept.url)
        assert stacks["dev-notes-StorageStack"] == "CREATE_COMPLETE"
        assert "dev-notes-JobsStack" not in stacks
        assert set(stacks) - {"dev-notes-StorageStack"} <= {"dev-notes-ApiStack"}
        assert all(s == "CREATE_COMPLETE" for s in stacks.values()), stacks
        assert pending_change_sets(kept.url) == []
        outputs_file_is_whole(app)

        again = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert again.returncode == 0, again.stdout + again.stderr
        assert live(kept.url) == {
            s: "CREATE_COMPLETE" for s in ("dev-notes-StorageStack", "dev-notes-ApiStack", "dev-notes-JobsStack")
        }
        assert "dev-notes-Notes" in boto(kept.url, "dynamodb").list_tables()["TableNames"]
        assert pending_change_sets(kept.url) == []
        assert len(outputs_file_is_whole(app)) == 3
    finally:
        stop_kept(app, "dev")


def test_the_outputs_file_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write interrupted before the rename (a crash, a full disk) leaves the previous file as it
    was and no temporary file beside it."""
    from sst_lsp.cloud import outputs

    path = outputs.outputs_path(tmp_path, "dev")
    outputs.write_outputs_file(path, {"dev-notes-Data": {"TableName": "t"}})
    before = path.read_bytes()

    def interrupted(src: object, dst: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(OSError, match="No space left"):
        outputs.write_outputs_file(path, {"dev-notes-Api": {"FnName": "f"}})
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["dev.json"]
