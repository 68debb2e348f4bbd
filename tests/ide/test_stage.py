"""Stage selection: setting > `.sst/stage` > "dev"; known stages for a picker."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.ide.stage import current_stage, known_stages
from sst_lsp.model.files import FileSource


@pytest.mark.parametrize(
    ("setting", "stage_file", "expected"),
    [
        pytest.param("prod", "alice\n", "prod", id="setting-wins"),
        pytest.param("  ", "alice\n", "alice", id="blank-setting-ignored"),
        pytest.param(None, "  alice \n", "alice", id="stage-file-stripped"),
        pytest.param(None, None, "dev", id="default"),
        pytest.param(None, "", "dev", id="empty-stage-file"),
        pytest.param(None, "not a stage\n", "dev", id="garbage-stage-file"),
    ],
)
def test_current_stage(tmp_path: Path, setting: str | None, stage_file: str | None, expected: str) -> None:
    if stage_file is not None:
        (tmp_path / ".sst").mkdir()
        (tmp_path / ".sst" / "stage").write_text(stage_file)
    assert current_stage(tmp_path, FileSource(), setting) == expected


def test_open_buffer_counts(tmp_path: Path) -> None:
    fs = FileSource()
    fs.set_overlay(tmp_path / ".sst" / "stage", "bob")
    assert current_stage(tmp_path, fs, None) == "bob"


def test_known_stages(tmp_path: Path) -> None:
    (tmp_path / ".sst").mkdir()
    (tmp_path / ".sst" / "stage").write_text("alice\n")
    outputs = tmp_path / ".sst-lsp" / "outputs"
    outputs.mkdir(parents=True)
    (outputs / "staging.json").write_text("{}")
    (outputs / "dev.json").write_text("{}")
    (outputs / "notes.txt").write_text("")
    assert known_stages(tmp_path, FileSource(), "prod") == ["prod", "alice", "dev", "staging"]
    assert known_stages(tmp_path, FileSource(), None) == ["alice", "dev", "staging"]
