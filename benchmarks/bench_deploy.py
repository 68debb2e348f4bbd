"""Deploy wall time on the local endpoint (a moto server subprocess on 127.0.0.1).

Generates a cloud assembly in CDK's layout (N stacks, each with a DynamoDB table, M Lambda
functions with their own code folder and IAM roles), then times: starting the endpoint, the
first deploy (bootstrap seeding, zips, uploads, change sets), a redeploy with no changes, an
update (one env var per function, new code in one folder), and the removal of the stage.
Prints figures only; it never passes or fails on time.

    python benchmarks/bench_deploy.py [--stacks 3] [--functions 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint
from sst_lsp.cloud.remove import RemoveOptions, remove_stage
from sst_lsp.cloud.reporter import NullReporter

BUCKET = "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"
PARAM = "/cdk-bootstrap/hnb659fds/version"
APP = "bench"


class AcceptReporter(NullReporter):
    """Accepts the removal question; counts log lines."""

    def __init__(self) -> None:
        self.lines = 0

    def log(self, line: str) -> None:
        self.lines += 1

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        return actions[0] if actions and actions[0] == "Remove" else None


def write_assembly(out: Path, stacks: int, functions: int, version: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {}
    for s in range(stacks):
        name = f"dev-{APP}-S{s}"
        resources: dict[str, Any] = {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": f"{name}-Table",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }
        }
        files: dict[str, Any] = {}
        for f in range(functions):
            # Version 2 changes the code of one function per stack (a new asset) and every env var.
            code_version = version if f == 0 else 1
            src = (
                f"def main(event, context):\n    return {{'fn': {f}, 'v': {code_version}}}\n"
                + "# pad\n" * 200
            )
            h = hashlib.sha256(f"{s}/{f}/{src}".encode()).hexdigest()
            folder = out / f"asset.{h}"
            folder.mkdir(exist_ok=True)
            (folder / "index.py").write_text(src)
            files[h] = {
                "source": {"path": f"asset.{h}", "packaging": "zip"},
                "destinations": {"d": {"bucketName": BUCKET, "objectKey": f"{h}.zip"}},
            }
            resources[f"Fn{f}Role"] = {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            }
            resources[f"Fn{f}"] = {
                "Type": "AWS::Lambda::Function",
                "DependsOn": [f"Fn{f}Role"],
                "Properties": {
                    "Code": {"S3Bucket": {"Fn::Sub": BUCKET}, "S3Key": f"{h}.zip"},
                    "Handler": "index.main",
                    "Runtime": "python3.12",
                    "Role": {"Fn::GetAtt": [f"Fn{f}Role", "Arn"]},
                    "Environment": {"Variables": {"TABLE": f"{name}-Table", "VERSION": str(version)}},
                },
            }
        template = {
            "Resources": resources,
            "Parameters": {
                "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": PARAM}
            },
        }
        (out / f"{name}.template.json").write_text(json.dumps(template))
        (out / f"{name}.assets.json").write_text(
            json.dumps({"version": "36.0.0", "files": files, "dockerImages": {}})
        )
        artifacts[f"{name}.assets"] = {
            "type": "cdk:asset-manifest",
            "properties": {
                "file": f"{name}.assets.json",
                "requiresBootstrapStackVersion": 6,
                "bootstrapStackVersionSsmParameter": PARAM,
            },
        }
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {
                "templateFile": f"{name}.template.json",
                "tags": {"sst:app": APP, "sst:stage": "dev"},
                "requiresBootstrapStackVersion": 6,
                "bootstrapStackVersionSsmParameter": PARAM,
            },
            "dependencies": [f"{name}.assets"],
        }
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    return out


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    status = getattr(result, "status", "")
    print(f"{label:<28} {elapsed * 1000:9.1f} ms  {status}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, default=3)
    parser.add_argument("--functions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.stacks} stack(s) x ({args.functions} function(s) + 1 table), local moto endpoint")
    with tempfile.TemporaryDirectory() as tmp:
        v1 = write_assembly(Path(tmp) / "v1", args.stacks, args.functions, 1)
        v2 = write_assembly(Path(tmp) / "v2", args.stacks, args.functions, 2)
        local = timed("start local endpoint", lambda: LocalEndpoint().start())
        try:
            for i in range(args.repeat):
                if i:
                    local.reset()
                opts = DeployOptions(connection=local.connection(), outputs_root=Path(tmp) / "app")
                rep = AcceptReporter()
                for label, asm in (
                    ("deploy (create)", v1),
                    ("deploy (no changes)", v1),
                    ("deploy (update)", v2),
                ):
                    r = timed(
                        label, lambda asm=asm, opts=opts, rep=rep: deploy_assembly(asm, "dev", APP, opts, rep)
                    )
                    if not r.ok:
                        print(f"  {r.message}")
                timed(
                    "remove",
                    lambda rep=rep: remove_stage(
                        "dev", APP, RemoveOptions(connection=local.connection()), rep
                    ),
                )
                print(f"{'log lines':<28} {rep.lines:9d}")
        finally:
            timed("stop local endpoint", lambda: local.stop())


if __name__ == "__main__":
    main()
