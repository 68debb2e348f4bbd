"""The bundled notes example, synthesized by the embedded synth, deployed to a moto server on
127.0.0.1 with ``--local`` semantics (engine and CLI), and the same assembly sent unadapted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from asmkit import ScriptedReporter

from sst_lsp.cloud import ops
from sst_lsp.cloud.aws import Connection
from sst_lsp.cloud.deploy import DeployOptions, DeployResult, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint
from sst_lsp.cloud.synth import SynthResult

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STACKS = ["dev-notes-StorageStack", "dev-notes-ApiStack", "dev-notes-JobsStack"]
BUCKET = "cdk-hnb659fds-assets-123456789012-us-east-1"


def copy_example(dest: Path) -> Path:
    shutil.copytree(REPO / "examples" / "notes-app", dest, ignore=shutil.ignore_patterns(".sst-lsp", "node_modules"))
    return dest


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthResult]:
    """The example's app root (a copy) and its synthesized assembly."""
    root = copy_example(tmp_path_factory.mktemp("notes") / "notes-app")
    res = ops.synth(ops.find_app(root), "dev", out_dir=root / "cdk.out")
    assert res.ok, res.error
    return root, res


def client(local: LocalEndpoint, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=local.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def deploy(root: Path, asm: Path, connection: Connection) -> tuple[DeployResult, ScriptedReporter]:
    rep = ScriptedReporter()
    options = DeployOptions(connection=connection, yes=True, outputs_root=root)
    return deploy_assembly(asm, "dev", "notes", options, rep), rep


def env_of(local: LocalEndpoint, prefix: str) -> dict[str, str]:
    lam = client(local, "lambda")
    [fn] = [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(prefix)]
    return dict(fn["Environment"]["Variables"])


def test_notes_example_deploys_locally(moto: LocalEndpoint, notes: tuple[Path, SynthResult]) -> None:
    root, synth = notes
    asm = synth.out_dir
    on_disk = {p.name: p.read_bytes() for p in asm.glob("*.template.json")}
    result, rep = deploy(root, asm, moto.connection())

    assert result.status == "deployed", result.message
    assert [(s.stack, s.stack_status) for s in result.stacks] == [(s, "CREATE_COMPLETE") for s in STACKS]
    assert "dev-notes-Notes" in client(moto, "dynamodb").list_tables()["TableNames"]

    # Every Lambda's code object is in the asset bucket where its template points.
    s3 = client(moto, "s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    code_keys = {
        r["Properties"]["Code"]["S3Key"]
        for p in on_disk
        for r in json.loads(on_disk[p])["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert code_keys and code_keys <= keys
    assert len(client(moto, "lambda").list_functions()["Functions"]) == 7

    # Outputs: computed (moto reports none after a change set), printed and written.
    storage = result.outputs["dev-notes-StorageStack"]
    assert storage["TableName"] == "dev-notes-Notes"
    bucket = storage["BucketName"]
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert result.outputs["dev-notes-ApiStack"] == {"ApiEndpoint": "sst-lsp-placeholder-ApiCD79AAA0-ApiEndpoint"}
    assert result.outputs_file == root / ".sst-lsp" / "local" / "outputs" / "dev.json"
    assert json.loads(result.outputs_file.read_text())["dev-notes-StorageStack"]["TableName"] == "dev-notes-Notes"
    assert any(line.startswith("dev-notes-StorageStack") for line in rep.lines)

    # Fn::ImportValue got StorageStack's values: the Api and the cron job know the table and bucket.
    assert env_of(moto, "dev-notes-ApiStack-ApiLambdaGETnotesA3E56CF7-")["SST_Table_tableName_Notes"] == "dev-notes-Notes"
    assert env_of(moto, "dev-notes-ApiStack-ApiLambdaGETnotesA3E56CF7-")["SST_Bucket_bucketName_Uploads"] == bucket
    assert env_of(moto, "dev-notes-JobsStack-CleanupJob8E68FD0B-")["SST_Table_tableName_Notes"] == "dev-notes-Notes"
    iam = client(moto, "iam")
    [role] = [r["RoleName"] for r in iam.list_roles()["Roles"] if "ApiLambdaGETnotesSer" in r["RoleName"]]
    [policy] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = json.dumps(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/dev-notes-Notes" in doc

    # SSM parameters kept their tags (sent as a list), and the API's URL is a placeholder.
    ssm = client(moto, "ssm")
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/sst/notes/dev/Table/Notes/tableName")
    assert {t["Key"]: t["Value"] for t in tags["TagList"]} == {"sst:app": "notes", "sst:stage": "dev"}
    url = ssm.get_parameter(Name="/sst/notes/dev/Api/Api/url")["Parameter"]["Value"]
    assert url == "sst-lsp-placeholder-ApiCD79AAA0-ApiEndpoint"
    assert result.local_notes == [
        (
            "dev-notes-ApiStack: moto does not create AWS::ApiGatewayV2::{Api, Integration x5, Route x5, Stage} "
            "(references to them are placeholders)"
        ),
        "dev-notes-ApiStack: output ApiEndpoint is a placeholder: moto does not create AWS::ApiGatewayV2::Api ApiCD79AAA0",
    ]
    # The assembly on disk is what the synth wrote.
    assert {p.name: p.read_bytes() for p in asm.glob("*.template.json")} == on_disk

    # A second deploy of the same assembly changes nothing and still knows the outputs.
    again, _ = deploy(root, asm, moto.connection())
    assert again.status == "no-changes", again.message
    assert again.outputs["dev-notes-StorageStack"]["BucketName"] == bucket
    assert not again.hazards


def test_unadapted_templates_fail_on_moto_and_later_stacks_are_skipped(
    moto: LocalEndpoint, notes: tuple[Path, SynthResult]
) -> None:
    """What --endpoint-url (not --local) gets: the assembly's own templates. moto rejects the
    SSM parameters' tag maps: the first stack fails clearly and the others are not attempted."""
    root, synth = notes
    conn = Connection(region="us-east-1", endpoint_url=moto.endpoint_url)
    result, _ = deploy(root, synth.out_dir, conn)
    assert result.status == "failed"
    assert result.message.startswith("dev-notes-StorageStack: the endpoint rejected the deployment")
    assert [(s.stack, s.status) for s in result.stacks] == [
        ("dev-notes-StorageStack", "failed"),
        ("dev-notes-ApiStack", "skipped"),
        ("dev-notes-JobsStack", "skipped"),
    ]
    assert result.local_notes == []


def test_cli_deploys_the_example_to_the_local_endpoint(tmp_path: Path) -> None:
    copy_example(tmp_path / "notes-app")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_")
    } | {
        "PYTHONPATH": str(REPO),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "deploy", "notes-app", "--stage", "dev", "--local", "--yes"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "Deployed 3 stack(s) to stage 'dev'"
    assert out[1:4] == [
        "  dev-notes-StorageStack  CREATE_COMPLETE",
        "  dev-notes-ApiStack      CREATE_COMPLETE",
        "  dev-notes-JobsStack     CREATE_COMPLETE",
    ]
    assert out[4] == "Outputs (notes-app/.sst-lsp/local/outputs/dev.json):"
    assert "    TableName: dev-notes-Notes" in out
    assert "    ApiEndpoint: sst-lsp-placeholder-ApiCD79AAA0-ApiEndpoint" in out
    assert "ExportsOutput" not in proc.stdout, "CDK's cross-stack exports stay in the file"
    assert "Local endpoint differences:" in out
    endpoint = next(line for line in out if line.startswith("Local endpoint http://127.0.0.1:"))
    assert endpoint.endswith("(stopped): moto's server mode, where")
    assert any("Lambda functions are stored, not run" in line for line in out)
    # Per-event lines go to the log stream (stderr), not to the summary.
    assert "dev-notes-ApiStack | CREATE_COMPLETE | AWS::CloudFormation::Stack" in proc.stderr
    assert " | " not in proc.stdout
    written = json.loads((tmp_path / "notes-app" / ".sst-lsp" / "local" / "outputs" / "dev.json").read_text())
    assert set(written) == set(STACKS)
    assert written["dev-notes-StorageStack"]["TableName"] == "dev-notes-Notes"
