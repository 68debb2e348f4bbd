"""The pure data-loss knowledge in sst_lsp/model/cfn.py (no server)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.model import cfn
from sst_lsp.model.cfn import ChangeSetEntry, assess, diff_templates

DATA = Path(__file__).parent / "data"


def tbl(**extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    props.update(extra)
    return {"Type": "AWS::DynamoDB::Table", "Properties": props}


def tmpl(**resources: Any) -> dict[str, Any]:
    return {"Resources": resources}


# -- stateful types and levels ---------------------------------------------------------------


def test_stateful_types_come_from_cfn_lint() -> None:
    types = cfn.stateful_types()
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::SQS::Queue"} <= types
    assert "AWS::Lambda::Function" not in types


@pytest.mark.parametrize(
    ("rtype", "level"),
    [
        ("AWS::DynamoDB::Table", "block"),
        ("AWS::S3::Bucket", "block"),
        ("AWS::RDS::DBCluster", "block"),
        ("AWS::EFS::FileSystem", "block"),
        ("AWS::Cognito::UserPool", "block"),
        ("AWS::Kinesis::Stream", "block"),
        ("AWS::SQS::Queue", "warn"),
        ("AWS::Logs::LogGroup", "warn"),
        ("AWS::KMS::Key", "warn"),
        ("AWS::Lambda::Function", None),
        ("AWS::IAM::Role", None),
        ("Custom::Thing", None),
    ],
)
def test_stateful_level(rtype: str, level: str | None) -> None:
    assert cfn.stateful_level(rtype) == level


def test_warn_only_types_are_all_stateful() -> None:
    # A typo in the warn list would silently make a type stateless.
    assert cfn.WARN_ONLY_TYPES <= cfn.stateful_types()


# -- replacement: schema and supplement --------------------------------------------------------


def test_schema_create_only_property_forces_replacement() -> None:
    assert "TableName" in cfn.replacement_causes(
        "AWS::DynamoDB::Table", tbl(TableName="a")["Properties"], tbl(TableName="b")["Properties"]
    )
    assert cfn.replacement_causes("AWS::S3::Bucket", {"BucketName": "a"}, {"BucketName": "b"}) == [
        "BucketName"
    ]
    # Adding a create-only property that was absent replaces too.
    assert cfn.replacement_causes("AWS::SQS::Queue", {}, {"FifoQueue": True}) == ["FifoQueue"]


def test_in_place_change_is_not_a_replacement() -> None:
    old = tbl()["Properties"]
    new = tbl(BillingMode="PROVISIONED")["Properties"]
    assert cfn.replacement_causes("AWS::DynamoDB::Table", old, new) == []


def test_scalars_compare_as_cloudformation_does() -> None:
    assert cfn.replacement_causes("AWS::SQS::Queue", {"FifoQueue": True}, {"FifoQueue": "true"}) == []


def test_unknown_types_have_no_create_only_properties() -> None:
    assert cfn.create_only_properties("Custom::Whatever") == ()
    assert cfn.create_only_properties("AWS::Nope::Nothing") == ()


def _rule(rtype: str, prop: str) -> cfn.ReplacementRule:
    return next(r for r in cfn.SUPPLEMENT if r.resource_type == rtype and r.prop == prop)


def test_supplement_dynamodb_key_schema() -> None:
    old = tbl()["Properties"]
    new = tbl(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])["Properties"]
    assert _rule("AWS::DynamoDB::Table", "KeySchema").changed(old, new)
    assert "KeySchema" in cfn.replacement_causes("AWS::DynamoDB::Table", old, new)
    # The schema itself is silent about it (that is why the supplement exists).
    assert "/properties/KeySchema" not in cfn.create_only_properties("AWS::DynamoDB::Table")


def test_supplement_dynamodb_key_attribute_type() -> None:
    rule = _rule("AWS::DynamoDB::Table", "AttributeDefinitions (key attribute type)")
    old = tbl()["Properties"]
    new = tbl(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}])["Properties"]
    assert rule.changed(old, new)
    # A new attribute for an index is added in place: not a replacement.
    with_gsi = tbl(
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ]
    )["Properties"]
    assert not rule.changed(old, with_gsi)
    assert cfn.replacement_causes("AWS::DynamoDB::Table", old, with_gsi) == []


def test_supplement_dynamodb_local_secondary_indexes() -> None:
    lsi = [
        {
            "IndexName": "byDate",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "d", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    old = tbl()["Properties"]
    new = tbl(LocalSecondaryIndexes=lsi)["Properties"]
    assert _rule("AWS::DynamoDB::Table", "LocalSecondaryIndexes").changed(old, new)
    assert not _rule("AWS::DynamoDB::Table", "LocalSecondaryIndexes").changed(new, copy.deepcopy(new))


def test_supplement_dynamodb_global_table_key_schema() -> None:
    old = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
    new = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    }
    assert "KeySchema" in cfn.replacement_causes("AWS::DynamoDB::GlobalTable", old, new)


def test_supplement_cognito_username_attributes() -> None:
    assert "UsernameAttributes" in cfn.replacement_causes(
        "AWS::Cognito::UserPool", {"UsernameAttributes": ["email"]}, {"UsernameAttributes": ["phone_number"]}
    )


def test_supplement_cognito_alias_attributes() -> None:
    assert "AliasAttributes" in cfn.replacement_causes(
        "AWS::Cognito::UserPool", {}, {"AliasAttributes": ["preferred_username"]}
    )


def test_supplement_ebs_volume_availability_zone() -> None:
    assert "AvailabilityZone" in cfn.replacement_causes(
        "AWS::EC2::Volume", {"AvailabilityZone": "us-east-1a"}, {"AvailabilityZone": "us-east-1b"}
    )


def test_supplement_rds_cluster_engine() -> None:
    rule = _rule("AWS::RDS::DBCluster", "Engine")
    assert rule.changed({"Engine": "aurora-mysql"}, {"Engine": "aurora-postgresql"})
    assert not rule.changed({"Engine": "aurora-postgresql"}, {"Engine": "aurora-postgresql"})
    assert "Engine" in cfn.replacement_causes(
        "AWS::RDS::DBCluster", {"Engine": "aurora-mysql"}, {"Engine": "aurora-postgresql"}
    )
    # The schema itself is silent about it.
    assert "/properties/Engine" not in cfn.create_only_properties("AWS::RDS::DBCluster")


def test_every_supplement_entry_is_tested() -> None:
    # One test per entry above; a new entry needs a new test.
    assert len(cfn.SUPPLEMENT) == 8


# -- policies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        (None, "destroyed"),
        ("Delete", "destroyed"),
        ("Retain", "retained"),
        ("RetainExceptOnCreate", "retained"),
        ("Snapshot", "snapshot"),
    ],
)
def test_deletion_outcome(policy: str | None, outcome: str) -> None:
    res: dict[str, Any] = tbl()
    if policy:
        res["DeletionPolicy"] = policy
    assert cfn.deletion_outcome(res) == outcome


def test_replacement_outcome_uses_update_replace_policy() -> None:
    res = {**tbl(), "DeletionPolicy": "Retain"}
    assert cfn.deletion_outcome(res, replaced=True) == "destroyed"
    res["UpdateReplacePolicy"] = "Retain"
    assert cfn.deletion_outcome(res, replaced=True) == "retained"


# -- the evaluation -------------------------------------------------------------------------


def test_removing_a_table_blocks() -> None:
    (h,) = assess("s", tmpl(T=tbl()), tmpl())
    assert (h.kind, h.level, h.outcome, h.blocks) == ("remove", "block", "destroyed", True)
    assert "removed" in h.describe() and "destroyed" in h.describe()


def test_removing_a_retained_table_is_orphaned_not_destroyed() -> None:
    (h,) = assess("s", tmpl(T={**tbl(), "DeletionPolicy": "Retain"}), tmpl())
    assert h.outcome == "retained"
    assert not h.blocks
    assert "retained (orphaned)" in h.describe()


def test_removing_stateless_resources_is_no_hazard() -> None:
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "x.main"}}
    assert assess("s", tmpl(F=fn, R={"Type": "AWS::IAM::Role"}), tmpl()) == []


def test_removing_a_queue_warns_only() -> None:
    (h,) = assess("s", tmpl(Q={"Type": "AWS::SQS::Queue"}), tmpl())
    assert h.level == "warn" and not h.blocks


def test_replacing_a_table_by_template_diff_blocks() -> None:
    (h,) = assess("s", tmpl(T=tbl(TableName="a")), tmpl(T=tbl(TableName="b")))
    assert (h.kind, h.blocks) == ("replace", True)
    assert "TableName" in h.reason
    assert h.sources == ("template",)


def test_replacing_a_stateless_resource_is_no_hazard() -> None:
    old = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "a"}}
    new = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "b"}}
    assert assess("s", tmpl(F=old), tmpl(F=new)) == []
    (d,) = diff_templates(tmpl(F=old), tmpl(F=new))
    assert d.replacement == "true" and d.replacement_causes == ("FunctionName",)


def test_modify_without_replacement_is_not_data_loss() -> None:
    # A local endpoint reports a spurious Modify on every S3 bucket, with Replacement empty.
    bucket = {"Type": "AWS::S3::Bucket"}
    entries = [ChangeSetEntry("B", "AWS::S3::Bucket", "Modify", None)]
    assert assess("s", tmpl(B=bucket), tmpl(B=bucket), entries) == []
    entries = [ChangeSetEntry("B", "AWS::S3::Bucket", "Modify", "False")]
    assert assess("s", tmpl(B=bucket), tmpl(B=bucket), entries) == []


def test_change_set_replacement_counts_even_when_the_schema_is_silent() -> None:
    old, new = tmpl(T=tbl()), tmpl(T=tbl(SSESpecification={"SSEEnabled": True}))
    assert assess("s", old, new) == []
    (h,) = assess("s", old, new, [ChangeSetEntry("T", "AWS::DynamoDB::Table", "Modify", "True")])
    assert h.kind == "replace" and h.blocks and h.sources == ("change set",)
    (h,) = assess("s", old, new, [ChangeSetEntry("T", "AWS::DynamoDB::Table", "Modify", "Conditional")])
    assert h.blocks and "Conditional" in h.reason


def test_both_views_merge_into_one_hazard() -> None:
    hazards = assess("s", tmpl(T=tbl()), tmpl(), [ChangeSetEntry("T", "AWS::DynamoDB::Table", "Remove")])
    assert len(hazards) == 1
    assert hazards[0].sources == ("template", "change set")


def test_type_change_under_the_same_logical_id_is_a_replacement() -> None:
    (h,) = assess("s", tmpl(X=tbl()), tmpl(X={"Type": "AWS::SQS::Queue"}))
    assert h.kind == "replace" and h.resource_type == "AWS::DynamoDB::Table"


# -- template diff --------------------------------------------------------------------------


def test_diff_templates_lists_added_removed_modified() -> None:
    old = tmpl(A=tbl(), B={"Type": "AWS::SQS::Queue"}, C={"Type": "AWS::SNS::Topic", "Metadata": {"x": 1}})
    new = tmpl(
        A=tbl(BillingMode="PROVISIONED"),
        C={"Type": "AWS::SNS::Topic", "Metadata": {"x": 2}},
        D={"Type": "AWS::SQS::Queue"},
    )
    diffs = {d.logical_id: d for d in diff_templates(old, new)}
    assert set(diffs) == {"A", "B", "D"}  # Metadata-only changes are not modifications.
    assert diffs["A"].action == "modify" and diffs["A"].changed == ("Properties.BillingMode",)
    assert diffs["A"].replacement == "false"
    assert diffs["B"].action == "remove" and diffs["B"].outcome == "destroyed"
    assert diffs["D"].action == "add"


def test_diff_tolerates_malformed_templates() -> None:
    assert diff_templates(None, {"Resources": "nope"}) == []
    assert diff_templates({"Resources": {"X": "not a resource"}}, {}) == []


def test_reference_sst_template_log_group_is_retained_when_removed() -> None:
    template = json.loads(
        (DATA / "sst-v1-rest-api-python" / "dev-rest-api-python-MyStack.template.json").read_text()
    )
    new = copy.deepcopy(template)
    del new["Resources"]["ApiLogGroup1717FE17"]
    del new["Resources"]["ApiLambdaGETnotesA3E56CF7"]
    (h,) = assess("dev-rest-api-python-MyStack", template, new)
    assert h.resource_type == "AWS::Logs::LogGroup" and h.outcome == "retained"
    assert h.cdk_path == "dev-rest-api-python-MyStack/Api/LogGroup/Resource"
    diffs = {d.logical_id: d for d in diff_templates(template, new)}
    assert diffs["ApiLambdaGETnotesA3E56CF7"].action == "remove"
