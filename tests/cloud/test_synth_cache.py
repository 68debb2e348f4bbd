"""Incremental embedded synth: stack groups, asset signatures, reuse of unchanged stacks, and the
assembly swapped into place (`sst_lsp/cloud/synth_cache.py` and `synth_embedded.synthesize`).

The pure parts (groups, signatures) run without jsii; the rest synthesizes with aws-cdk-lib in
this process and is marked slow. The central promise: an incremental synth writes exactly the
assembly a synth from scratch writes.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud import synth_cache
from sst_lsp.cloud.synth_cache import asset_signature, resolve_var, stack_groups
from sst_lsp.cloud.synth_spec import app_to_spec
from sst_lsp.model.index import WorkspaceIndex

APPS = Path(__file__).parent / "synth_data" / "apps"


def st(sid: str, *constructs: dict[str, Any], outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": sid, "name": f"dev-app-{sid}", "constructs": list(constructs), "outputs": outputs or []}


def table(cid: str, var: str | None) -> dict[str, Any]:
    return {"kind": "Table", "id": cid, "var": var, "props": {}, "functions": []}


def fn_using(cid: str, ref: str) -> dict[str, Any]:
    return {"kind": "Function", "id": cid, "var": None, "props": {},
            "functions": [{"id": cid, "environment": {"T": {"$ref": ref}}, "permissions": [], "bind": []}]}


# ----------------------------------------------------------------------------------------------
# Groups (pure).


def test_independent_stacks_are_separate_groups() -> None:
    stacks = [st("A", table("T", "table"), fn_using("F", "table.tableName")),
              st("B", table("T", "table"), fn_using("F", "table.tableName"))]
    # Each stack's `table` is its own: no coupling although the names are equal.
    assert stack_groups(stacks) == [[0], [1]]


def test_a_reference_to_another_stacks_construct_joins_them() -> None:
    stacks = [st("Storage", table("Notes", "notes")), st("Jobs", table("Q", "q")),
              st("Api", fn_using("F", "notes.tableArn"))]
    assert stack_groups(stacks) == [[0, 2], [1]]
    assert resolve_var(synth_cache.declarations(stacks), "notes", "Api") == ("Storage", "Notes")


def test_routes_outputs_and_queue_subscribers_are_references() -> None:
    route = {"kind": "Api", "id": "Api", "var": "api", "props": {}, "routes": [{"key": "GET /", "fn_ref": "health"}]}
    topic: dict[str, Any] = {"kind": "Topic", "id": "T", "var": None, "props": {}, "functions": [],
             "queue_subscribers": [{"name": "fan", "var": "work"}]}
    stacks = [st("Fns", {"kind": "Function", "id": "H", "var": "health", "props": {}, "functions": []}),
              st("Api", route), st("Q", table("W", "work")), st("Topics", topic),
              st("Out", outputs=[{"key": "Url", "value": {"$ref": "api.url"}}])]
    assert stack_groups(stacks) == [[0, 1, 4], [2, 3]]


def test_a_construct_created_inside_a_bind_list_of_another_stack_joins_it() -> None:
    fn = fn_using("F", "x.y")
    fn["functions"][0]["bind"] = [{"$construct": {"stack": "Q", "id": "Inline", "kind": "Queue"}}]
    stacks = [st("Q", table("Inline", None)), st("Other"), st("Fns", fn)]
    assert stack_groups(stacks) == [[0, 2], [1]]


def test_an_ambiguous_name_joins_every_stack_that_declares_it() -> None:
    stacks = [st("A", table("T1", "t")), st("B", table("T2", "t")), st("C", fn_using("F", "t.tableName"))]
    # `t` resolves to nothing from C (two candidates), but which one the user meant is unknown:
    # building the three together is the safe choice.
    assert resolve_var(synth_cache.declarations(stacks), "t", "C") is None
    assert stack_groups(stacks) == [[0, 1, 2]]


def test_a_stack_own_construct_shadows_others_even_when_twice_declared() -> None:
    stacks = [st("A", table("T1", "t"), table("T2", "t"), fn_using("F", "t.tableName")), st("B", table("T", "t"))]
    assert resolve_var(synth_cache.declarations(stacks), "t", "A") is None
    assert stack_groups(stacks) == [[0], [1]]


# ----------------------------------------------------------------------------------------------
# Asset signatures (pure).


def tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "h.ts").write_text("export const main = 1;\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "i.js").write_text("1")
    (root / ".env.local").write_text("A=1\n")
    return root


def bump(path: Path, text: str) -> None:
    st_ = path.stat()
    path.write_text(text)
    # Same size and a later time: what an editor's save looks like within one second.
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000))


def test_signature_follows_shipped_files_and_ignores_excluded_ones(tmp_path: Path) -> None:
    root = tree(tmp_path / "app")
    (root / "build").mkdir()
    ex = ["node_modules", "**/node_modules", "build/out.next-*"]
    first = asset_signature(root, ex)
    assert asset_signature(root, ex) == first
    bump(root / "node_modules" / "x" / "i.js", "2")
    (root / "build" / "out.next-123").mkdir(parents=True)
    (root / "build" / "out.next-123" / "t.json").write_text("{}")
    assert asset_signature(root, ex) == first
    bump(root / "src" / "h.ts", "export const main = 2;\n")
    second = asset_signature(root, ex)
    assert second != first
    # Dot files ship (CDK's globs exclude only what they name).
    bump(root / ".env.local", "A=2\n")
    assert asset_signature(root, ex) != second
    (root / "src" / "new.ts").write_text("")
    assert asset_signature(root, ex) not in (first, second)


def test_signature_is_conservative_with_patterns_it_does_not_understand(tmp_path: Path) -> None:
    root = tree(tmp_path / "app")
    for ex in (["node_modules", "!node_modules/x/i.js"], ["node_*"], ["**/node_modules"]):
        before = asset_signature(root, ex)
        bump(root / "node_modules" / "x" / "i.js", "2")
        assert asset_signature(root, ex) != before, ex


def test_signature_of_links_and_missing_folders(tmp_path: Path) -> None:
    root = tree(tmp_path / "app")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "lib.ts").write_text("1")
    (root / "src" / "lib").symlink_to(shared)
    (root / "loop").symlink_to(root)
    before = asset_signature(root, ["node_modules"])
    bump(shared / "lib.ts", "2")
    assert asset_signature(root, ["node_modules"]) != before
    assert asset_signature(tmp_path / "nope") == "missing"


def test_staging_siblings_are_excluded_from_an_asset_holding_the_output(tmp_path: Path) -> None:
    from sst_lsp.cloud.synth import _exclude_output_folders

    spec = {"stacks": [{"constructs": [{"functions": [{"asset": str(tmp_path), "exclude": []}]}]}]}
    _exclude_output_folders(spec, tmp_path / "build" / "out")
    ex = spec["stacks"][0]["constructs"][0]["functions"][0]["exclude"]
    assert ex == ["build/out", "build/out.bundles", "build/out.next-*", "build/out.old-*"]


# ----------------------------------------------------------------------------------------------
# Incremental synth with aws-cdk-lib (slow).


def spec_of(root: Path = APPS / "kitchen-v1") -> dict[str, Any]:
    [app] = WorkspaceIndex([root]).snapshot().apps
    return app_to_spec(app, "dev")


def synth(spec: dict[str, Any], out: Path) -> dict[str, Any]:
    from sst_lsp.cloud.synth_embedded import synthesize

    return synthesize(copy.deepcopy(spec), out)


def snapshot(folder: Path) -> dict[str, Any]:
    """Every file of an assembly: JSON files parsed, staged asset folders as file lists."""
    out: dict[str, Any] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_dir():
            continue
        out[rel] = json.loads(p.read_text()) if p.suffix == ".json" or p.name == "cdk.out" else p.read_bytes()
    return out


def with_schedule(spec: dict[str, Any], stack: str, schedule: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for s in spec["stacks"]:
        for c in s["constructs"]:
            if s["id"] == stack and c["kind"] == "Cron":
                c["props"]["schedule"] = schedule
    return spec


def with_table_field(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for s in spec["stacks"]:
        for c in s["constructs"]:
            if c["kind"] == "Table":
                c["props"]["fields"]["extra"] = "string"
    return spec


@pytest.mark.slow
def test_unchanged_app_is_reused_whole(tmp_path: Path) -> None:
    spec = spec_of()
    out = tmp_path / "out"
    first = synth(spec, out)
    assert first["reused"] == []
    before = snapshot(out)
    second = synth(spec, out)
    assert second["reused"] == ["StorageStack", "ApiStack", "JobsStack"]
    assert snapshot(out) == before
    assert {k: v for k, v in second.items() if k != "duration_ms" and k != "reused"} == \
        {k: v for k, v in first.items() if k != "duration_ms" and k != "reused"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "reused"),
    [
        pytest.param(lambda s: with_schedule(s, "JobsStack", "rate(2 days)"), ["StorageStack", "ApiStack"],
                     id="independent-stack"),
        # The table is used by ApiStack: the producer and its consumer are rebuilt together.
        pytest.param(with_table_field, ["JobsStack"], id="producer-of-a-cross-stack-reference"),
    ],
)
def test_incremental_synth_equals_a_synth_from_scratch(tmp_path: Path, edit: Any, reused: list[str]) -> None:
    spec = spec_of()
    out = tmp_path / "out"
    synth(spec, out)
    changed = edit(spec)
    result = synth(changed, out)
    assert result["reused"] == reused
    scratch = synth(changed, tmp_path / "scratch")
    assert scratch["reused"] == []
    assert snapshot(out) == snapshot(tmp_path / "scratch")
    strip = {"duration_ms", "reused", "stacks"}
    assert {k: v for k, v in result.items() if k not in strip} == {k: v for k, v in scratch.items() if k not in strip}
    assert [(s["id"], s["resources"], s["outputs"]) for s in result["stacks"]] == \
        [(s["id"], s["resources"], s["outputs"]) for s in scratch["stacks"]]
    assert not list(tmp_path.glob("out.*")), "no staging or old folder is left behind"


def two_stack_app(root: Path) -> Path:
    """Two independent stacks whose functions ship two different folders."""
    (root / "stacks").mkdir(parents=True)
    (root / "sst.json").write_text('{"name": "two", "region": "us-east-1", "main": "stacks/index.ts"}')
    (root / "stacks" / "index.ts").write_text(
        'import { A } from "./A";\nimport { B } from "./B";\n'
        'export default function main(app) {\n  app.setDefaultFunctionProps({ runtime: "python3.12" });\n'
        "  app.stack(A).stack(B);\n}\n"
    )
    for name in ("A", "B"):
        (root / name.lower()).mkdir()
        (root / name.lower() / "fn.py").write_text("def main(event, context):\n    return 1\n")
        (root / "stacks" / f"{name}.ts").write_text(
            f'import {{ Function, StackContext }} from "@serverless-stack/resources";\n'
            f"export function {name}({{ stack }}: StackContext) {{\n"
            f'  new Function(stack, "Fn", {{ handler: "fn.main", srcPath: "{name.lower()}" }});\n}}\n'
        )
    return root


@pytest.mark.slow
def test_edited_handler_rebuilds_the_stacks_that_ship_it(tmp_path: Path) -> None:
    root = two_stack_app(tmp_path / "app")
    out = tmp_path / "out"
    synth(spec_of(root), out)
    bump(root / "b" / "fn.py", "def main(event, context):\n    return 2\n")
    result = synth(spec_of(root), out)
    assert result["reused"] == ["A"]
    synth(spec_of(root), tmp_path / "scratch")
    assert snapshot(out) == snapshot(tmp_path / "scratch")
    staged = [p.read_text() for p in out.glob("asset.*/fn.py")]
    assert sorted(staged) == ["def main(event, context):\n    return 1\n", "def main(event, context):\n    return 2\n"]


@pytest.mark.slow
def test_kitchen_handler_edit_rebuilds_everything_that_ships_the_app_root(tmp_path: Path) -> None:
    # Kitchen's node functions ship the app root (SST v1's default srcPath "."), which holds py/:
    # the Python job's edit changes every stack's assets.
    root = tmp_path / "kitchen"
    shutil.copytree(APPS / "kitchen-v1", root)
    out = tmp_path / "out"
    synth(spec_of(root), out)
    bump(root / "py" / "jobs" / "cleanup.py", (root / "py" / "jobs" / "cleanup.py").read_text() + "#\n")
    assert synth(spec_of(root), out)["reused"] == []


@pytest.mark.slow
def test_a_folder_changed_by_someone_else_is_rebuilt(tmp_path: Path) -> None:
    spec = spec_of()
    out = tmp_path / "out"
    synth(spec, out)
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text() + "\n")
    assert synth(spec, out)["reused"] == []
    # A staged asset folder deleted by hand: the groups that need it are rebuilt.
    for asset in out.glob("asset.*"):
        shutil.rmtree(asset)
    result = synth(spec, out)
    assert result["reused"] == []
    for f in out.glob("*.assets.json"):
        for a in json.loads(f.read_text())["files"].values():
            assert (out / a["source"]["path"]).exists()


@pytest.mark.slow
def test_a_failed_synth_keeps_the_previous_assembly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sst_lsp.cloud import synth_embedded

    spec = spec_of()
    out = tmp_path / "out"
    synth(spec, out)
    before = snapshot(out)

    def broken(*args: Any, **kwargs: Any) -> Any:
        (synth_cache.staging_dir(out) / "half").mkdir(parents=True)
        raise synth_embedded.SpecError("CDK synthesis failed: boom")

    monkeypatch.setattr(synth_embedded, "_build_groups", broken)
    with pytest.raises(synth_embedded.SpecError, match="boom"):
        synth(with_table_field(spec), out)
    assert snapshot(out) == before
    assert not synth_cache.staging_dir(out).exists()
