"""Raw CDK classes in SST stacks, built by aws-cdk-lib itself from their literal props.

Fidelity: SST adds nothing around a raw `new dynamodb.Table(stack, "Notes", {...})`; the class
makes its own tree (`Notes/Resource`, a bucket's `Uploads/Policy` for `enforceSSL`) and
CDK's defaults (a Table and a Bucket retain, a Queue is deleted), so the engine calls that very
class with the props the source spells literally. `permissions: [table]` on an SST function
grants what SST's permission.ts grants on CDK constructs (found by their attributes):
`dynamodb:*` on the table and its indexes, `s3:*` on the bucket and its objects, `sqs:*`,
`sns:*`. A prop the model does not pass on, or a construct created in another scope, leaves
the construct out with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from tests.cloud.test_synth_coverage import (
    cdk_logical_id,
    expect_tree,
    lint_errors,
    load,
    template,
    write_app,
)

pytestmark = pytest.mark.slow

_IMPORTS = (
    'import * as dynamodb from "aws-cdk-lib/aws-dynamodb";\nimport * as s3 from "aws-cdk-lib/aws-s3";\n'
    'import * as sqs from "aws-cdk-lib/aws-sqs";\nimport { Topic } from "aws-cdk-lib/aws-sns";\n'
    'import * as lambda from "aws-cdk-lib/aws-lambda";\nimport { RemovalPolicy } from "aws-cdk-lib";\n'
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    root = tmp_path_factory.mktemp("raw") / "app"
    write_app(root, "", """
  const notes = new dynamodb.Table(stack, "Notes", {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    sortKey: { name: "sk", type: dynamodb.AttributeType.NUMBER },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  });
  const uploads = new s3.Bucket(stack, "Uploads", {
    versioned: true, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const jobs = new sqs.Queue(stack, "Jobs", { visibilityTimeout: Duration.seconds(60), fifo: true });
  const alerts = new Topic(stack, "Alerts", { displayName: "Alerts" });
  new sqs.Queue(stack, "Retried", { deadLetterQueue: { queue: jobs, maxReceiveCount: 3 } });
  new sst.Function(stack, "Worker", {
    handler: "src/fn.main",
    permissions: [notes, uploads, jobs, alerts],
    environment: { TABLE: notes.tableName, BUCKET: uploads.bucketName },
  });
  const resize = new lambda.Function(stack, "Resize", {
    runtime: lambda.Runtime.NODEJS_20_X, handler: "fn.main", code: lambda.Code.fromAsset("src"),
    timeout: Duration.seconds(30), environment: { MODE: "fast" },
  });
  new lambda.Function(stack, "Stored", {
    runtime: lambda.Runtime.NODEJS_20_X, handler: "index.main", code: lambda.Code.fromBucket(uploads, "fn.zip"),
  });
  stack.addOutputs({ JobsUrl: jobs.queueUrl, AlertsArn: alerts.topicArn, ResizeName: resize.functionName });
""")
    stack = root / "stacks" / "S.ts"
    stack.write_text(_IMPORTS + stack.read_text())
    return synth_app(load(root), "dev", root.parent / "out")


def _res(raw: SynthResult) -> dict[str, Any]:
    out: dict[str, Any] = template(raw, "S")["Resources"]
    return out


def test_raw_classes_keep_cdks_own_tree_and_defaults(raw: SynthResult) -> None:
    reasons = {(s.kind, s.id): s.reason for s in raw.skipped}
    assert reasons == {
        ("Queue", "Retried"): "`deadLetterQueue` of a raw CDK Queue is not modeled by the embedded synth",
        ("Function", "Stored"): "code other than `Code.fromAsset(\"folder of the app\")` or `Code.fromInline(...)` "
                                'is not modeled (`lambda.Code.fromBucket(uploads, "fn.zip…`)',
    }
    assert raw.warnings == []
    assert lint_errors(raw.stacks[0].template_path) == []
    tpl = template(raw, "S")
    expect_tree(tpl, "dev-cov-S", {
        "Notes/Resource": "AWS::DynamoDB::Table",
        "Uploads/Resource": "AWS::S3::Bucket",
        "Uploads/Policy/Resource": "AWS::S3::BucketPolicy",
        "Jobs/Resource": "AWS::SQS::Queue",
        "Alerts/Resource": "AWS::SNS::Topic",
        "Resize/Resource": "AWS::Lambda::Function",
        "Resize/ServiceRole/Resource": "AWS::IAM::Role",
    })
    res = tpl["Resources"]
    notes = res[cdk_logical_id("Notes/Resource")]
    assert notes["DeletionPolicy"] == "Retain"  # CDK's default for a Table
    assert notes["Properties"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert notes["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert res[cdk_logical_id("Uploads/Resource")]["DeletionPolicy"] == "Delete"
    assert res[cdk_logical_id("Uploads/Resource")]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    jobs = res[cdk_logical_id("Jobs/Resource")]
    assert (jobs["Properties"]["FifoQueue"], jobs["Properties"]["VisibilityTimeout"]) == (True, 60)
    assert not any("Retried" in lid for lid in res)
    assert tpl["Outputs"]["JobsUrl"]["Value"] == {"Ref": cdk_logical_id("Jobs/Resource")}
    assert tpl["Outputs"]["ResizeName"]["Value"] == {"Ref": cdk_logical_id("Resize/Resource")}
    resize = res[cdk_logical_id("Resize/Resource")]
    props = resize["Properties"]
    assert (props["Runtime"], props["Handler"], props["Timeout"]) == ("nodejs20.x", "fn.main", 30)
    assert props["Environment"] == {"Variables": {"MODE": "fast"}}
    # Its code is an asset staged from the app's `src` folder, as the CDK app would stage it.
    assert resize["Metadata"]["aws:asset:property"] == "Code"
    assert (raw.stacks[0].template_path.parent / resize["Metadata"]["aws:asset:path"] / "fn.ts").is_file()


def test_permissions_and_attributes_on_raw_classes(raw: SynthResult) -> None:
    res = _res(raw)

    def arn(path: str) -> Any:
        return {"Fn::GetAtt": [cdk_logical_id(path), "Arn"]}

    policy = res[cdk_logical_id("Worker/ServiceRole/DefaultPolicy/Resource")]["Properties"]["PolicyDocument"]
    assert policy["Statement"][1:] == [
        {"Action": "dynamodb:*", "Effect": "Allow",
         "Resource": [arn("Notes/Resource"), {"Fn::Join": ["", [arn("Notes/Resource"), "/*"]]}]},
        {"Action": "s3:*", "Effect": "Allow",
         "Resource": [arn("Uploads/Resource"), {"Fn::Join": ["", [arn("Uploads/Resource"), "/*"]]}]},
        {"Action": "sqs:*", "Effect": "Allow", "Resource": arn("Jobs/Resource")},
        {"Action": "sns:*", "Effect": "Allow", "Resource": {"Ref": cdk_logical_id("Alerts/Resource")}},
    ]
    env = res[cdk_logical_id("Worker/Resource")]["Properties"]["Environment"]["Variables"]
    assert env["TABLE"] == {"Ref": cdk_logical_id("Notes/Resource")}
    assert env["BUCKET"] == {"Ref": cdk_logical_id("Uploads/Resource")}


def test_raw_classes_out_of_reach_are_listed(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write_app(root, "", """
  const name = process.env.TABLE_NAME;
  new dynamodb.Table(stack, "Named", { tableName: name, partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING } });
  new dynamodb.Table(stack, "Keyless", { partitionKey: { name: "pk", type: "S" } });
  new s3.Bucket(stack, "Rules", { lifecycleRules: [{ expiration: Duration.days(30) }] });
  const group = new Construct(stack, "Group");
  new s3.Bucket(group, "Inner");
""")
    stack = root / "stacks" / "S.ts"
    stack.write_text(_IMPORTS + 'import { Construct } from "constructs";\n' + stack.read_text())
    result = synth_app(load(root), "dev", tmp_path / "out")
    reasons = {s.id: s.reason for s in result.skipped}
    assert reasons["Named"].startswith("tableName cannot be evaluated statically")
    assert reasons["Keyless"] == 'partitionKey.type must be a member of AttributeType (`"S"`)'
    assert reasons["Rules"] == "`lifecycleRules` of a raw CDK Bucket is not modeled by the embedded synth"
    assert reasons["Inner"].startswith("a raw CDK construct (aws-s3) created in `group`, not in the stack")
    assert json.loads(result.stacks[0].template_path.read_text())["Resources"]  # the placeholder
