"""diff_assembly and read_deployed_stage against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asmkit as k
import boto3
import pytest
from asmkit import APP, ScriptedReporter, api_stack, data_stack, options

from sst_lsp.cloud.aws import open_session
from sst_lsp.cloud.deploy import deploy_assembly
from sst_lsp.cloud.diff import DiffOptions, diff_assembly
from sst_lsp.cloud.local import LocalEndpoint
from sst_lsp.cloud.stage_state import read_deployed_stage

pytestmark = pytest.mark.slow


def _deploy_v1(moto: LocalEndpoint, tmp_path: Path) -> None:
    v1 = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    result = deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter())
    assert result.status == "deployed", result.message


def _diff(moto: LocalEndpoint, asm: Path, **kw: Any) -> Any:
    return diff_assembly(asm, "dev", APP, DiffOptions(connection=moto.connection(), **kw), ScriptedReporter())


def test_diff_of_a_new_stage_lists_everything_as_added(moto: LocalEndpoint, tmp_path: Path) -> None:
    asm = k.write_assembly(tmp_path / "v1", [data_stack(), api_stack()])
    result = _diff(moto, asm)
    assert result.status == "ok"
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-notes-Data", "new"),
        ("dev-notes-Api", "new"),
    ]
    assert {(r.logical_id, r.action) for r in result.stacks[1].resources} == {
        ("Fn", "add"),
        ("FnRole", "add"),
    }
    assert not result.hazards


def test_diff_against_the_deployed_stage(moto: LocalEndpoint, tmp_path: Path) -> None:
    _deploy_v1(moto, tmp_path)
    same = _diff(moto, tmp_path / "v1")
    assert [s.status for s in same.stacks] == ["unchanged", "unchanged"]
    assert not same.has_changes

    moved = k.write_assembly(
        tmp_path / "v3", [data_stack(table=False, queue=True), api_stack(env="2", table=True)]
    )
    result = _diff(moto, moved)
    data, api = result.stacks
    assert (data.status, api.status) == ("changed", "changed")
    assert {(r.logical_id, r.action) for r in data.resources} == {("Notes", "remove"), ("Jobs", "add")}
    assert data.change_set is not None, "a change set was made for the deployed stack"
    assert {(c.logical_id, c.action) for c in data.change_set} >= {("Notes", "Remove"), ("Jobs", "Add")}
    fn = next(r for r in api.resources if r.logical_id == "Fn")
    assert fn.action == "modify" and "Properties.Environment.Variables.V" in fn.changed
    (h,) = [h for h in result.hazards if h.blocks]
    assert h.logical_id == "Notes" and "moved to stack dev-notes-Api" in h.reason

    text = result.to_text()
    assert "Stack dev-notes-Data (changed)" in text
    assert "- Notes" in text and "STATEFUL" in text and "DATA LOSS" in text
    assert "+ Jobs" in text and "~ Fn" in text
    assert "1 stateful resource(s) would be destroyed" in text
    data_json = json.loads(json.dumps(result.to_json()))
    assert data_json["dataLoss"] is True
    notes = next(r for r in data_json["stacks"][0]["resources"] if r["logicalId"] == "Notes")
    assert notes == {
        "logicalId": "Notes",
        "action": "remove",
        "type": "AWS::DynamoDB::Table",
        "changed": [],
        "replacement": None,
        "replacementCauses": [],
        "cdkPath": "dev-notes-Data/Notes/Table",
        "stateful": "block",
        "outcome": "destroyed",
    }
    # The diff's change sets are deleted again: the stack is as it was.
    cf = boto3.client(
        "cloudformation",
        endpoint_url=moto.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    names = [c["ChangeSetName"] for c in cf.list_change_sets(StackName="dev-notes-Data")["Summaries"]]
    assert names and not [n for n in names if n.startswith("sst-lsp-diff-")]


def test_diff_flags_a_schema_replacement(moto: LocalEndpoint, tmp_path: Path) -> None:
    _deploy_v1(moto, tmp_path)
    renamed = data_stack()
    renamed.resources["Notes"]["Properties"]["TableName"] = "dev-notes-Notes2"
    asm = k.write_assembly(tmp_path / "v2", [renamed, api_stack()])
    result = _diff(moto, asm, change_sets=False)
    notes = next(r for r in result.stacks[0].resources if r.logical_id == "Notes")
    assert notes.replacement == "true" and notes.replacement_causes == ("TableName",)
    assert "REPLACED (TableName)" in result.to_text()
    assert result.stacks[0].change_set is None


def test_diff_lists_deployed_stacks_missing_from_the_assembly(moto: LocalEndpoint, tmp_path: Path) -> None:
    _deploy_v1(moto, tmp_path)
    only_data = k.write_assembly(tmp_path / "d", [data_stack()])
    result = _diff(moto, only_data)
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-notes-Data", "unchanged"),
        ("dev-notes-Api", "not-in-assembly"),
    ]


def test_diff_reports_bad_input_without_raising(moto: LocalEndpoint, tmp_path: Path) -> None:
    result = _diff(moto, tmp_path / "nope")
    assert result.status == "failed" and "not found" in result.message
    asm = k.write_assembly(tmp_path / "v1", [data_stack()])
    bad_stage = diff_assembly(asm, "1dev", APP, DiffOptions(connection=moto.connection()), ScriptedReporter())
    assert bad_stage.status == "failed" and "Invalid stage name" in bad_stage.message


def test_read_deployed_stage(moto: LocalEndpoint, tmp_path: Path) -> None:
    _deploy_v1(moto, tmp_path)
    # Another app's and another stage's stacks are not part of it.
    other = k.write_assembly(tmp_path / "other", [data_stack("staging")])
    assert (
        deploy_assembly(other, "staging", APP, options(moto, tmp_path), ScriptedReporter()).status
        == "deployed"
    )

    stage = read_deployed_stage(open_session(moto.connection()), APP, "dev")
    assert [s.name for s in stage.stacks] == ["dev-notes-Data", "dev-notes-Api"]
    data = stage.stack("Data")
    assert data is not None and data.short_name == "Data" and data.status == "CREATE_COMPLETE"
    notes = data.resource("Notes")
    assert notes is not None
    assert notes.resource_type == "AWS::DynamoDB::Table"
    assert notes.physical_id == "dev-notes-Notes"
    assert notes.cdk_path == "dev-notes-Data/Notes/Table"
    assert notes.construct_path[:2] == ("dev-notes-Data", "Notes")
    api = stage.stack("dev-notes-Api")
    assert api is not None and {r.logical_id for r in api.resources} == {"Fn", "FnRole"}
    assert api.template["Resources"]["Fn"]["Type"] == "AWS::Lambda::Function"
    assert api.tags["sst:stage"] == "dev"
    assert json.loads(json.dumps(stage.to_json()))["stacks"][0]["resources"][0]["logicalId"] == "Notes"
    assert read_deployed_stage(open_session(moto.connection()), APP, "nope").stacks == []


def test_stage_dependencies_and_outputs_from_exports(moto: LocalEndpoint) -> None:
    # create_stack (not change sets) so that moto registers outputs and exports.
    cf = open_session(moto.connection()).client("cloudformation")
    producer = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Q"}, "Export": {"Name": "dev-notes-Jobs-url"}}},
    }
    consumer = {
        "Resources": {
            "T": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::ImportValue": "dev-notes-Jobs-url"}},
            }
        }
    }
    cf.create_stack(StackName="dev-notes-Jobs", TemplateBody=json.dumps(producer))
    cf.create_stack(StackName="dev-notes-Web", TemplateBody=json.dumps(consumer))
    stage = read_deployed_stage(open_session(moto.connection()), APP, "dev")
    web, jobs = stage.stack("Web"), stage.stack("Jobs")
    assert web is not None and jobs is not None
    assert web.depends_on == ["dev-notes-Jobs"] and jobs.depends_on == []
    assert jobs.outputs["QueueUrl"].endswith("Q-" + jobs.outputs["QueueUrl"].rsplit("Q-", 1)[-1])
    assert "dev-notes-Jobs-url" in jobs.exports
    assert [s.name for s in stage.ordered()] == ["dev-notes-Jobs", "dev-notes-Web"]
