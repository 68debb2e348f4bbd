"""Deterministic zips, placeholder substitution, stage/stack names, the outputs file."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from sst_lsp.cloud.assets import substitute, zip_directory
from sst_lsp.cloud.naming import is_protected, stack_name_problem, stage_name_problem
from sst_lsp.cloud.outputs import (
    drop_from_outputs_file,
    format_outputs,
    outputs_path,
    read_outputs_file,
    write_outputs_file,
)


def _tree(root: Path) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "index.py").write_text("def main(e, c):\n    return 'ok'\n")
    (root / "pkg" / "util.py").write_text("X = 1\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    os.chmod(root / "index.py", 0o600)


def test_zip_is_deterministic(tmp_path: Path) -> None:
    _tree(tmp_path / "a")
    first = zip_directory(tmp_path / "a")
    assert zip_directory(tmp_path / "a") == first
    # Same files written later (other mtimes), in another order, elsewhere: same bytes.
    b = tmp_path / "b"
    (b / "pkg").mkdir(parents=True)
    (b / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(b / "run.sh", 0o755)
    (b / "pkg" / "util.py").write_text("X = 1\n")
    (b / "index.py").write_text("def main(e, c):\n    return 'ok'\n")
    os.utime(b / "index.py", (1_000_000, 1_000_000))
    assert zip_directory(b) == first


def test_zip_content_order_times_and_modes(tmp_path: Path) -> None:
    _tree(tmp_path)
    zf = zipfile.ZipFile(io.BytesIO(zip_directory(tmp_path)))
    infos = zf.infolist()
    assert [i.filename for i in infos] == ["index.py", "pkg/util.py", "run.sh"]
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes == {"index.py": 0o644, "pkg/util.py": 0o644, "run.sh": 0o755}
    assert zf.read("pkg/util.py") == b"X = 1\n"


def test_zip_changes_with_content(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = zip_directory(tmp_path)
    (tmp_path / "pkg" / "util.py").write_text("X = 2\n")
    assert zip_directory(tmp_path) != before


def test_substitute_placeholders() -> None:
    assert (
        substitute(
            "cdk-q-assets-${AWS::AccountId}-${AWS::Region}/${AWS::Partition}",
            "123456789012",
            "eu-west-1",
            "aws",
        )
        == "cdk-q-assets-123456789012-eu-west-1/aws"
    )


@pytest.mark.parametrize("stage", ["dev", "pr-12", "Staging2", "a"])
def test_valid_stage_names(stage: str) -> None:
    assert stage_name_problem(stage) is None


@pytest.mark.parametrize("stage", ["", "1dev", "-dev", "dev_1", "dev.1", "dév", "a b", "x" * 129])
def test_invalid_stage_names(stage: str) -> None:
    problem = stage_name_problem(stage)
    assert problem is not None and ("stage name" in problem)


def test_stack_name_length_limit() -> None:
    assert stack_name_problem("dev-app-" + "S" * 120) is None  # 128 characters
    problem = stack_name_problem("dev-app-" + "S" * 121)
    assert problem is not None and "129 characters" in problem and "128" in problem


def test_protected_stages() -> None:
    assert is_protected("prod", ("prod", "production"))
    assert not is_protected("dev", ("prod", "production"))


def test_outputs_file_write_merge_drop(tmp_path: Path) -> None:
    path = outputs_path(tmp_path, "dev")
    assert path == tmp_path / ".sst-lsp" / "outputs" / "dev.json"
    write_outputs_file(path, {"dev-app-Api": {"Url": "https://x", "B": "2"}})
    write_outputs_file(path, {"dev-app-Data": {"Table": "t"}})
    data = json.loads(path.read_text())
    assert data == {"dev-app-Api": {"B": "2", "Url": "https://x"}, "dev-app-Data": {"Table": "t"}}
    assert list(data) == sorted(data)
    assert format_outputs(read_outputs_file(path)) == [
        "dev-app-Api",
        "  B: 2",
        "  Url: https://x",
        "dev-app-Data",
        "  Table: t",
    ]
    drop_from_outputs_file(path, ["dev-app-Api"])
    assert read_outputs_file(path) == {"dev-app-Data": {"Table": "t"}}
    drop_from_outputs_file(path, ["dev-app-Data"])
    assert not path.exists()
