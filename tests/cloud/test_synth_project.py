"""Project-mode synth against a stand-in toolchain (a script at node_modules/.bin/sst).

The stand-in records its argv, streams some output and either writes SST v1's real assembly
(the reference in synth_data/reference) into `.build/cdk.out` or fails with a node-style stack
trace that points into the app.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from sst_lsp.cloud.reporter import NullReporter
from sst_lsp.cloud.synth import SynthError, synth_app
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App

DATA = Path(__file__).parent / "synth_data"

SUCCEED = r'''
import json, pathlib, shutil, sys
root = pathlib.Path.cwd()
(root / "argv.json").write_text(json.dumps(sys.argv[1:]))
print("Building stacks...", flush=True)
out = root / ".build" / "cdk.out"
out.mkdir(parents=True, exist_ok=True)
shutil.copyfile(REFERENCE, out / "dev-rest-api-python-MyStack.template.json")
(out / "manifest.json").write_text(json.dumps({"version": "21.0.0", "artifacts": {
    "dev-rest-api-python-MyStack": {"type": "aws:cloudformation:stack", "environment": "aws://x/us-east-1",
        "properties": {"templateFile": "dev-rest-api-python-MyStack.template.json"}},
    "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}))
print("Done", flush=True)
'''

FAIL = r'''
import pathlib, sys
root = pathlib.Path.cwd()
print("Building stacks...", flush=True)
print("Error: Invalid route GET/notes", flush=True)
print(f"    at new Api ({root}/node_modules/@serverless-stack/resources/dist/Api.js:120:13)", flush=True)
print(f"    at MyStack ({root}/stacks/MyStack.ts:4:15)", flush=True)
print(f"    at Object.<anonymous> ({root}/.build/run.js:10:3)", flush=True)
print("stacks/MyStack.ts(9,5): error TS2345: Argument of type 'number' is not assignable", flush=True)
sys.exit(1)
'''


def make_app(tmp_path: Path, script: str) -> App:
    root = tmp_path / "app"
    shutil.copytree(DATA / "apps" / "rest-api-python", root)
    bin_dir = root / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    sst = bin_dir / "sst"
    reference = DATA / "reference" / "dev-rest-api-python-MyStack.template.json"
    sst.write_text(f"#!{sys.executable}\nREFERENCE = {str(reference)!r}\n{script}")
    sst.chmod(0o755)
    [app] = WorkspaceIndex([root]).snapshot().apps
    return app


class Recorder(NullReporter):
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.progress_messages: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def progress(self, message: str, percent: int | None = None) -> None:
        self.progress_messages.append(message)


def test_project_mode_runs_sst_build_and_reads_its_assembly(tmp_path: Path) -> None:
    app = make_app(tmp_path, SUCCEED)
    rec = Recorder()
    result = synth_app(app, "dev", None, "project", rec)
    assert result.ok and result.mode == "project"
    assert json.loads((app.root / "argv.json").read_text()) == ["build", "--stage", "dev"]
    assert rec.lines == ["Building stacks...", "Done"]  # streamed, in order
    assert result.out_dir == app.root / ".build" / "cdk.out"
    [stack] = result.stacks
    assert (stack.id, stack.name, stack.resources) == ("MyStack", "dev-rest-api-python-MyStack", 26)
    assert stack.outputs == ["ApiEndpoint"]


def test_project_mode_copies_to_out_dir_when_asked(tmp_path: Path) -> None:
    app = make_app(tmp_path, SUCCEED)
    result = synth_app(app, "dev", tmp_path / "elsewhere", "project")
    assert result.out_dir == tmp_path / "elsewhere"
    assert result.stacks[0].template_path == tmp_path / "elsewhere" / "dev-rest-api-python-MyStack.template.json"
    assert result.stacks[0].template_path.is_file()


def test_project_mode_failure_maps_stack_trace_to_diagnostics(tmp_path: Path) -> None:
    app = make_app(tmp_path, FAIL)
    result = synth_app(app, "dev", None, "project")
    assert not result.ok
    assert result.error == "Invalid route GET/notes"
    got = [(d.path.relative_to(app.root).as_posix(), d.line, d.col, d.message) for d in result.diagnostics]
    # Frames in node_modules and in the build folder are not the user's code.
    assert got == [
        ("stacks/MyStack.ts", 3, 14, "Invalid route GET/notes"),
        ("stacks/MyStack.ts", 8, 4, "TS2345: Argument of type 'number' is not assignable"),
    ]


def test_project_mode_needs_the_apps_own_toolchain(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(DATA / "apps" / "rest-api-python", root)
    [app] = WorkspaceIndex([root]).snapshot().apps
    with pytest.raises(SynthError, match="node_modules/.bin/sst"):
        synth_app(app, "dev", None, "project")
    with pytest.raises(SynthError, match="Unknown synth mode"):
        synth_app(app, "dev", None, "magic")
