"""App discovery and sst.json reading (model/discover.py)."""

from __future__ import annotations

import os
from pathlib import Path

from sst_lsp.model.discover import AppRoot, discover_apps, read_sst_json
from sst_lsp.model.files import FileSource


def touch(root: Path, *rels: str, text: str = "{}") -> None:
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def found(top: Path, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(a.root.relative_to(top).as_posix(), a.config_path.name) for a in discover_apps(top, exclude)]


def test_every_app_below_a_directory(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "a/sst.json",
        "b/sst.config.ts",
        "c/sst.config.js",
        "d/sst.config.mjs",
        "deep/er/still/sst.json",
        "mono/sst.config.ts",
        "mono/packages/inner/sst.json",  # An app inside an app is an app too.
    )
    assert found(tmp_path) == [
        ("a", "sst.json"),
        ("b", "sst.config.ts"),
        ("c", "sst.config.js"),
        ("d", "sst.config.mjs"),
        ("deep/er/still", "sst.json"),
        ("mono", "sst.config.ts"),
        ("mono/packages/inner", "sst.json"),
    ]


def test_build_and_dependency_folders_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "app/sst.json")
    for skipped in ("node_modules", ".build", ".sst", "cdk.out", ".git", "dist"):
        touch(tmp_path, f"app/{skipped}/copy/sst.json", f"{skipped}/x/sst.config.ts")
    assert found(tmp_path) == [("app", "sst.json")]


def test_sst_config_wins_over_sst_json_in_one_folder(tmp_path: Path) -> None:
    touch(tmp_path, "sst.json", "sst.config.ts")
    assert discover_apps(tmp_path) == [AppRoot(tmp_path, tmp_path / "sst.config.ts", "sst.config")]


def test_the_top_directory_itself_and_exclusions(tmp_path: Path) -> None:
    touch(tmp_path, "sst.json", "examples/one/sst.json", "fixtures/two/sst.json")
    assert found(tmp_path, ("fixtures",)) == [(".", "sst.json"), ("examples/one", "sst.json")]


def test_symlink_loops_end(tmp_path: Path) -> None:
    touch(tmp_path, "real/sst.json")
    os.symlink(tmp_path, tmp_path / "real" / "up")
    os.symlink(tmp_path / "real", tmp_path / "again")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    roots = found(tmp_path)
    assert ("real", "sst.json") in roots and len(roots) == 1


def test_missing_top_directory(tmp_path: Path) -> None:
    assert discover_apps(tmp_path / "nope") == []


# ----------------------------------------------------------------------------------------------
# sst.json
# ----------------------------------------------------------------------------------------------


def read(root: Path, text: str | bytes, files: tuple[str, ...] = ()) -> tuple[str | None, str | None, str | None, list[str]]:
    p = root / "sst.json"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    touch(root, *files, text="")
    got = read_sst_json(AppRoot(root, p, "sst.json"), FileSource())
    entry = got.entry.relative_to(root).as_posix() if got.entry else None
    return got.name, got.region, entry, [e.message for e in got.errors]


# SST v0/v1 without "main": `getDefaultMainPath` in packages/cli/bin/scripts.mjs takes
# lib/index.ts when it exists, else lib/index.js; nothing else.


def test_sst_json_default_entry_is_lib_index_ts(tmp_path: Path) -> None:
    assert read(tmp_path, '{"name": "n", "region": "eu-west-1"}', ("lib/index.ts", "lib/index.js")) == (
        "n", "eu-west-1", "lib/index.ts", [])


def test_sst_json_default_entry_lib_index_js(tmp_path: Path) -> None:
    assert read(tmp_path, '{"name": "n"}', ("lib/index.js",)) == ("n", None, "lib/index.js", [])


def test_sst_json_default_entry_ignores_other_lib_files(tmp_path: Path) -> None:
    # lib/index.tsx or lib/index.mjs are not SST's default: only .ts, then .js.
    _n, _r, entry, errors = read(tmp_path, '{"name": "n"}', ("lib/index.tsx", "lib/index.mjs"))
    assert entry is None
    assert errors == [('No entry file: sst.json has no "main" and neither lib/index.ts nor lib/index.js exists '
                       "(SST's default entry)")]


def test_sst_json_default_entry_lib_wins_over_stacks(tmp_path: Path) -> None:
    assert read(tmp_path, '{"name": "n"}', ("lib/index.js", "stacks/index.ts"))[2:] == ("lib/index.js", [])


def test_sst_json_without_main_and_stacks_index_is_read_but_said(tmp_path: Path) -> None:
    # SST would fail (lib/index.js is missing); the stacks are analyzed anyway, and the error
    # says what to write.
    assert read(tmp_path, '{"name": "n"}', ("stacks/index.ts",)) == ("n", None, "stacks/index.ts", [
        ('sst.json has no "main", so SST loads lib/index.ts, else lib/index.js, and neither exists: '
         'add "main": "stacks/index.ts" (read here as the entry meanwhile)')])
    (tmp_path / "js").mkdir()
    assert read(tmp_path / "js", '{"name": "n"}', ("stacks/index.js",))[2] == "stacks/index.js"


def test_sst_json_main_naming_stacks_index(tmp_path: Path) -> None:
    assert read(tmp_path, '{"name": "n", "main": "stacks/index.ts"}', ("stacks/index.ts",)) == (
        "n", None, "stacks/index.ts", [])


def test_sst_json_main(tmp_path: Path) -> None:
    assert read(tmp_path, '{"name": "n", "main": "infra/app.ts"}', ("infra/app.ts",))[2] == "infra/app.ts"


def test_sst_json_problems(tmp_path: Path) -> None:
    name, _region, entry, errors = read(tmp_path, '{"region": 5, "main": "x.ts"}')
    assert (name, entry) == (None, None)
    assert errors == ['sst.json has no "name": SST needs the app name',
                      'The entry file "x.ts" named by "main" does not exist']


def test_sst_json_not_json_or_not_an_object(tmp_path: Path) -> None:
    assert read(tmp_path, "{,}")[3][0].startswith("sst.json is not valid JSON")
    assert read(tmp_path, '"just a string"')[3] == ["sst.json must hold a JSON object"]
    assert read(tmp_path, "")[3] == ["sst.json must hold a JSON object"]
    assert read(tmp_path, b"\x00\x00binary")[3] == ["sst.json cannot be read (missing or not text)"]
