"""Embedded synth with real aws-cdk-lib: SST v1 fidelity, cfn-lint, logical-id snapshots.

The logical ids CDK gives a resource come from its construct path, so these tests pin the
construct tree that SST v1's constructs build (read from packages/resources/src/*.ts of SST
1.18): `Api/Api`, `Api/Lambda_GET_/notes`, `Notes/Table`, `Notes/Consumer_Notes_indexer`, ...

Snapshots: tests/cloud/synth_data/expected/<app>.json maps each stack to {logical id: construct
path}; regenerate with UPDATE_EXPECT=1 after a deliberate change (and read the diff).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthError, SynthResult, synth_app
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "synth_data"
APPS = DATA / "apps"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "sst-v1.18.4-rest-api-python"
#: SST v1's internal extras the embedded synth does not build (they need SST's own handler).
SST_INTERNAL = {
    "CustomResourceHandlerServiceRole41AEC181",
    "CustomResourceHandlerServiceRoleDefaultPolicy73F93F56",
    "CustomResourceHandlerE8FB56BA",
    "StackMetadata",
}


def load(root: Path) -> App:
    [app] = WorkspaceIndex([root]).snapshot().apps
    return app


def template(result: SynthResult, stack_id: str) -> dict[str, Any]:
    s = result.stack(stack_id)
    assert s is not None, [x.id for x in result.stacks]
    data: dict[str, Any] = json.loads(s.template_path.read_text())
    return data


def lint_errors(path: Path) -> list[str]:
    from cfnlint import ManualArgs
    from cfnlint.api import lint

    matches = lint(path.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]


def paths(tpl: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("Metadata", {}).get("aws:cdk:path", "") for k, v in tpl["Resources"].items()}


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "kitchen-v1"), "dev", tmp_path_factory.mktemp("kitchen") / "out")


# ----------------------------------------------------------------------------------------------
# Fidelity with SST v1.18.4's own `sst build` (../shared/reference).


def reference_template() -> dict[str, Any]:
    p = REFERENCE / "dev-rest-api-python-MyStack.template.json"
    if not p.is_file():
        # The reference lives beside the repository (shared/); keep a copy in the test data.
        p = DATA / "reference" / "dev-rest-api-python-MyStack.template.json"
    data: dict[str, Any] = json.loads(p.read_text())
    return data


def test_logical_ids_and_paths_match_sst_v1_reference(tmp_path: Path) -> None:
    ref = reference_template()
    result = synth_app(load(APPS / "rest-api-python"), "dev", tmp_path / "out")
    ours = template(result, "MyStack")
    ref_ids = set(ref["Resources"]) - SST_INTERNAL
    assert set(ours["Resources"]) == ref_ids
    # Same construct paths, so the same tree: a deploy over a stage SST created updates in place.
    ref_paths = {k: v for k, v in paths(ref).items() if k in ref_ids}
    assert paths(ours) == ref_paths
    assert {k: v["Type"] for k, v in ours["Resources"].items()} == {
        k: v["Type"] for k, v in ref["Resources"].items() if k in ref_ids
    }
    assert ours["Outputs"] == ref["Outputs"]
    # Properties that SST sets match too (runtime aside: the fixture uses python3.12).
    fn, ref_fn = ours["Resources"]["ApiLambdaGETnotesA3E56CF7"], ref["Resources"]["ApiLambdaGETnotesA3E56CF7"]
    for key in ("Handler", "MemorySize", "Timeout", "TracingConfig", "Environment", "EphemeralStorage"):
        assert fn["Properties"][key] == ref_fn["Properties"][key], key
    for lid in ("ApiCD79AAA0", "ApiDefaultStage1AAE989B", "ApiRouteGETnotesBFEE3C9D", "ApiParameterurl09B86AB9",
                "ApiLogGroup1717FE17"):
        assert ours["Resources"][lid]["Properties"] == ref["Resources"][lid]["Properties"], lid
    assert ours["Resources"]["ApiLogGroup1717FE17"]["DeletionPolicy"] == "Retain"
    assert lint_errors(result.stacks[0].template_path) == []
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    art = manifest["artifacts"]["dev-rest-api-python-MyStack"]
    assert art["type"] == "aws:cloudformation:stack"
    assert art["properties"]["tags"] == {"sst:app": "rest-api-python", "sst:stage": "dev"}


# ----------------------------------------------------------------------------------------------
# A v1 app with every modeled construct.


def test_kitchen_templates_pass_cfn_lint(kitchen: SynthResult) -> None:
    assert [s.id for s in kitchen.stacks] == ["StorageStack", "ApiStack", "JobsStack"]
    for s in kitchen.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_kitchen_logical_id_snapshot(kitchen: SynthResult) -> None:
    got = {s.name: paths(template(kitchen, s.id)) for s in kitchen.stacks}
    expected_file = DATA / "expected" / "kitchen-v1.json"
    if os.environ.get("UPDATE_EXPECT"):
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(expected_file.read_text())


def test_kitchen_construct_tree_follows_sst_sources(kitchen: SynthResult) -> None:
    every = {p for s in kitchen.stacks for p in paths(template(kitchen, s.id)).values()}
    for expected in (
        "dev-kitchen-StorageStack/Notes/Table/Resource",
        "dev-kitchen-StorageStack/Notes/Consumer_Notes_indexer/Resource",
        "dev-kitchen-StorageStack/Notes/Parameter_tableName/Resource",
        "dev-kitchen-StorageStack/Uploads/Bucket/Resource",
        "dev-kitchen-StorageStack/Uploads/Notification_Uploads_resize/Resource",
        "dev-kitchen-ApiStack/Api/Api/Resource",
        "dev-kitchen-ApiStack/Api/Lambda_GET_--notes/Resource",
        "dev-kitchen-ApiStack/Api/Route_default/Resource",
        # addRoutes(stack, ...) builds in the stack's scope.
        "dev-kitchen-ApiStack/Lambda_DELETE_--notes--{id}/Resource",
        "dev-kitchen-ApiStack/Route_DELETE_--notes--{id}/Resource",
        "dev-kitchen-ApiStack/Health/Resource",
        "dev-kitchen-JobsStack/Work/Queue/Resource",
        "dev-kitchen-JobsStack/Work/Consumer_Work/Resource",
        "dev-kitchen-JobsStack/Events/Topic/Resource",
        "dev-kitchen-JobsStack/Events/Subscriber_Events_audit/Resource",
        "dev-kitchen-JobsStack/Cleanup/Rule/Resource",
        "dev-kitchen-JobsStack/Cleanup/Job/Resource",
    ):
        assert expected in every, expected


def test_kitchen_resources_and_references(kitchen: SynthResult) -> None:
    storage, api, jobs = (template(kitchen, s) for s in ("StorageStack", "ApiStack", "JobsStack"))
    table = storage["Resources"]["NotesTable7100B0E8"]
    assert table["Properties"]["TableName"] == "dev-kitchen-Notes"
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table["DeletionPolicy"] == "Retain"
    [gsi] = table["Properties"]["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "byCreatedAt" and gsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert {"AttributeName": "createdAt", "AttributeType": "N"} in table["Properties"]["AttributeDefinitions"]
    assert set(storage["Outputs"]) >= {"TableName", "BucketName"}
    # A route's environment refers to the table in another stack: an import of its export.
    fn = api["Resources"]["ApiLambdaGETnotesA3E56CF7"]["Properties"]
    assert "Fn::ImportValue" in fn["Environment"]["Variables"]["TABLE_NAME"]
    assert fn["Environment"]["Variables"]["SST_APP"] == "kitchen"
    # `permissions: [table]` grants dynamodb:* on the table (SST's permission rules).
    policy = api["Resources"]["ApiLambdaGETnotesServiceRoleDefaultPolicy46521967"]["Properties"]
    assert any(st["Action"] == "dynamodb:*" for st in policy["PolicyDocument"]["Statement"])
    health = api["Resources"]["Health02A586CD"]["Properties"]
    assert (health["MemorySize"], health["Timeout"]) == (256, 30)
    # The /health route integrates the Health function built beside the Api.
    integ = api["Resources"]["ApiRouteGEThealthIntegrationGEThealth9DD8282A"]["Properties"]
    assert integ["IntegrationUri"] == {"Fn::GetAtt": ["Health02A586CD", "Arn"]}
    assert api["Outputs"]["ApiEndpoint"]["Value"] == {"Fn::GetAtt": ["ApiCD79AAA0", "ApiEndpoint"]}
    types = [r["Type"] for r in jobs["Resources"].values()]
    assert types.count("AWS::SNS::Subscription") == 2  # the audit function and the queue
    rule = jobs["Resources"]["CleanupRule319275AA"]["Properties"]
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
    job = jobs["Resources"]["CleanupJob8E68FD0B"]["Properties"]
    assert (job["Runtime"], job["Handler"]) == ("python3.12", "jobs/cleanup.main")
    assert kitchen.stack("JobsStack").resources == len(jobs["Resources"])  # type: ignore[union-attr]


def test_kitchen_lists_what_it_did_not_build(kitchen: SynthResult) -> None:
    assert {(s.kind, s.id, s.stack) for s in kitchen.skipped} == {
        ("StaticSite", "Site", "StorageStack"),
        ("Function", "GoWorker", "ApiStack"),
    }
    data = kitchen.to_json()
    assert json.loads(json.dumps(data))["skipped"][0]["reason"]
    assert all(Path(s["template_path"]).is_file() for s in data["stacks"])


def test_assets_are_staged_without_dependency_folders(kitchen: SynthResult, tmp_path: Path) -> None:
    assets = json.loads((kitchen.out_dir / "dev-kitchen-ApiStack.assets.json").read_text())
    for f in assets["files"].values():
        src = kitchen.out_dir / f["source"]["path"]
        assert src.exists()
        if src.is_dir():
            names = {p.name for p in src.rglob("*")}
            assert "node_modules" not in names and ".sst-lsp" not in names


def test_v2_app_stack_name_binding_and_lint(tmp_path: Path) -> None:
    result = synth_app(load(APPS / "notes-v2"), "prod", tmp_path / "out")
    assert [s.name for s in result.stacks] == ["prod-notes-Storage", "notes-api-explicit"]
    api = template(result, "Api")
    env = api["Resources"]["ApiLambdaGETnotesA3E56CF7"]["Properties"]["Environment"]["Variables"]
    assert "Fn::ImportValue" in env["SST_Table_tableName_Notes"]
    assert api["Outputs"]["Literal"]["Value"] == "hello"
    for s in result.stacks:
        assert lint_errors(s.template_path) == [], s.name


# ----------------------------------------------------------------------------------------------
# Bad input: skipped with a reason or a clear error, never a traceback.


def write_app(root: Path, stack_body: str, extra_files: dict[str, str] | None = None) -> App:
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "fn.ts").write_text("export const main = async () => ({});\n")
    (root / "sst.json").write_text('{"name": "bad", "region": "us-east-1", "main": "stacks/index.ts"}')
    (root / "stacks" / "index.ts").write_text(
        'import { S } from "./S";\nexport default function main(app) {\n'
        '  app.setDefaultFunctionProps({ runtime: "nodejs22.x" });\n  app.stack(S);\n}\n'
    )
    (root / "stacks" / "S.ts").write_text(
        'import { Api, Cron, Function, Queue, Table, StackContext } from "@serverless-stack/resources";\n'
        f"export function S({{ stack }}: StackContext) {{\n{stack_body}\n}}\n"
    )
    for name, text in (extra_files or {}).items():
        (root / name).write_text(text)
    return load(root)


def test_bad_props_are_skipped_with_sst_messages(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", """
  new Table(stack, "NoFields", { primaryIndex: { partitionKey: "pk" } });
  new Table(stack, "BadKey", { fields: { pk: "string" }, primaryIndex: { partitionKey: "nope" } });
  new Table(stack, "NoStream", { fields: { pk: "string" }, primaryIndex: { partitionKey: "pk" },
    consumers: { c: "src/fn.main" } });
  new Table(stack, "Dynamic", { fields: someCall(), primaryIndex: { partitionKey: "pk" } });
  new Cron(stack, "NoSchedule", { job: "src/fn.main" });
  new Queue(stack, "Fine");
