"""Reading cloud assemblies: SST v1's real one and CDK-layout ones written by asmkit."""

from __future__ import annotations

import json
from pathlib import Path

import asmkit as k
import pytest

from sst_lsp.cloud.assembly import AssemblyError, read_assembly

DATA = Path(__file__).parent / "data"


def test_reads_the_sst_v1_reference_assembly() -> None:
    asm = read_assembly(DATA / "sst-v1-rest-api-python")
    (stack,) = asm.stacks
    assert stack.stack_name == "dev-rest-api-python-MyStack"
    assert stack.tags == {"sst:app": "rest-api-python", "sst:stage": "dev"}
    assert stack.region == "us-east-1"
    assert stack.account is None  # "my-account" is a placeholder, not an account id.
    assert stack.bootstrap_parameter == "/cdk-bootstrap/hnb659fds/version"
    assert stack.required_bootstrap_version == 6
    assert stack.template["Resources"]["ApiCD79AAA0"]["Type"] == "AWS::ApiGatewayV2::Api"
    paths = stack.cdk_paths()
    assert paths["ApiCD79AAA0"] == "dev-rest-api-python-MyStack/Api/Api/Resource"
    assert paths["ApiLambdaGETnotesA3E56CF7"].endswith("/Api/Lambda_GET_--notes/Resource")
    # The reference copy lacks its assets.json: reading works, publishing would report it.
    (manifest,) = stack.asset_manifests
    assert manifest.missing


def _two_stacks(tmp_path: Path) -> Path:
    code = {"index.py": "def main(e, c):\n    return 1\n"}
    a = k.StackSpec("dev-app-Data", {"T": k.table("dev-app-T")})
    b = k.StackSpec(
        "dev-app-Api",
        {"R": k.role(), "F": k.function(k.asset_id(code), "R")},
        depends_on=["dev-app-Data"],
        code={"fn": code},
    )
    # The dependent stack comes first in the manifest: order must still put Data first.
    return k.write_assembly(tmp_path / "cdk.out", [b, a])


def test_dependency_order_and_assets(tmp_path: Path) -> None:
    asm = read_assembly(_two_stacks(tmp_path))
    assert [s.stack_name for s in asm.stacks] == ["dev-app-Api", "dev-app-Data"]
    assert [s.stack_name for s in asm.ordered()] == ["dev-app-Data", "dev-app-Api"]
    api = asm.stack("dev-app-Api")
    assert api is not None and api.depends_on == ("dev-app-Data",)
    kinds = sorted(a.packaging for m in api.asset_manifests for a in m.files)
    assert kinds == ["file", "zip"]
    zip_asset = next(a for m in api.asset_manifests for a in m.files if a.packaging == "zip")
    assert zip_asset.source.is_dir() and (zip_asset.source / "index.py").is_file()
    assert zip_asset.destinations[0].object_key.endswith(".zip")


def test_select_by_short_name_brings_dependencies(tmp_path: Path) -> None:
    asm = read_assembly(_two_stacks(tmp_path))
    assert [s.stack_name for s in asm.select(["Api"], "dev", "app")] == ["dev-app-Data", "dev-app-Api"]
    assert [s.stack_name for s in asm.select(["dev-app-Data"], "dev", "app")] == ["dev-app-Data"]
    with pytest.raises(AssemblyError, match="Unknown stack"):
        asm.select(["Nope"], "dev", "app")


def test_reads_real_cdk_metadata_file(tmp_path: Path) -> None:
    out = _two_stacks(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"]["dev-app-Data"]["additionalMetadataFile"] = "dev-app-Data.metadata.json"
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "dev-app-Data.metadata.json").write_text(
        json.dumps({"/dev-app-Data/Notes/Resource": [{"type": "aws:cdk:logicalId", "data": "T"}]})
    )
    stack = read_assembly(out).stack("dev-app-Data")
    assert stack is not None and stack.cdk_paths() == {"T": "dev-app-Data/Notes/Resource"}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "No manifest.json"),
        (lambda d: (d / "manifest.json").write_text("{nope"), "not valid JSON"),
        (lambda d: (d / "manifest.json").write_text("[]"), "not a cloud assembly manifest"),
    ],
)
def test_bad_assemblies_give_clear_errors(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    with pytest.raises(AssemblyError, match=message):
        read_assembly(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="not found"):
        read_assembly(tmp_path / "nope")


def test_invalid_template_is_reported_on_use(tmp_path: Path) -> None:
    out = _two_stacks(tmp_path)
    (out / "dev-app-Data.template.json").write_text("{broken")
    stack = read_assembly(out).stack("dev-app-Data")
    assert stack is not None
    with pytest.raises(AssemblyError, match="not valid JSON"):
        _ = stack.template


def test_order_for_moves_respects_dependencies(tmp_path: Path) -> None:
    from sst_lsp.cloud.deploy import order_for_moves

    asm = read_assembly(_two_stacks(tmp_path))  # Api depends on Data.
    stacks = asm.ordered()
    # A resource moving from Api to Data cannot put Api first: Data is its dependency.
    assert [s.stack_name for s in order_for_moves(stacks, {("dev-app-Api", "dev-app-Data")})] == [
        "dev-app-Data",
        "dev-app-Api",
    ]
    assert order_for_moves(stacks, set()) == stacks
