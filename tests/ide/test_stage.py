"""Stage selection: setting > `.sst/stage` > "dev"; known stages for a picker."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.ide.stage import StageChoice, choose_stage, current_stage, known_stages
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


@pytest.mark.parametrize(
    ("content", "expected", "problem"),
    [
        pytest.param(b"alice\n", "alice", None, id="name-and-newline"),
        pytest.param(b"\xef\xbb\xbf alice\r\n", "alice", None, id="bom-and-crlf"),
        pytest.param(b"", "dev", "is empty", id="empty"),
        pytest.param(b" \n\t\n", "dev", "is empty", id="blank"),
        pytest.param(b"\x00\x01\x02stage", "dev", "not a text file", id="binary"),
        pytest.param(b"\xff\xfealice", "dev", "not a text file", id="invalid-utf8"),
        pytest.param(b"dev;rm -rf /\n", "dev", "Invalid stage name 'dev;rm -rf /'", id="shell"),
        pytest.param(b"1st\n", "dev", "Invalid stage name '1st'", id="leading-digit"),
        pytest.param(b"my_stage", "dev", "Invalid stage name 'my_stage'", id="underscore"),
        pytest.param(b"alice\nbob\n", "dev", "does not hold a stage name", id="two-lines"),
        pytest.param(b"a" * 200, "dev", "does not hold a stage name", id="too-long"),
    ],
)
def test_stage_file_content_is_validated(tmp_path: Path, content: bytes, expected: str, problem: str | None) -> None:
    (tmp_path / ".sst").mkdir()
    (tmp_path / ".sst" / "stage").write_bytes(content)
    choice = choose_stage(tmp_path, FileSource(), None)
    assert choice.stage == expected
    assert current_stage(tmp_path, FileSource(), None) == expected
    if problem is None:
        assert choice.problem is None and choice.source == "stage-file"
    else:
        assert choice.source == "default"
        assert choice.problem is not None and problem in choice.problem
        assert str(tmp_path / ".sst" / "stage") in choice.problem
        # A rejected file is not offered in the picker either.
        assert known_stages(tmp_path, FileSource(), None) == ["dev"]
    # The setting wins without reading the file, and then there is nothing to report.
    assert choose_stage(tmp_path, FileSource(), "prod") == StageChoice("prod", "setting")


def test_no_stage_file_is_no_problem(tmp_path: Path) -> None:
    assert choose_stage(tmp_path, FileSource(), None) == StageChoice("dev", "default", None)
