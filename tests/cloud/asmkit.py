"""Writes small cloud assemblies in CDK's layout for the cloud tests.

Each stack gets ``<name>.template.json`` (with CDK's ``BootstrapVersion`` parameter and
``CheckBootstrapVersion`` rule), ``<name>.assets.json`` (the template as a file asset plus one
zip asset per Lambda code folder) and an ``asset.<hash>/`` folder per code folder, all named in
``manifest.json`` exactly as aws-cdk-lib's default synthesizer does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sst_lsp.cloud.deploy import DeployOptions
    from sst_lsp.cloud.local import LocalEndpoint

BUCKET = "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"
PARAM = "/cdk-bootstrap/hnb659fds/version"


def folder_hash(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()


def table(
    name: str | None = None, key: str = "pk", policy: str | None = None, path: str | None = None
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if name:
        props["TableName"] = name
    res: dict[str, Any] = {"Type": "AWS::DynamoDB::Table", "Properties": props}
    if policy:
        res["DeletionPolicy"] = policy
        res["UpdateReplacePolicy"] = policy
    if path:
        res["Metadata"] = {"aws:cdk:path": path}
    return res


def queue(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": props} if props else {"Type": "AWS::SQS::Queue"}


def role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
                "Version": "2012-10-17",
            }
        },
    }


def function(asset: str, role_id: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Code": {"S3Bucket": {"Fn::Sub": BUCKET}, "S3Key": f"{asset}.zip"},
        "Handler": "index.main",
        "Role": {"Fn::GetAtt": [role_id, "Arn"]},
        "Runtime": "python3.12",
    }
    if env:
        props["Environment"] = {"Variables": env}
    return {"Type": "AWS::Lambda::Function", "Properties": props, "DependsOn": [role_id]}


@dataclass
class StackSpec:
    name: str
    resources: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    #: Code folders: name -> {relative path: content}; reference them with ``asset_id(files)``.
    code: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def template_of(spec: StackSpec) -> dict[str, Any]:
    t: dict[str, Any] = {"Resources": copy.deepcopy(spec.resources)}
    if spec.outputs:
        t["Outputs"] = copy.deepcopy(spec.outputs)
    t["Parameters"] = {
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": PARAM,
            "Description": "Version of the CDK Bootstrap resources [cdk:skip]",
        }
    }
    t["Rules"] = {
        "CheckBootstrapVersion": {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}
                        ]
                    },
                    "AssertDescription": "CDK bootstrap stack version 6 required.",
                }
            ]
        }
    }
    return t


def write_assembly(out: Path, stacks: list[StackSpec]) -> Path:
    """Write the assembly into ``out`` (created) and return it."""
    out.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {}
    for spec in stacks:
        template_text = json.dumps(template_of(spec), indent=1)
        tfile = f"{spec.name}.template.json"
        (out / tfile).write_text(template_text)
        thash = hashlib.sha256(template_text.encode()).hexdigest()
        files: dict[str, Any] = {}
        for files_map in spec.code.values():
            h = folder_hash(files_map)
            folder = out / f"asset.{h}"
            for rel, content in files_map.items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_text(content)
            files[h] = {
                "source": {"path": f"asset.{h}", "packaging": "zip"},
                "destinations": {
                    "current_account-current_region": {"bucketName": BUCKET, "objectKey": f"{h}.zip"}
                },
            }
        files[thash] = {
            "source": {"path": tfile, "packaging": "file"},
            "destinations": {
                "current_account-current_region": {"bucketName": BUCKET, "objectKey": f"{thash}.json"}
            },
        }
        afile = f"{spec.name}.assets.json"
        (out / afile).write_text(
            json.dumps({"version": "36.0.0", "files": files, "dockerImages": {}}, indent=1)
        )
        artifacts[f"{spec.name}.assets"] = {
            "type": "cdk:asset-manifest",
            "properties": {
                "file": afile,
                "requiresBootstrapStackVersion": 6,
                "bootstrapStackVersionSsmParameter": PARAM,
            },
        }
        artifacts[spec.name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {
                "templateFile": tfile,
                "tags": spec.tags,
                "stackTemplateAssetObjectUrl": f"s3://{BUCKET}/{thash}.json",
                "requiresBootstrapStackVersion": 6,
                "bootstrapStackVersionSsmParameter": PARAM,
            },
            "dependencies": [*spec.depends_on, f"{spec.name}.assets"],
        }
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}, indent=1))
    return out


def asset_id(files: dict[str, str]) -> str:
    return folder_hash(files)


class ScriptedReporter:
    """A Reporter for tests: records everything, answers from a script."""

    def __init__(
        self,
        confirm: str | None = None,
        typed: str | None = None,
        cancel_after_progress: int | None = None,
        cancel_on: str | None = None,
    ) -> None:
        self.cancel_on = cancel_on
        self._cancel_seen = False
        self.answer = confirm
        self.typed = typed
        self.progresses: list[tuple[str, int | None]] = []
        self.lines: list[str] = []
        self.questions: list[tuple[str, list[str], list[str]]] = []
        self.typed_prompts: list[tuple[str, str]] = []
        self.cancel_after_progress = cancel_after_progress

    @property
    def cancelled(self) -> bool:
        if self._cancel_seen:
            return True
        return self.cancel_after_progress is not None and len(self.progresses) >= self.cancel_after_progress

    def progress(self, message: str, percent: int | None = None) -> None:
        self.progresses.append((message, percent))
        if self.cancel_on is not None and self.cancel_on in message:
            self._cancel_seen = True

    def log(self, line: str) -> None:
        self.lines.append(line)

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        self.questions.append((title, items, actions))
        return self.answer

    def confirm_typed(self, prompt: str, expected: str) -> bool:
        self.typed_prompts.append((prompt, expected))
        return self.typed == expected


# -- The notes app of the moto tests ---------------------------------------------------------

APP = "notes"
TABLE = "dev-notes-Notes"
CODE_V1 = {"index.py": "def main(e, c):\n    return 'v1'\n"}
BUCKET_RESOLVED = "cdk-hnb659fds-assets-123456789012-us-east-1"
# The stack builders take flags named like these resource builders.
_table, _queue = table, queue


def data_stack(
    stage: str = "dev", table: bool = True, queue: bool = False, policy: str | None = None
) -> StackSpec:
    res: dict[str, Any] = {}
    if table:
        res["Notes"] = _table(f"{stage}-notes-Notes", policy=policy, path=f"{stage}-notes-Data/Notes/Table")
    if queue:
        res["Jobs"] = _queue()
    return StackSpec(f"{stage}-notes-Data", res, tags={"sst:app": APP, "sst:stage": stage})


def api_stack(stage: str = "dev", env: str = "1", table: bool = False) -> StackSpec:
    res: dict[str, Any] = {
        "FnRole": role(),
        "Fn": function(asset_id(CODE_V1), "FnRole", {"TABLE": TABLE, "V": env}),
    }
    if table:
        # Moved here from the Data stack: same logical id, same table name.
        res["Notes"] = _table(f"{stage}-notes-Notes", path=f"{stage}-notes-Api/Notes/Table")
    return StackSpec(
        f"{stage}-notes-Api",
        res,
        outputs={"FnName": {"Value": {"Ref": "Fn"}}},
        depends_on=[f"{stage}-notes-Data"],
        code={"fn": CODE_V1},
        tags={"sst:app": APP, "sst:stage": stage},
    )


def options(local: LocalEndpoint, tmp_path: Path, **kw: Any) -> DeployOptions:
    from sst_lsp.cloud.deploy import DeployOptions

    return DeployOptions(connection=local.connection(), outputs_root=tmp_path / "app", **kw)
