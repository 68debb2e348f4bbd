"""deploy -> update -> move -> remove against a moto server on 127.0.0.1 (its server mode)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import asmkit as k
import boto3
import pytest
from asmkit import APP, CODE_V1, TABLE, ScriptedReporter, api_stack, data_stack, options
from asmkit import BUCKET_RESOLVED as BUCKET

from sst_lsp.cloud.aws import Connection
from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint
from sst_lsp.cloud.remove import RemoveOptions, remove_stage

pytestmark = pytest.mark.slow


def client(local: LocalEndpoint, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=local.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def item_count(local: LocalEndpoint) -> int:
    return int(client(local, "dynamodb").scan(TableName=TABLE, Select="COUNT")["Count"])


def table_exists(local: LocalEndpoint) -> bool:
    return TABLE in client(local, "dynamodb").list_tables()["TableNames"]


def stack_resources(local: LocalEndpoint, name: str) -> set[str]:
    rows = client(local, "cloudformation").list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {r["LogicalResourceId"] for r in rows if r.get("LogicalResourceId")}


def live_stacks(local: LocalEndpoint) -> set[str]:
    stacks = client(local, "cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"}


def test_deploy_update_move_remove(moto: LocalEndpoint, tmp_path: Path) -> None:
    v1 = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    rep = ScriptedReporter()
    result = deploy_assembly(v1, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "deployed", result.message
    assert [(s.stack, s.status, s.stack_status) for s in result.stacks] == [
        ("dev-notes-Data", "deployed", "CREATE_COMPLETE"),
        ("dev-notes-Api", "deployed", "CREATE_COMPLETE"),
    ]
    # The Lambda's code was zipped and uploaded where the template points.
    key = f"{k.asset_id(CODE_V1)}.zip"
    body = client(moto, "s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).read("index.py").decode() == CODE_V1["index.py"]
    assert client(moto, "lambda").list_functions()["Functions"], "the function was created from the asset"
    assert table_exists(moto)
    # Every stack event was streamed to the log, and progress reached 100 %.
    assert any("dev-notes-Api | CREATE_COMPLETE" in line for line in rep.lines)
    assert rep.progresses[-1][1] == 100
    # Outputs file: one entry per deployed stack.
    assert result.outputs_file == tmp_path / "app" / ".sst-lsp" / "local" / "outputs" / "dev.json"
    assert set(json.loads(result.outputs_file.read_text())) == {"dev-notes-Data", "dev-notes-Api"}

    ddb = client(moto, "dynamodb")
    for i in range(3):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"note-{i}"}})

    # An unrelated update (a Lambda env var, a new queue) keeps the table and its items.
    v2 = k.write_assembly(tmp_path / "v2", [data_stack(queue=True), api_stack(env="2")])
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert result.status == "deployed", result.message
    assert {s.stack_status for s in result.stacks} == {"UPDATE_COMPLETE"}
    assert not any(h.blocks for h in result.hazards)
    assert item_count(moto) == 3
    assert "Jobs" in stack_resources(moto, "dev-notes-Data")
    assets = {a.key: a.state for a in result.assets}
    assert assets[key] == "exists", "the unchanged code asset is not uploaded again"

    # The same assembly again: nothing to do.
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert result.status == "no-changes", result.message

    # The table moves to the Api stack: refused without consent, nothing touched.
    v3 = k.write_assembly(
        tmp_path / "v3", [data_stack(table=False, queue=True), api_stack(env="2", table=True)]
    )
    rep = ScriptedReporter(confirm=None)
    result = deploy_assembly(v3, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "refused"
    assert "Notes" in result.message and "--allow-data-loss" in result.message
    ((title, items, actions),) = rep.questions
    assert "destroys data" in title and actions == ["Deploy anyway", "Cancel"]
    assert len(items) == 1 and "AWS::DynamoDB::Table Notes" in items[0]
    assert "moved to stack dev-notes-Api" in items[0]
    assert "Notes" in stack_resources(moto, "dev-notes-Data")
    assert "Notes" not in stack_resources(moto, "dev-notes-Api")
    assert item_count(moto) == 3

    # Consent given in the editor: done (the old table is deleted, a new empty one created).
    rep = ScriptedReporter(confirm="Deploy anyway")
    result = deploy_assembly(v3, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "deployed", result.message
    assert len(rep.questions) == 1, "one question for all stacks, not one per change set"
    assert "Notes" not in stack_resources(moto, "dev-notes-Data")
    assert "Notes" in stack_resources(moto, "dev-notes-Api")
    assert table_exists(moto) and item_count(moto) == 0

    # Remove: lists what is destroyed, asks, deletes dependents first.
    rep = ScriptedReporter(confirm="Remove")
    removed = remove_stage(
        "dev", APP, RemoveOptions(connection=moto.connection(), outputs_root=tmp_path / "app"), rep
    )
    assert removed.status == "removed", removed.message
    assert [s.stack for s in removed.stacks] == ["dev-notes-Api", "dev-notes-Data"]
    ((title, items, _),) = rep.questions
    assert "destroying 1 stateful resource" in title
    assert any(i.startswith("destroyed: dev-notes-Api: AWS::DynamoDB::Table Notes") for i in items)
    assert live_stacks(moto) == set()
    assert not (tmp_path / "app" / ".sst-lsp" / "local" / "outputs" / "dev.json").exists()


def test_allow_data_loss_flag_and_yes(moto: LocalEndpoint, tmp_path: Path) -> None:
    v1 = k.write_assembly(tmp_path / "v1", [data_stack()])
    assert deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter()).status == "deployed"
    v2 = k.write_assembly(tmp_path / "v2", [data_stack(table=False, queue=True)])
    # --yes is no consent to data loss: refused, without a question.
    rep = ScriptedReporter(confirm="Deploy anyway")
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path, yes=True), rep)
    assert result.status == "refused" and rep.questions == []
    assert table_exists(moto)
    rep = ScriptedReporter()
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path, allow_data_loss=True), rep)
    assert result.status == "deployed", result.message
    assert rep.questions == []
    assert any("--allow-data-loss" in line for line in rep.lines)
    assert not table_exists(moto)


def test_removing_a_retained_table_needs_no_consent(moto: LocalEndpoint, tmp_path: Path) -> None:
    v1 = k.write_assembly(tmp_path / "v1", [data_stack(policy="Retain")])
    assert deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter()).status == "deployed"
    v2 = k.write_assembly(tmp_path / "v2", [data_stack(table=False, queue=True)])
    rep = ScriptedReporter()
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "deployed", result.message
    assert rep.questions == []
    (h,) = result.hazards
    assert h.outcome == "retained" and not h.blocks
    assert any("retained (orphaned)" in line for line in rep.lines)


def test_protected_stage_needs_typed_confirmation(moto: LocalEndpoint, tmp_path: Path) -> None:
    asm = k.write_assembly(tmp_path / "prod", [data_stack("prod")])
    rep = ScriptedReporter(typed="prdo")
    result = deploy_assembly(asm, "prod", APP, options(moto, tmp_path), rep)
    assert result.status == "refused" and "protected" in result.message
    assert rep.typed_prompts and rep.typed_prompts[0][1] == "prod"
    assert live_stacks(moto) == set()
    result = deploy_assembly(asm, "prod", APP, options(moto, tmp_path), ScriptedReporter(typed="prod"))
    assert result.status == "deployed", result.message
    # remove there: typed confirmation again (--yes skips both questions).
    removed = remove_stage(
        "prod", APP, RemoveOptions(connection=moto.connection()), ScriptedReporter(confirm="Remove")
    )
    assert removed.status == "refused" and live_stacks(moto) == {"prod-notes-Data"}
    removed = remove_stage(
        "prod", APP, RemoveOptions(connection=moto.connection(), yes=True), ScriptedReporter()
    )
    assert removed.status == "removed" and live_stacks(moto) == set()


def test_a_template_the_endpoint_rejects_is_reported_with_its_reason(
    moto: LocalEndpoint, tmp_path: Path
) -> None:
    bad = k.StackSpec("dev-notes-Bad", {"Q": k.queue(FifoQueue=True, QueueName="jobs")})
    asm = k.write_assembly(tmp_path / "bad", [bad])
    result = deploy_assembly(asm, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert result.status == "failed"
    assert "dev-notes-Bad" in result.message
    assert "Queue name must end in .fifo" in result.message
    # Nothing is left behind that would stop the fixed template from deploying.
    fixed = k.StackSpec("dev-notes-Bad", {"Q": k.queue(FifoQueue=True, QueueName="jobs.fifo")})
    result = deploy_assembly(
        k.write_assembly(tmp_path / "fixed", [fixed]), "dev", APP, options(moto, tmp_path), ScriptedReporter()
    )
    assert result.status == "deployed", result.message
    assert live_stacks(moto) == {"dev-notes-Bad"}


def test_dependents_are_skipped_after_a_failure(moto: LocalEndpoint, tmp_path: Path) -> None:
    bad = k.StackSpec("dev-notes-Data", {"Q": k.queue(FifoQueue=True, QueueName="jobs")})
    asm = k.write_assembly(tmp_path / "bad", [bad, api_stack()])
    result = deploy_assembly(asm, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert [s.status for s in result.stacks] == ["failed", "skipped"]
    assert "dev-notes-Api" not in live_stacks(moto)


def test_cancelled_before_anything_is_deployed(moto: LocalEndpoint, tmp_path: Path) -> None:
    asm = k.write_assembly(tmp_path / "v1", [data_stack()])
    result = deploy_assembly(
        asm, "dev", APP, options(moto, tmp_path), ScriptedReporter(cancel_after_progress=1)
    )
    assert result.status == "cancelled"
    assert live_stacks(moto) == set()


def test_missing_bootstrap_is_created_only_after_asking(moto: LocalEndpoint, tmp_path: Path) -> None:
    asm = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    # An explicit endpoint (not --local): the bootstrap is not seeded silently.
    conn = Connection(region="us-east-1", endpoint_url=moto.endpoint_url, poll_interval=0.05)
    rep = ScriptedReporter(confirm=None)
    result = deploy_assembly(asm, "dev", APP, DeployOptions(connection=conn), rep)
    assert result.status == "refused" and "bootstrap is missing" in result.message
    ((title, items, actions),) = rep.questions
    assert "minimal bootstrap" in title and actions == ["Create", "Cancel"]
    assert any("/cdk-bootstrap/hnb659fds/version" in i for i in items)
    assert any(BUCKET in i for i in items)
    assert live_stacks(moto) == set()

    result = deploy_assembly(
        asm, "dev", APP, DeployOptions(connection=conn), ScriptedReporter(confirm="Create")
    )
    assert result.status == "deployed", result.message
    assert "SstLspToolkit-hnb659fds" in live_stacks(moto)
    version = client(moto, "ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"]
    assert int(version) >= 6
    client(moto, "s3").head_bucket(Bucket=BUCKET)


def test_remove_of_an_empty_stage(moto: LocalEndpoint) -> None:
    result = remove_stage("dev", APP, RemoveOptions(connection=moto.connection()), ScriptedReporter())
    assert result.status == "nothing" and "Nothing is deployed" in result.message


def test_a_large_template_goes_through_s3(moto: LocalEndpoint, tmp_path: Path) -> None:
    # A tag map on an SSM parameter is what moto rejects: only the adapted copy deploys.
    param = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/big", "Type": "String", "Value": "v", "Tags": {"a": "b"}}}
    big = k.StackSpec("dev-notes-Big", {"Q": {**k.queue(), "Metadata": {"pad": "x" * 60_000}}, "P": param})
    asm = k.write_assembly(tmp_path / "big", [big])
    rep = ScriptedReporter()
    result = deploy_assembly(asm, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "deployed", result.message
    [line] = [line for line in rep.lines if "too large to pass inline" in line]
    # On the local endpoint the adapted template is uploaded beside the assembly's own one.
    assert BUCKET in line and line.endswith(".local.json")
    assert {"Q", "P"} <= stack_resources(moto, "dev-notes-Big")


def test_a_missing_asset_folder_is_reported(moto: LocalEndpoint, tmp_path: Path) -> None:
    asm = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    folder = asm / f"asset.{k.asset_id(CODE_V1)}"
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    result = deploy_assembly(asm, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert result.status == "failed"
    assert "Asset folder not found" in result.message
    assert live_stacks(moto) == set()


def test_cancelled_after_the_change_set_leaves_nothing_behind(moto: LocalEndpoint, tmp_path: Path) -> None:
    v1 = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    assert deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter()).status == "deployed"
    v2 = k.write_assembly(tmp_path / "v2", [data_stack(queue=True), api_stack(env="2")])
    # The user cancels while the Data stack's change set is being made.
    rep = ScriptedReporter(cancel_on="dev-notes-Data: creating a change set")
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path), rep)
    assert result.status == "cancelled"
    assert [s.status for s in result.stacks] == ["cancelled", "cancelled"]
    assert "Jobs" not in stack_resources(moto, "dev-notes-Data")
    cf = client(moto, "cloudformation")
    pending = [
        c
        for c in cf.list_change_sets(StackName="dev-notes-Data")["Summaries"]
        if c["ExecutionStatus"] == "AVAILABLE"
    ]
    assert pending == [], "the unexecuted change set is deleted"


def test_the_stack_a_table_leaves_deploys_before_the_one_it_joins(
    moto: LocalEndpoint, tmp_path: Path
) -> None:
    tags = {"sst:app": APP, "sst:stage": "dev"}
    # Two independent stacks; the one the table joins comes first in the manifest.
    web_v1 = k.StackSpec("dev-notes-Web", {"Jobs": k.queue()}, tags=tags)
    v1 = k.write_assembly(tmp_path / "v1", [web_v1, data_stack()])
    assert deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter()).status == "deployed"
    web_v2 = k.StackSpec("dev-notes-Web", {"Jobs": k.queue(), "Notes": k.table(TABLE)}, tags=tags)
    v2 = k.write_assembly(tmp_path / "v2", [web_v2, data_stack(table=False, queue=True)])
    result = deploy_assembly(
        v2, "dev", APP, options(moto, tmp_path, allow_data_loss=True), ScriptedReporter()
    )
    assert result.status == "deployed", result.message
    assert [s.stack for s in result.stacks] == ["dev-notes-Data", "dev-notes-Web"]
    assert "Notes" in stack_resources(moto, "dev-notes-Web") and table_exists(moto)
