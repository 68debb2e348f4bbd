"""Project synth failures show the tool's own reason and last lines (issue 11), and `synth
--format json` prints one JSON object on every failure path (config errors, a missing entry,
no app, a bad stage, a missing toolchain, a failing toolchain, a crash)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from sst_lsp import cli
from sst_lsp.cloud import ops
from sst_lsp.cloud.synth import synth_app
from sst_lsp.model.index import WorkspaceIndex

DATA = Path(__file__).parent / "synth_data"

# What SST v1's `sst build` prints when it cannot reach SSM (aws-sdk v2's error, then frames).
SSM_UNREACHABLE = r'''
import sys
print("Using stage: dev", flush=True)
print("Preparing your SST app", flush=True)
print("", flush=True)
print("UnknownEndpoint: Inaccessible host: `ssm.us-east-1.amazonaws.com'. This service may not be available in the `us-east-1' region.", flush=True)
print("    at Request.ENOTFOUND_ERROR (/app/node_modules/aws-sdk/lib/event_listeners.js:507:46)", flush=True)
print("    at Request.callListeners (/app/node_modules/aws-sdk/lib/sequential_executor.js:106:20)", flush=True)
sys.exit(1)
'''

# A tool that says why in its own words, without an "Error:" prefix.
PLAIN = r'''
import sys
print("Building stacks...", flush=True)
print("Could not resolve the stage's region from your AWS profile", flush=True)
sys.exit(7)
'''


def make_app(tmp_path: Path, script: str | None) -> Path:
    root = tmp_path / "app"
    shutil.copytree(DATA / "apps" / "rest-api-python", root)
    if script is not None:
        bin_dir = root / "node_modules" / ".bin"
        bin_dir.mkdir(parents=True)
        sst = bin_dir / "sst"
        sst.write_text(f"#!{sys.executable}\n{script}")
        sst.chmod(0o755)
    return root


def test_the_tools_own_error_line_and_last_lines_are_shown(tmp_path: Path) -> None:
    root = make_app(tmp_path, SSM_UNREACHABLE)
    [app] = WorkspaceIndex([root]).snapshot().apps
    res = synth_app(app, "dev", None, "project")
    assert not res.ok
    assert res.error == (
        "Inaccessible host: `ssm.us-east-1.amazonaws.com'. This service may not be available in the `us-east-1' region."
    )
    [tail] = res.warnings
    assert tail.splitlines()[0] == "sst exited with code 1; the last lines of its output:"
    assert tail.splitlines()[1:] == [
        "    Using stage: dev",
        "    Preparing your SST app",
        (
            "    UnknownEndpoint: Inaccessible host: `ssm.us-east-1.amazonaws.com'. This service may not be "
            "available in the `us-east-1' region."
        ),
    ]


def test_without_an_error_line_the_last_words_are_the_reason(tmp_path: Path) -> None:
    root = make_app(tmp_path, PLAIN)
    [app] = WorkspaceIndex([root]).snapshot().apps
    res = synth_app(app, "dev", None, "project")
    assert res.error == "Could not resolve the stage's region from your AWS profile"
    assert "sst exited with code 7" in res.warnings[0]


def synth_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = cli.main(["synth", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_json_when_the_project_toolchain_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_app(tmp_path, SSM_UNREACHABLE)
    code, data, _ = synth_json(capsys, str(root), "--stage", "dev", "--synth-mode", "project")
    assert code == 1
    assert data["ok"] is False and data["error"].startswith("Inaccessible host: `ssm.us-east-1.amazonaws.com'")
    assert data["mode"] == "project" and data["summary"]["stacks"] == 0


def test_json_when_the_toolchain_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_app(tmp_path, None)
    code, data, err = synth_json(capsys, str(root), "--stage", "dev", "--synth-mode", "project")
    assert code == 2
    assert data["ok"] is False and "node_modules/.bin/sst" in data["error"]
    assert data["stage"] == "dev" and data["stacks"] == []
    assert "node_modules/.bin/sst" in err


@pytest.mark.parametrize(
    ("files", "stage", "expected"),
    [
        pytest.param({"sst.json": "{ not json"}, "dev", "sst.json", id="config-not-json"),
        pytest.param({"sst.json": json.dumps({"name": "x", "main": "stacks/nope.ts"})}, "dev",
                     'The entry file "stacks/nope.ts"', id="missing-entry"),
        pytest.param({"sst.json": json.dumps({"main": "stacks/index.ts"}), "stacks/index.ts": "export default function main() {}\n"},
                     "dev", "name", id="no-app-name"),
        pytest.param({}, "dev", "No SST app", id="no-app"),
        pytest.param({"sst.json": json.dumps({"name": "x", "main": "stacks/index.ts"})}, "not a stage", "stage",
                     id="bad-stage"),
    ],
)
def test_json_on_every_failure_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], stage: str, expected: str
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    code, data, _ = synth_json(capsys, str(root), "--stage", stage)
    assert code == 2
    assert data["ok"] is False and expected.lower() in data["error"].lower(), data
    assert set(data) >= {"app", "stage", "mode", "ok", "error", "out_dir", "summary", "stacks", "skipped"}


def test_json_when_the_synth_crashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_app(tmp_path, None)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("jsii kernel died")

    monkeypatch.setattr(ops, "synth_app", crash)
    code, data, err = synth_json(capsys, str(root), "--stage", "dev")
    assert code == 2
    assert data["ok"] is False and data["error"] == "internal error: RuntimeError: jsii kernel died"
    assert "internal error: RuntimeError: jsii kernel died" in err
    assert "Traceback" not in err
