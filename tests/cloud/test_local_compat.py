"""Templates adapted for the embedded local endpoint, and outputs computed for it (pure, fast).

The deploys that prove the adaptation is enough for moto are in test_deploy_notes_local.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.assembly import read_assembly
from sst_lsp.cloud.aws import Connection
from sst_lsp.cloud.deploy import Deployer, DeployOptions, DeployResult, StackResult
from sst_lsp.cloud.local_compat import (
    MOTO_CLOUDFORMATION_TYPES,
    DeployedResource,
    StackContext,
    adapt_for_local,
    placeholder,
    stack_outputs,
)
from sst_lsp.cloud.reporter import NullReporter

TYPES = MOTO_CLOUDFORMATION_TYPES
API = "ApiCD79AAA0"


def adapt(template: dict[str, Any], exports: dict[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    return adapt_for_local(template, exports=exports or {}, supported_types=TYPES)


def api_template() -> dict[str, Any]:
    """The shape of SST's Api stack: an HTTP API moto does not create, referenced everywhere."""
    return {
        "Resources": {
            API: {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "dev-notes-Api"}},
            "Route": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"ApiId": {"Ref": API}, "RouteKey": "GET /notes"},
            },
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.main"}},
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
                    "SourceArn": {
                        "Fn::Join": ["", ["arn:aws:execute-api:us-east-1:1:", {"Ref": API}, "/*/*/notes"]]
                    },
                },
            },
            "UrlParam": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/sst/notes/dev/Api/Api/url",
                    "Type": "String",
                    "Value": {"Fn::GetAtt": [API, "ApiEndpoint"]},
                    "Tags": {"sst:app": "notes", "sst:stage": "dev"},
                },
            },
            "Sub": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Type": "String",
                    "Value": {"Fn::Sub": "${" + API + ".ApiEndpoint}/x ${Fn} ${AWS::Region} ${!Literal}"},
                },
            },
        },
        "Outputs": {"ApiEndpoint": {"Value": {"Fn::GetAtt": [API, "ApiEndpoint"]}}},
    }


def test_types_match_the_installed_moto() -> None:
    from moto.cloudformation.parsing import get_model_map

    # moto's own internal entries, which are not CloudFormation types.
    installed = set(get_model_map()) - {"?", "AWS::SERVICE::RESOURCE"}
    assert set(MOTO_CLOUDFORMATION_TYPES) == installed, (
        f"update MOTO_CLOUDFORMATION_TYPES: new {sorted(installed - TYPES)}, gone {sorted(TYPES - installed)}"
    )
    assert "AWS::ApiGatewayV2::Api" not in TYPES and "AWS::DynamoDB::Table" in TYPES


def test_ssm_parameter_tag_maps_become_lists_and_other_tags_are_left_alone() -> None:
    tpl = {
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "v", "Tags": {"sst:app": "notes", "sst:stage": "dev"}},
            },
            "T": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {"TableName": "t", "Tags": [{"Key": "sst:app", "Value": "notes"}]},
            },
        }
    }
    before = copy.deepcopy(tpl)
    out, notes = adapt(tpl)
    assert out["Resources"]["P"]["Properties"]["Tags"] == [
        {"Key": "sst:app", "Value": "notes"},
        {"Key": "sst:stage", "Value": "dev"},
    ]
    assert out["Resources"]["T"] == before["Resources"]["T"]
    assert notes == []
    assert tpl == before, "the caller's template is not modified"