""")
    result = synth_app(app, "dev", tmp_path / "out")
    reasons = {s.id: s.reason for s in result.skipped}
    assert reasons["NoFields"] == 'Missing "fields" in the "NoFields" Table'
    assert "Please define \"nope\" in \"fields\"" in reasons["BadKey"]
    assert 'enable the "stream" option' in reasons["NoStream/Consumer_NoStream_c"]
    assert "cannot be evaluated statically" in reasons["Dynamic"]
    assert "No schedule defined" in reasons["NoSchedule"]
    tpl = template(result, "S")
    # Nothing half-built is left of the skipped constructs; the good ones are there.
    assert {v["Type"] for v in tpl["Resources"].values()} >= {"AWS::SQS::Queue", "AWS::DynamoDB::Table"}
    assert not any(p.startswith(("dev-bad-S/NoFields", "dev-bad-S/BadKey"))
                   for p in paths(tpl).values())
    assert lint_errors(result.stacks[0].template_path) == []


def test_empty_stack_gets_a_placeholder_and_a_warning(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "  // nothing yet\n")
    result = synth_app(app, "dev", tmp_path / "out")
    assert result.stacks[0].resources == 1
    assert any("placeholder" in w for w in result.warnings)
    assert lint_errors(result.stacks[0].template_path) == []


def test_refuses_to_overwrite_a_folder_that_is_not_an_assembly(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(SynthError, match="refusing to overwrite"):
        synth_app(load(APPS / "rest-api-python"), "dev", out)
    assert (out / "notes.txt").read_text() == "keep me"
    with pytest.raises(SynthError, match="Invalid stage name"):
        synth_app(load(APPS / "rest-api-python"), "bad stage", tmp_path / "x")


def test_no_jsii_noise_on_stdout_or_stderr(tmp_path: Path) -> None:
    """A fresh process synthesizes with the system's node on PATH: no jsii banner anywhere."""
    code = (
        "import sys; from pathlib import Path\n"
        "from sst_lsp.model.index import WorkspaceIndex\n"
        "from sst_lsp.cloud.synth import synth_app\n"
        "app = WorkspaceIndex([Path(sys.argv[1])]).snapshot().apps[0]\n"
        "r = synth_app(app, 'dev', Path(sys.argv[2]))\n"
        "print(len(r.stacks))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    proc = subprocess.run([sys.executable, "-c", code, str(APPS / "rest-api-python"), str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1\n"
    assert proc.stderr == ""


def test_reference_copy_is_kept_in_sync() -> None:
    """The test data keeps a copy of the reference template for checkouts without shared/."""
    copy = DATA / "reference" / "dev-rest-api-python-MyStack.template.json"
    if REFERENCE.is_dir():
        if not copy.is_file() or os.environ.get("UPDATE_EXPECT"):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REFERENCE / "dev-rest-api-python-MyStack.template.json", copy)
        assert json.loads(copy.read_text()) == reference_template()
    assert copy.is_file()


