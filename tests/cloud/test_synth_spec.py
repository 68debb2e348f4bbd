"""The model -> embedded-synth spec conversion (no jsii: fast)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth_spec import (
    DEFAULT_NODE_RUNTIME,
    SpecBuildError,
    app_to_spec,
    iter_functions,
    stack_outputs,
)
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App

APPS = Path(__file__).parent / "synth_data" / "apps"


def load(root: Path) -> App:
    apps = WorkspaceIndex([root]).snapshot().apps
    assert len(apps) == 1, apps
    return apps[0]


def copy_app(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copytree(APPS / name, dst)
    return dst


def construct(spec: dict[str, Any], stack: str, cid: str) -> dict[str, Any]:
    st = next(s for s in spec["stacks"] if s["id"] == stack)
    return next(c for c in st["constructs"] if c["id"] == cid)


def skipped(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["kind"], s["id"]) for s in spec["skipped"]}


def test_rest_api_python_routes_handlers_and_assets() -> None:
    app = load(APPS / "rest-api-python")
    spec = app_to_spec(app, "dev")
    assert spec["app"] == "rest-api-python" and spec["region"] == "us-east-1"
    [st] = spec["stacks"]
    assert st["name"] == "dev-rest-api-python-MyStack"
    api = construct(spec, "MyStack", "Api")
    assert [r["postfix"] for r in api["routes"]] == ["GET_/notes", "GET_/notes/{id}", "PUT_/notes/{id}"]
    fn = api["routes"][0]["function"]
    assert fn["id"] == "Lambda_GET_/notes"
    assert fn["runtime"] == "python3.12"
    # Python handlers stay relative to srcPath, whose folder is the asset.
    assert fn["handler"] == "functions/list.main"
    assert Path(fn["asset"]) == APPS / "rest-api-python" / "services"
    assert st["outputs"] == [{"key": "ApiEndpoint", "value": {"$ref": "api.url"}}]
    assert spec["skipped"] == []


def test_kitchen_scopes_defaults_and_skips() -> None:
    spec = app_to_spec(load(APPS / "kitchen-v1"), "dev")
    # The raw `new s3.Bucket(stack, "RawBucket")` is built by aws-cdk-lib itself (test_synth_raw_cdk.py).
    assert skipped(spec) == {("StaticSite", "Site"), ("Function", "GoWorker")}
    reasons = {s["id"]: s["reason"] for s in spec["skipped"]}
    assert "go1.x" in reasons["GoWorker"]
    api = construct(spec, "ApiStack", "Api")
    routes = {r["key"]: r for r in api["routes"]}
    # Whitespace in route keys is normalized as SST does ("GET    /notes").
    assert set(routes) == {"GET /notes", "POST /notes", "GET /health", "$default", "DELETE /notes/{id}"}
    assert routes["$default"]["postfix"] == "default"
    # Routes added with `api.addRoutes(stack, ...)` live in the stack's scope.
    assert routes["DELETE /notes/{id}"]["scope"] == "stack" and routes["GET /notes"]["scope"] == "construct"
    # A route to a Function construct held in a variable refers to it.
    assert routes["GET /health"]["fn_ref"] == "health" and "function" not in routes["GET /health"]
    post = routes["POST /notes"]["function"]
    assert post["timeout"] == 20 and post["memory"] == 1024
    # Construct defaults reach every route's function.
    assert post["environment"] == {"TABLE_NAME": {"$ref": "table.tableName"}}
    assert post["permissions"] == [{"$ref": "table"}]
    # No esbuild in the app: a v1 node function ships its srcPath folder, Handler relative to it.
    assert post["handler"] == "src/create.main" and Path(post["asset"]) == APPS / "kitchen-v1"
    health = construct(spec, "ApiStack", "Health")["functions"][0]
    assert (health["memory"], health["timeout"]) == (256, 30)
    notes = construct(spec, "StorageStack", "Notes")
    assert [f["id"] for f in notes["functions"]] == ["Consumer_Notes_indexer"]
    assert notes["props"]["stream"] == "new_image" and "consumers" not in notes["props"]
    uploads = construct(spec, "StorageStack", "Uploads")
    assert [f["id"] for f in uploads["functions"]] == ["Notification_Uploads_resize"]
    assert [f["id"] for f in construct(spec, "JobsStack", "Work")["functions"]] == ["Consumer_Work"]
    events = construct(spec, "JobsStack", "Events")
    assert [f["id"] for f in events["functions"]] == ["Subscriber_Events_audit"]
    assert events["queue_subscribers"] == [{"name": "fanout", "var": "queue"}]
    job = construct(spec, "JobsStack", "Cleanup")["functions"][0]
    assert job["id"] == "Job" and job["handler"] == "jobs/cleanup.main"
    assert Path(job["asset"]) == APPS / "kitchen-v1" / "py"


def test_v2_stack_name_package_asset_and_bind() -> None:
    spec = app_to_spec(load(APPS / "notes-v2"), "dev")
    names = {s["id"]: s["name"] for s in spec["stacks"]}
    assert names == {"Storage": "dev-notes-Storage", "Api": "notes-api-explicit"}
    fn = construct(spec, "Api", "Api")["routes"][0]["function"]
    # v2 handlers are relative to the app root; without esbuild the asset is the package folder.
    assert Path(fn["asset"]) == APPS / "notes-v2" / "packages" / "functions"
    assert fn["handler"] == "src/list.handler"
    assert fn["bind"] == [{"$ref": "table"}]
    outs = spec["stacks"][1]["outputs"]
    assert outs == [{"key": "Url", "value": {"$ref": "api.url"}}, {"key": "Literal", "value": "hello"}]


def test_esbuild_request_keeps_src_path_in_handler(tmp_path: Path) -> None:
    root = copy_app("kitchen-v1", tmp_path)
    spec = app_to_spec(load(root), "dev", esbuild="/nonexistent/esbuild")
    fn = construct(spec, "ApiStack", "Api")["routes"][0]["function"]
    assert fn["bundle"] == {"entry": str(root / "src" / "list.ts"), "out": "src/list.js"}
    assert fn["handler"] == "src/list.main" and fn["asset"] is None
    # Python functions are never bundled.
    assert all("bundle" not in f for f in iter_functions(spec) if f["runtime"].startswith("python"))


def test_missing_handler_file_and_unknown_runtime_are_skipped(tmp_path: Path) -> None:
    root = copy_app("kitchen-v1", tmp_path)
    (root / "src" / "audit.ts").unlink()
    stack = root / "stacks" / "JobsStack.ts"
    stack.write_text(stack.read_text().replace('srcPath: "py"', 'srcPath: "py", runtime: "cobol9"')
                     .replace('runtime: "python3.12",\n', ""))
    spec = app_to_spec(load(root), "dev")
    reasons = {s["id"]: s["reason"] for s in spec["skipped"]}
    assert 'cannot find a handler file for "src/audit.main"' in reasons["Events/Subscriber_Events_audit"]
    assert "unknown runtime 'cobol9'" in reasons["Cleanup/Job"]
    # The Cron has no job left, so it is not built either (and says so).
    assert all(c["id"] != "Cleanup" for c in spec["stacks"][2]["constructs"])


def test_default_runtime_is_a_supported_one_with_a_warning(tmp_path: Path) -> None:
    root = copy_app("kitchen-v1", tmp_path)
    index = root / "stacks" / "index.ts"
    index.write_text(index.read_text().replace('runtime: "nodejs22.x",', ""))
    spec = app_to_spec(load(root), "dev")
    fn = construct(spec, "ApiStack", "Api")["routes"][0]["function"]
    assert fn["runtime"] == DEFAULT_NODE_RUNTIME
    assert any(DEFAULT_NODE_RUNTIME in w for w in spec["warnings"])


def test_v3_and_nameless_apps_are_refused(tmp_path: Path) -> None:
    (tmp_path / "v3").mkdir()
    (tmp_path / "v3" / "sst.config.ts").write_text(
        'export default $config({ app() { return { name: "x" }; }, async run() {} });\n'
    )
    with pytest.raises(SpecBuildError, match="Pulumi"):
        app_to_spec(load(tmp_path / "v3"), "dev")


def test_outputs_only_from_calls_inside_the_stack(tmp_path: Path) -> None:
    root = copy_app("rest-api-python", tmp_path)
    f = root / "stacks" / "MyStack.ts"
    f.write_text(f.read_text() + '\nfunction other(stack: any) { stack.addOutputs({ Nope: "x" }); }\n')
    outs = stack_outputs(load(root))
    assert outs == {"MyStack": [{"key": "ApiEndpoint", "value": {"$ref": "api.url"}}]}


def test_output_folder_inside_an_asset_is_excluded_from_it(tmp_path: Path) -> None:
    from sst_lsp.cloud.synth import _exclude_output_folders

    root = copy_app("kitchen-v1", tmp_path)
    spec = app_to_spec(load(root), "dev")
    _exclude_output_folders(spec, root / "build" / "synth-out")
    by_id = {f["id"]: f for f in iter_functions(spec)}
    # The api functions ship the app root, which holds the output folder and its bundles.
    assert {"build/synth-out", "build/synth-out.bundles"} <= set(by_id["Lambda_GET_/notes"]["exclude"])
    # The Python job ships py/, which does not.
    assert not any("synth-out" in e for e in by_id["Job"]["exclude"])


def test_bind_and_permission_items_name_constructs_not_source(tmp_path: Path) -> None:
    root = copy_app("kitchen-v1", tmp_path)
    stack = root / "stacks" / "JobsStack.ts"
    stack.write_text(stack.read_text().replace(
        'srcPath: "py",',
        'srcPath: "py",\n        bind: [queue, new Queue(stack, "Inline"), 3, helper(), "sqs"],\n'
        "        permissions: extra,",
    ))
    spec = app_to_spec(load(root), "dev")
    job = construct(spec, "JobsStack", "Cleanup")["functions"][0]
    assert job["bind"] == [
        {"$ref": "queue"},
        {"$construct": {"stack": "JobsStack", "id": "Inline", "kind": "Queue"}},
        {"$value": "a number", "label": "entry 3"},
        {"$unknown": "unknown", "label": "entry 4"},
        "sqs",
    ]
    assert job["permissions"] == [{"$unknown": "ref", "label": '"extra" (not an array)'}]
    # The queue created in place is built like any other.
    assert construct(spec, "JobsStack", "Inline")["kind"] == "Queue"