def test_references_to_types_moto_lacks_become_placeholders() -> None:
    tpl = api_template()
    out, notes = adapt(tpl)
    res = out["Resources"]
    # The resources stay (the change set lists them; moto skips them).
    assert res[API] == tpl["Resources"][API]
    assert res["Route"]["Properties"]["ApiId"] == placeholder(API) == f"sst-lsp-placeholder-{API}"
    join = res["Permission"]["Properties"]["SourceArn"]["Fn::Join"][1]
    assert join[1] == placeholder(API)
    # References to resources moto creates are untouched.
    assert res["Permission"]["Properties"]["FunctionName"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert res["UrlParam"]["Properties"]["Value"] == f"sst-lsp-placeholder-{API}-ApiEndpoint"
    assert res["Sub"]["Properties"]["Value"] == {
        "Fn::Sub": f"sst-lsp-placeholder-{API}-ApiEndpoint/x ${{Fn}} ${{AWS::Region}} ${{!Literal}}"
    }
    assert out["Outputs"]["ApiEndpoint"]["Value"] == f"sst-lsp-placeholder-{API}-ApiEndpoint"
    assert notes == [
        "moto does not create AWS::ApiGatewayV2::{Api, Route} (references to them are placeholders)",
        f"output ApiEndpoint is a placeholder: moto does not create AWS::ApiGatewayV2::Api {API}",
    ]


def test_getatt_string_form_and_sub_variables_are_handled() -> None:
    tpl = {
        "Resources": {
            "Pool": {"Type": "AWS::Cognito::UserPool"},
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Value": {"Fn::GetAtt": "Pool.Arn"},
                    "Description": {"Fn::Sub": ["${Pool} ${X}", {"Pool": "mine", "X": {"Ref": "Pool"}}]},
                },
            },
        }
    }
    out, _ = adapt(tpl)
    props = out["Resources"]["P"]["Properties"]
    assert props["Value"] == "sst-lsp-placeholder-Pool-Arn"
    # ``${Pool}`` names the Sub's own variable here, not the resource.
    assert props["Description"] == {"Fn::Sub": ["${Pool} ${X}", {"Pool": "mine", "X": "sst-lsp-placeholder-Pool"}]}


def test_custom_resources_are_dropped_with_their_dependencies() -> None:
    tpl = {
        "Resources": {
            "Seed": {"Type": "Custom::SeedData", "Properties": {"ServiceToken": "arn"}},
            "Script": {"Type": "AWS::CloudFormation::CustomResource", "Properties": {"ServiceToken": "arn"}},
            "Q": {"Type": "AWS::SQS::Queue", "DependsOn": ["Seed", "Other"]},
            "R": {"Type": "AWS::SQS::Queue", "DependsOn": "Script", "Properties": {"QueueName": {"Ref": "Seed"}}},
        }
    }
    out, notes = adapt(tpl)
    assert set(out["Resources"]) == {"Q", "R"}
    assert out["Resources"]["Q"]["DependsOn"] == ["Other"]
    assert "DependsOn" not in out["Resources"]["R"]
    assert out["Resources"]["R"]["Properties"]["QueueName"] == "sst-lsp-placeholder-Seed"
    assert notes == [
        "custom resource Script (AWS::CloudFormation::CustomResource) skipped: the local endpoint does not run its Lambda",
        "custom resource Seed (Custom::SeedData) skipped: the local endpoint does not run its Lambda",
    ]


def test_import_values_are_substituted_from_the_exports() -> None:
    name = "dev-notes-StorageStack:ExportsOutputRefNotesTable7100B0E8C879CB95"
    tpl = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Environment": {"Variables": {"TABLE": {"Fn::ImportValue": name}}},
                    "Other": {"Fn::ImportValue": "dev-notes-Missing:Export"},
                },
            }
        }
    }
    out, notes = adapt(tpl, {name: "dev-notes-Notes"})
    props = out["Resources"]["Fn"]["Properties"]
    assert props["Environment"]["Variables"]["TABLE"] == "dev-notes-Notes"
    # An import nobody exports is left for the endpoint to reject, with a note.
    assert props["Other"] == {"Fn::ImportValue": "dev-notes-Missing:Export"}
    assert notes == ["import dev-notes-Missing:Export has no value: its exporting stack was not deployed locally"]