# ----------------------------------------------------------------------------------------------
# esbuild from the app's own node_modules (a stand-in here: the wiring is what is tested).

FAKE_ESBUILD = r'''
import json, pathlib, sys
args = sys.argv[1:]
log = pathlib.Path.cwd().parent / "esbuild-calls.json"  # outside the app: it ships
calls = json.loads(log.read_text()) if log.exists() else []
calls.append(args)
log.write_text(json.dumps(calls))
entry = args[0]
if "fail" in entry:
    print("✘ [ERROR] Could not resolve \"left-pad\"", file=sys.stderr)
    sys.exit(1)
out = pathlib.Path(next(a for a in args if a.startswith("--outfile="))[len("--outfile="):])
out.parent.mkdir(parents=True, exist_ok=True)
source = pathlib.Path(entry).read_text()
out.write_text("exports.main = async () => ({ bundled: true });\n// " + str(len(source)) + "\n")
meta = next((a[len("--metafile="):] for a in args if a.startswith("--metafile=")), None)
if meta:
    rel = pathlib.Path(entry).resolve().relative_to(pathlib.Path.cwd().resolve()).as_posix()
    pathlib.Path(meta).write_text(json.dumps({"inputs": {rel: {"bytes": len(source)}}, "outputs": {}}))
'''


