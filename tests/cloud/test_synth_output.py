"""What `sst-lsp synth` prints: the text summary and `--format json` (hand-made results: fast),
and the CLI on a copy of examples/notes-app (real synth: slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sst_lsp.cloud.synth import SkippedConstruct, StackResult, SynthDiagnostic, SynthResult, format_text

REPO = Path(__file__).resolve().parents[2]


def result(tmp_path: Path) -> SynthResult:
    out = tmp_path / "app" / ".sst-lsp" / "cdk.out" / "dev"
    return SynthResult(
        app="notes",
        stage="dev",
        out_dir=out,
        mode="embedded",
        duration_ms=1234,
        stacks=[
            StackResult("Storage", "dev-notes-Storage", out / "dev-notes-Storage.template.json", 4,
                        ["ExportsOutputRefNotesTable7100B0E8C879CB95", "TableName"]),
            StackResult("Api", "dev-notes-Api", out / "dev-notes-Api.template.json", 34, ["ApiEndpoint"]),
            StackResult("Jobs", "dev-notes-Jobs", out / "dev-notes-Jobs.template.json", 1, []),
        ],
        skipped=[SkippedConstruct("StaticSite", "Site", "Storage", "not modeled by the embedded synth")],
        warnings=['function Job: bind "site" left out: not a construct the embedded synth built'],
        reused=["Jobs"],
    )


def test_text_summary_is_relative_to_the_current_folder_with_counts(tmp_path: Path) -> None:
    text = format_text(result(tmp_path), cwd=tmp_path)
    assert text.splitlines() == [
        "Synthesized notes (stage dev, embedded) in 1.23 s: 3 stacks, 39 resources",
        "Cloud assembly: app/.sst-lsp/cdk.out/dev",
        "  dev-notes-Storage   4 resources  outputs: TableName (+1 cross-stack export)",
        "  dev-notes-Api      34 resources  outputs: ApiEndpoint",
        "  dev-notes-Jobs      1 resource  (unchanged)",
        "Skipped (1):",
        '  StaticSite "Site" (stack Storage): not modeled by the embedded synth',
        "Warnings (1):",
        '  function Job: bind "site" left out: not a construct the embedded synth built',
    ]
    # Outside the current folder, paths stay absolute.
    elsewhere = format_text(result(tmp_path), cwd=tmp_path / "other")
    assert f"Cloud assembly: {tmp_path / 'app' / '.sst-lsp' / 'cdk.out' / 'dev'}" in elsewhere


def test_text_of_a_failed_project_synth_points_at_the_source(tmp_path: Path) -> None:
    r = SynthResult(app="notes", stage="dev", out_dir=tmp_path / "cdk.out", mode="project", ok=False,
                    error="sst build exited with code 1", duration_ms=50,
                    diagnostics=[SynthDiagnostic(tmp_path / "stacks" / "Api.ts", 4, 2, "Cannot find name 'x'")])
    assert format_text(r, cwd=tmp_path).splitlines() == [
        "Synth of notes (stage dev, project) failed after 0.05 s: sst build exited with code 1",
        "stacks/Api.ts:5:3: error: Cannot find name 'x'",
    ]


def test_json_has_a_summary_absolute_paths_and_exports_apart(tmp_path: Path) -> None:
    data = json.loads(json.dumps(result(tmp_path).to_json()))
    assert list(data)[:8] == ["app", "stage", "mode", "ok", "error", "out_dir", "duration_ms", "summary"]
    assert data["summary"] == {"stacks": 3, "resources": 39, "skipped": 1, "warnings": 1, "reused": 1}
    storage = data["stacks"][0]
    assert storage["outputs"] == ["TableName"]
    assert storage["exports"] == ["ExportsOutputRefNotesTable7100B0E8C879CB95"]
    assert Path(storage["template_path"]).is_absolute() and Path(data["out_dir"]).is_absolute()
    assert data["skipped"] == [{"kind": "StaticSite", "id": "Site", "stack": "Storage",
                                "reason": "not modeled by the embedded synth"}]
    assert data["reused"] == ["Jobs"]


@pytest.mark.slow
def test_cli_synth_of_the_notes_example(tmp_path: Path) -> None:
    """The example app synthesizes cleanly: every binding becomes a grant, nothing is left out."""
    shutil.copytree(REPO / "examples" / "notes-app", tmp_path / "notes-app",
                    ignore=shutil.ignore_patterns(".sst-lsp", "node_modules"))
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sst_lsp", "synth", "notes-app", "--stage", "dev", *extra],
                              cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300, check=False)

    text = run()
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("Synthesized notes (stage dev, embedded) in ")
    assert lines[0].endswith(": 3 stacks, 49 resources"), lines[0]
    assert lines[1] == "Cloud assembly: notes-app/.sst-lsp/cdk.out/dev"
    assert "warning" not in (text.stdout + text.stderr).lower()
    assert "Skipped" not in text.stdout

    js = run("--format", "json")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    assert data["summary"] == {"stacks": 3, "resources": 49, "skipped": 0, "warnings": 0, "reused": 0}
    jobs = json.loads(Path(data["stacks"][2]["template_path"]).read_text())
    job = jobs["Resources"]["CleanupJob8E68FD0B"]["Properties"]["Environment"]["Variables"]
    assert {"SST_Table_tableName_Notes", "SST_Queue_queueUrl_Thumbnails"} <= set(job)