def test_a_template_moto_handles_comes_back_equal() -> None:
    tpl = {
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"}},
            "M": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
        },
        "Outputs": {"Name": {"Value": {"Ref": "T"}}},
    }
    assert adapt(tpl) == (tpl, [])


# -- outputs and exports ------------------------------------------------------------------------

CTX = StackContext("dev-notes-StorageStack", "arn:aws:cloudformation:us-east-1:123456789012:stack/x/1",
                   "123456789012", "us-east-1")


def rows(**physical: tuple[str, str]) -> list[DeployedResource]:
    return [DeployedResource(lid, t, pid) for lid, (t, pid) in physical.items()]


def test_outputs_and_exports_from_physical_ids_and_arn_patterns() -> None:
    tpl = {
        "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/service/"}}},
        "Outputs": {
            "TableName": {"Value": {"Ref": "Table"}},
            "TableArn": {
                "Value": {"Fn::GetAtt": ["Table", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:TableArn"}},
            },
            "BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}, "Export": {"Name": "b"}},
            "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
            "QueueUrl": {"Value": {"Ref": "Queue"}},
            "FnArn": {"Value": {"Fn::GetAtt": "Fn.Arn"}},
            "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "Joined": {"Value": {"Fn::Join": ["/", [{"Ref": "AWS::Region"}, {"Ref": "Table"}]]}},
            "Sub": {"Value": {"Fn::Sub": ["${T}@${AWS::AccountId} ${!x}", {"T": {"Ref": "Table"}}]}},
            "Imported": {"Value": {"Fn::ImportValue": "other:Value"}},
        },
    }
    res = rows(
        Table=("AWS::DynamoDB::Table", "dev-notes-Notes"),
        Bucket=("AWS::S3::Bucket", "dev-notes-uploads-abc"),
        Queue=("AWS::SQS::Queue", "https://sqs.us-east-1.amazonaws.com/123456789012/dev-notes-Q"),
        Fn=("AWS::Lambda::Function", "dev-notes-fn"),
        Role=("AWS::IAM::Role", "dev-notes-role"),
    )
    outputs, exports, notes = stack_outputs(tpl, res, CTX, exports={"other:Value": "42"})
    assert outputs == {
        "TableName": "dev-notes-Notes",
        "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-notes-Notes",
        "BucketArn": "arn:aws:s3:::dev-notes-uploads-abc",
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:dev-notes-Q",
        "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/dev-notes-Q",
        "FnArn": "arn:aws:lambda:us-east-1:123456789012:function:dev-notes-fn",
        "RoleArn": "arn:aws:iam::123456789012:role/service/dev-notes-role",
        "Joined": "us-east-1/dev-notes-Notes",
        "Sub": "dev-notes-Notes@123456789012 ${x}",
        "Imported": "42",
    }
    assert exports == {
        "dev-notes-StorageStack:TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-notes-Notes",
        "b": "arn:aws:s3:::dev-notes-uploads-abc",
    }
    assert notes == []


def test_unknown_attributes_ask_the_lookup_then_become_placeholders() -> None:
    tpl = {
        "Outputs": {
            "Stream": {"Value": {"Fn::GetAtt": ["Table", "StreamArn"]}, "Export": {"Name": "s"}},
            "Nope": {"Value": {"Fn::GetAtt": ["Table", "Nope"]}},
            "Gone": {"Value": {"Ref": "NotDeployed"}},
        }
    }
    asked: list[tuple[str, str]] = []

    def lookup(res: DeployedResource, attribute: str) -> str | None:
        asked.append((res.logical_id, attribute))
        return "arn:stream" if attribute == "StreamArn" else None

    outputs, exports, notes = stack_outputs(
        tpl, rows(Table=("AWS::DynamoDB::Table", "t")), CTX, lookup=lookup
    )
    assert outputs == {"Stream": "arn:stream", "Nope": "sst-lsp-placeholder-Nope", "Gone": "sst-lsp-placeholder-Gone"}
    assert exports == {"s": "arn:stream"}
    assert asked == [("Table", "StreamArn"), ("Table", "Nope")]
    assert notes == [
        "output Nope is a placeholder: Fn::GetAtt Table.Nope (AWS::DynamoDB::Table) is not known locally",
        "output Gone is a placeholder: Ref NotDeployed has no deployed value",
    ]


def test_conditions_decide_which_outputs_exist() -> None:
    tpl = {
        "Conditions": {
            "IsDev": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
        },
        "Outputs": {
            "Dev": {"Value": "yes", "Condition": "IsDev"},
            "Prod": {"Value": "no", "Condition": "IsProd"},
            "Pick": {"Value": {"Fn::If": ["IsDev", "d", "p"]}},
        },
    }
    assert stack_outputs(tpl, [], CTX) == ({"Dev": "yes", "Pick": "d"}, {}, [])


# -- the deployer applies it only to the embedded local endpoint --------------------------------


def write_one_stack(root: Path, template: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    (root / "dev-notes-Api.template.json").write_text(json.dumps(template, indent=1))
    manifest = {
        "version": "36.0.0",
        "artifacts": {
            "dev-notes-Api": {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/us-east-1",
                "properties": {"templateFile": "dev-notes-Api.template.json", "stackName": "dev-notes-Api"},
            }
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.mark.parametrize(
    "connection",
    [
        pytest.param(Connection(region="us-east-1"), id="aws"),
        pytest.param(Connection(region="us-east-1", endpoint_url="http://127.0.0.1:1"), id="endpoint-url"),
    ],
)
def test_aws_and_endpoint_url_get_the_assembly_template_unchanged(tmp_path: Path, connection: Connection) -> None:
    asm = write_one_stack(tmp_path / "asm", api_template())
    [stack] = read_assembly(asm).stacks
    deployer = Deployer(asm, "dev", "notes", DeployOptions(connection=connection), NullReporter())
    template, text = deployer.template_for(stack)
    assert text == (asm / "dev-notes-Api.template.json").read_text()
    assert template == api_template()
    assert deployer.local_notes == []


def test_the_local_endpoint_gets_the_adapted_template(tmp_path: Path) -> None:
    asm = write_one_stack(tmp_path / "asm", api_template())
    on_disk = (asm / "dev-notes-Api.template.json").read_text()
    [stack] = read_assembly(asm).stacks
    local = Connection(region="us-east-1", endpoint_url="http://127.0.0.1:1", local=True)
    deployer = Deployer(asm, "dev", "notes", DeployOptions(connection=local), NullReporter())
    template, text = deployer.template_for(stack)
    assert json.loads(text) == template == adapt(api_template())[0]
    assert deployer.local_notes[1] == (
        f"dev-notes-Api: output ApiEndpoint is a placeholder: moto does not create AWS::ApiGatewayV2::Api {API}"
    )
    assert (asm / "dev-notes-Api.template.json").read_text() == on_disk, "the assembly is untouched"


# -- the CLI's summary --------------------------------------------------------------------------


def test_summary_lists_stacks_outputs_and_local_differences(tmp_path: Path) -> None:
    result = DeployResult(
        "failed",
        "dev-notes-Jobs: the change set was rejected: boom",
        stacks=[
            StackResult("dev-notes-Storage", "deployed", stack_status="CREATE_COMPLETE"),
            StackResult("dev-notes-Api", "no-changes"),
            StackResult("dev-notes-Jobs", "failed", "dev-notes-Jobs: the change set was rejected: boom"),
            StackResult("dev-notes-Web", "skipped", "An earlier stack did not deploy"),
        ],
        outputs={
            "dev-notes-Storage": {"TableName": "dev-notes-Notes", "ExportsOutputRefNotes1": "dev-notes-Notes"},
            "dev-notes-Api": {"ApiEndpoint": "sst-lsp-placeholder-Api-ApiEndpoint"},
        },
        outputs_file=tmp_path / "app" / ".sst-lsp" / "outputs" / "dev.json",
        local_notes=["dev-notes-Api: output ApiEndpoint is a placeholder: moto does not create it"],
    )
    assert result.to_text(cwd=tmp_path).splitlines() == [
        "dev-notes-Jobs: the change set was rejected: boom",
        "  dev-notes-Storage  CREATE_COMPLETE",
        "  dev-notes-Api      no changes",
        "  dev-notes-Jobs     FAILED: the change set was rejected: boom",
        "  dev-notes-Web      skipped (an earlier stack did not deploy)",
        "Outputs (app/.sst-lsp/outputs/dev.json):",
        "  dev-notes-Storage",
        "    TableName: dev-notes-Notes",
        "  dev-notes-Api",
        "    ApiEndpoint: sst-lsp-placeholder-Api-ApiEndpoint",
        "Local endpoint differences:",
        "  dev-notes-Api: output ApiEndpoint is a placeholder: moto does not create it",
    ]
    assert result.to_json()["localNotes"] == result.local_notes


def test_sst_lsps_own_placeholder_resource_is_not_a_moto_gap() -> None:
    """The embedded synth keeps a stack without modeled resources deployable with its own
    ``SstLspPlaceholder`` (a WaitConditionHandle moto lacks): no "moto does not create" note for
    it, while a user's own WaitConditionHandle still gets one."""
    own = {"Resources": {"SstLspPlaceholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    assert adapt(own) == (own, [])
    users = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    _, notes = adapt(users)
    assert notes == ["moto does not create AWS::CloudFormation::WaitConditionHandle (references to them are placeholders)"]


def test_event_bus_refs_ask_for_its_name() -> None:
    # moto answers `Ref` of an EventBus with its model object (a rule's EventBusName is then an
    # HTTP 500); `Fn::GetAtt [Bus, Name]` is the same value on AWS and works on moto.
    bus = "BusEventBus016AB1B4"
    tpl = {"Resources": {
        bus: {"Type": "AWS::Events::EventBus", "Properties": {"Name": "dev-orders-Bus"}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"EventBusName": {"Ref": bus}}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": bus},
                                                               "Description": {"Fn::Sub": "bus ${" + bus + "}"}}},
        "Other": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "q", "Value": {"Ref": "Rule"}}]}},
    }, "Outputs": {"BusName": {"Value": {"Ref": bus}}, "BusArn": {"Value": {"Fn::GetAtt": [bus, "Arn"]}}}}
    out, notes = adapt(copy.deepcopy(tpl))
    assert notes == []
    name = {"Fn::GetAtt": [bus, "Name"]}
    assert out["Resources"]["Rule"]["Properties"]["EventBusName"] == name
    assert out["Resources"]["Param"]["Properties"]["Value"] == name
    assert out["Resources"]["Param"]["Properties"]["Description"] == {"Fn::Sub": "bus ${" + bus + ".Name}"}
    assert out["Resources"]["Other"] == tpl["Resources"]["Other"]  # other refs stay as they are
    assert out["Outputs"] == {"BusName": {"Value": name}, "BusArn": {"Value": {"Fn::GetAtt": [bus, "Arn"]}}}


def test_refs_to_missing_secrets_stay_arns() -> None:
    # An RDS cluster's secret (moto creates no SecretTargetAttachment) granted to a function: IAM
    # takes only ARNs, so the placeholder is one.
    tpl = {"Resources": {
        "Att": {"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {}},
        "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
            {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": {"Ref": "Att"}}]}}},
    }}
    out, notes = adapt(tpl)
    [statement] = out["Resources"]["Policy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:"
                                                "${AWS::AccountId}:secret:" + placeholder("Att")}
    [note] = notes
    assert note == "moto does not create AWS::SecretsManager::SecretTargetAttachment (references to them are placeholders)"