def test_the_apps_own_esbuild_is_never_run_in_embedded_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SST_LSP_ESBUILD", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    root = tmp_path / "app"
    shutil.copytree(APPS / "kitchen-v1", root)
    esbuild = root / "node_modules" / ".bin" / "esbuild"
    esbuild.parent.mkdir(parents=True)
    esbuild.write_text(f"#!{sys.executable}\n{FAKE_ESBUILD}")
    esbuild.chmod(0o755)
    result = synth_app(load(root), "dev", tmp_path / "out")
    assert not (tmp_path / "esbuild-calls.json").exists(), "the app's node_modules/.bin/esbuild ran"
    fn = template(result, "ApiStack")["Resources"]["ApiLambdaGETnotesA3E56CF7"]
    # Without a bundler the function ships the app's source folder.
    assert (result.out_dir / fn["Metadata"]["aws:asset:path"] / "src" / "list.ts").is_file()


def test_node_handlers_are_bundled_with_the_users_esbuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "app"
    shutil.copytree(APPS / "kitchen-v1", root)
    (root / "src" / "fail.ts").write_text("export const main = async () => ({});\n")
    stack = root / "stacks" / "ApiStack.ts"
    stack.write_text(stack.read_text().replace('"$default": "src/fallback.main"', '"$default": "src/fail.main"'))
    esbuild = tmp_path / "tools" / "esbuild"
    esbuild.parent.mkdir(parents=True)
    esbuild.write_text(f"#!{sys.executable}\n{FAKE_ESBUILD}")
    esbuild.chmod(0o755)
    monkeypatch.setenv("SST_LSP_ESBUILD", str(esbuild))
    result = synth_app(load(root), "dev", tmp_path / "out")
    calls = json.loads((tmp_path / "esbuild-calls.json").read_text())
    list_call = next(c for c in calls if c[0].endswith("src/list.ts"))
    assert "--bundle" in list_call and "--platform=node" in list_call
    api = template(result, "ApiStack")
    fn = api["Resources"]["ApiLambdaGETnotesA3E56CF7"]
    assert fn["Properties"]["Handler"] == "src/list.main"
    staged = result.out_dir / fn["Metadata"]["aws:asset:path"]
    # The asset is the bundle: one file at the handler's path, no sources.
    assert sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()) == ["src/list.js"]
    # A failing bundle falls back to the app folder (Handler still resolves) with a warning.
    assert any("esbuild failed" in w and "fail.ts" in w for w in result.warnings)
    fallback = api["Resources"]["ApiLambdadefaultE8FAA9EC"]
    assert fallback["Properties"]["Handler"] == "src/fail.main"
    assert (result.out_dir / fallback["Metadata"]["aws:asset:path"] / "src" / "fail.ts").is_file()
    # Python functions are never bundled.
    assert not any(c[0].endswith(".py") for c in calls)

    # Synthesizing again: no input changed, so esbuild does not run and every stack is reused
    # (only the failed bundle is tried again).
    bundles = tmp_path / "out.bundles"
    before = {p: p.stat().st_mtime_ns for p in bundles.rglob("*.js")}
    again = synth_app(load(root), "dev", tmp_path / "out")
    calls_again = json.loads((tmp_path / "esbuild-calls.json").read_text())[len(calls):]
    assert [c[0] for c in calls_again] == [str(root / "src" / "fail.ts")]
    assert {p: p.stat().st_mtime_ns for p in bundles.rglob("*.js")} == before
    assert again.reused == ["StorageStack", "ApiStack", "JobsStack"]
    # An edited handler is bundled again, and the stacks shipping it are rebuilt.
    (root / "src" / "list.ts").write_text("export const main = async () => ({ edited: true });\n")
    third = synth_app(load(root), "dev", tmp_path / "out")
    calls_third = json.loads((tmp_path / "esbuild-calls.json").read_text())[len(calls) + len(calls_again):]
    assert sorted(Path(c[0]).name for c in calls_third) == ["fail.ts", "list.ts"]
    assert "ApiStack" not in third.reused and "JobsStack" in third.reused



