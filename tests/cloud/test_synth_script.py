"""Embedded synth of SST v2's Script.

Fidelity, read from SST v2's `packages/sst/src/constructs/Script.ts` and
`support/script-function/index.ts`:
- `{type}Function` for each of onCreate/onUpdate/onDelete, in the Script, built from a handler
  string or FunctionProps over `{ timeout: 900, ...defaults.function }`; a Function construct
  is used as it is (and refused when `defaults.function` is set);
- `ScriptHandler`: a plain lambda.Function (15 minutes, 1024 MB, `index.handler`) allowed
  `cloudformation:DescribeStacks` on its stack and to invoke each user function;
- `ScriptResource`: `Custom::SSTScript` with `UserCreateFunction`/`UserUpdateFunction`/
  `UserDeleteFunction` (function names), `UserParams` (`JSON.stringify(params || {})`) and
  `Version` (`version`, else a stand-in for SST's build time: said as a warning).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.cloud.synth_embedded import SCRIPT_HANDLER_CODE
from sst_lsp.cloud.synth_spec import app_to_spec
from tests.cloud.test_synth_coverage import APPS, cdk_logical_id, expect_tree, lint_errors, load, template
from tests.cloud.test_synth_eventbus import write_v2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def migrate(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "migrate-v2"), "dev", tmp_path_factory.mktemp("migrate") / "out")


def res(result: SynthResult, path: str) -> dict[str, Any]:
    r: dict[str, Any] = template(result, "Setup")["Resources"][cdk_logical_id(path)]
    return r


def test_migrate_is_modeled_in_full_and_lint_clean(migrate: SynthResult) -> None:
    assert migrate.skipped == []
    # The one difference from SST, said once: SST's Version is the build time.
    assert migrate.warnings == [
        ("Script Seed: its onUpdate runs when the Script's input changes (SST stamps the build time, so it runs "
         "on every deploy there); set `version` to choose when it runs")]
    for s in migrate.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_script_tree_follows_sst(migrate: SynthResult) -> None:
    expect_tree(template(migrate, "Setup"), "dev-migrate-Setup", {
        "Seed/onCreateFunction/Resource": "AWS::Lambda::Function",
        "Seed/onUpdateFunction/Resource": "AWS::Lambda::Function",
        "Seed/ScriptHandler/Resource": "AWS::Lambda::Function",
        "Seed/ScriptResource/Default": "Custom::SSTScript",
        "Cleanup/ScriptHandler/Resource": "AWS::Lambda::Function",
        "Cleanup/ScriptResource/Default": "Custom::SSTScript",
        "Teardown/Resource": "AWS::Lambda::Function",
    })
    paths = {r["Metadata"]["aws:cdk:path"] for r in template(migrate, "Setup")["Resources"].values()}
    assert not any(p.startswith("dev-migrate-Setup/Cleanup/onDeleteFunction") for p in paths)


def test_user_functions_timeouts_and_bindings(migrate: SynthResult) -> None:
    create = res(migrate, "Seed/onCreateFunction/Resource")["Properties"]
    assert create["Timeout"] == 900  # SST's default under the Script's functions
    assert "SST_Table_tableName_Items" in create["Environment"]["Variables"]
    assert res(migrate, "Seed/onUpdateFunction/Resource")["Properties"]["Timeout"] == 300
    assert res(migrate, "Teardown/Resource")["Properties"]["Timeout"] == 10


def test_script_resource_and_handler(migrate: SynthResult) -> None:
    seed = res(migrate, "Seed/ScriptResource/Default")["Properties"]
    assert seed["ServiceToken"] == {"Fn::GetAtt": [cdk_logical_id("Seed/ScriptHandler/Resource"), "Arn"]}
    assert seed["UserCreateFunction"] == {"Ref": cdk_logical_id("Seed/onCreateFunction/Resource")}
    assert seed["UserUpdateFunction"] == {"Ref": cdk_logical_id("Seed/onUpdateFunction/Resource")}
    assert "UserDeleteFunction" not in seed
    assert seed["UserParams"] == '{"batch":25,"tables":["Items"]}'
    cleanup = res(migrate, "Cleanup/ScriptResource/Default")["Properties"]
    assert cleanup["UserDeleteFunction"] == {"Ref": cdk_logical_id("Teardown/Resource")}
    assert cleanup["UserParams"] == "{}" and cleanup["Version"] == "1"
    handler = res(migrate, "Seed/ScriptHandler/Resource")["Properties"]
    assert handler["Timeout"] == 900 and handler["MemorySize"] == 1024 and handler["Handler"] == "index.handler"
    assert handler["Code"]["ZipFile"] == SCRIPT_HANDLER_CODE
    assert "Environment" not in handler  # a plain CDK function, not an SST one
    statements = res(migrate, "Seed/ScriptHandler/ServiceRole/DefaultPolicy/Resource")["Properties"][
        "PolicyDocument"]["Statement"]
    assert statements[0] == {"Action": "cloudformation:DescribeStacks", "Effect": "Allow", "Resource": {"Ref": "AWS::StackId"}}
    invoked = [json.dumps(s["Resource"], sort_keys=True) for s in statements if s["Action"] == "lambda:InvokeFunction"]
    for fn in ("Seed/onCreateFunction/Resource", "Seed/onUpdateFunction/Resource"):
        assert any(cdk_logical_id(fn) in r for r in invoked), fn


def test_version_follows_the_scripts_input(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write_v2(root, '  new Script(stack, "S1", { onCreate: "src/fn.main", params: { n: 1 } });',
             imports="Script, StackContext")
    stack_file = root / "stacks" / "S.ts"

    def version(out: str) -> Any:
        result = synth_app(load(root), "dev", root / out)
        return template(result, "S")["Resources"][cdk_logical_id("S1/ScriptResource/Default")]["Properties"]["Version"]

    first, again = version("a"), version("b")
    stack_file.write_text(stack_file.read_text().replace("n: 1", "n: 2"))
    changed = version("c")
    assert first == again  # an unchanged Script diffs as unchanged
    assert changed != first  # new params run onUpdate


def test_what_stays_out_says_why(tmp_path: Path) -> None:
    app = write_v2(tmp_path / "app", """
  const fn = new Function(stack, "Fn", { handler: "src/fn.main" });
  new Script(stack, "Empty", {});
  new Script(stack, "Refused", { defaults: { function: { timeout: 3 } }, onCreate: fn });
  new Script(stack, "Computed", { onCreate: "src/fn.main", params: { when: Date.now() } });
""", imports="Function, Script, StackContext")
    reasons = {(s["kind"], s["id"]): s["reason"] for s in app_to_spec(app, "dev")["skipped"]}
    assert reasons[("Script", "Empty")].startswith('Need to provide at least one of "onCreate"')
    assert "defaults.function" in reasons[("Script", "Refused")]
    assert "params" in reasons[("Script", "Computed")]


def test_v1_script_stays_out(tmp_path: Path) -> None:
    from tests.cloud.test_synth_coverage import write_app

    app = write_app(tmp_path / "app", "", '  new sst.Script(stack, "Seed", { onCreate: "src/fn.main" });')
    [skip] = [s for s in app_to_spec(app, "dev")["skipped"] if s["id"] == "Seed"]
    assert "only SST v2's Script" in skip["reason"]