# ----------------------------------------------------------------------------------------------
# permissions and bind (SST's permission.ts and functionBinding.ts).


def statements(tpl: dict[str, Any], policy_prefix: str) -> list[tuple[Any, Any]]:
    [policy] = [v for k, v in tpl["Resources"].items() if k.startswith(policy_prefix) and v["Type"] == "AWS::IAM::Policy"]
    return [(s["Action"], s["Resource"]) for s in policy["Properties"]["PolicyDocument"]["Statement"]]


def test_bind_and_permissions_of_constructs_become_grants_and_environment(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", """
  const table = new Table(stack, "Notes", { fields: { pk: "string" }, primaryIndex: { partitionKey: "pk" } });
  const queue = new Queue(stack, "Jobs");
  const api = new Api(stack, "Api", { routes: { "GET /": "src/fn.main" } });
  const worker = new Function(stack, "Worker", { handler: "src/fn.main" });
  const limit = 5;
  // A standalone Function is built before the constructs it binds: they must still be found.
  new Function(stack, "Fn", {
    handler: "src/fn.main",
    bind: [table, queue, api, worker, new Queue(stack, "Inline"), limit, helper(), stack.table, nope],
    permissions: ["s3", queue, api],
  });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    tpl = template(result, "S")
    fn = next(v for k, v in tpl["Resources"].items() if k.startswith("Fn") and v["Type"] == "AWS::Lambda::Function")
    env = fn["Properties"]["Environment"]["Variables"]
    assert set(env) == {"SST_APP", "SST_STAGE", "SST_Table_tableName_Notes", "SST_Queue_queueUrl_Jobs",
                        "SST_Api_url_Api", "SST_Function_functionName_Worker", "SST_Queue_queueUrl_Inline"}
    got = statements(tpl, "FnServiceRoleDefaultPolicy")
    actions = sorted(json.dumps(a) for a, _ in got)
    # Table, queue (once although bound and permitted), inline queue, worker; the Api's binding
    # grants nothing, its permission execute-api:Invoke.
    assert actions == sorted(json.dumps(a) for a in [["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                                                     "dynamodb:*", "sqs:*", "lambda:*", "sqs:*", "s3:*",
                                                     "execute-api:Invoke"])
    invoke = next(r for a, r in got if a == "execute-api:Invoke")
    assert "arn:aws:execute-api:us-east-1:" in json.dumps(invoke)
    # The bound function's name parameter exists (SST adds it when the function is bound).
    assert any(v["Type"] == "AWS::SSM::Parameter" and "/Function/Worker/functionName" in json.dumps(v)
               for v in tpl["Resources"].values())
    warnings = [w for w in result.warnings if w.startswith("function Fn:")]
    assert warnings == [
        "function Fn: bind entry 6 left out: a number is not a construct",
        "function Fn: bind entry 7 left out: it cannot be evaluated statically",
        'function Fn: bind "stack.table" left out: not a construct the embedded synth built',
        'function Fn: bind "nope" left out: not a construct the embedded synth built',
    ]
    # Messages name items briefly, never with their source text.
    assert not any("helper()" in w or "new Queue" in w for w in result.warnings)
    assert lint_errors(result.stacks[0].template_path) == []
