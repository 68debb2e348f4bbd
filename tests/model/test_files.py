"""`FileSource` (model/files.py): remembered texts for one-shot runs, fresh reads otherwise."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.model.files import FileSource


def test_without_a_text_memo_every_read_goes_to_the_disk(tmp_path: Path) -> None:
    f = tmp_path / "a.ts"
    f.write_text("one", encoding="utf-8")
    fs = FileSource()
    assert fs.read_text(f) == "one"
    f.write_text("two", encoding="utf-8")
    assert fs.read_text(f) == "two"


def test_a_text_memo_reads_each_file_once_until_invalidated(tmp_path: Path) -> None:
    f, g = tmp_path / "a.ts", tmp_path / "missing.ts"
    f.write_text("one", encoding="utf-8")
    texts: dict[Path, str | None] = {}
    fs, other = FileSource(texts=texts), FileSource(texts=texts)
    assert fs.read_text(f) == "one" and fs.read_text(g) is None
    f.write_text("two", encoding="utf-8")
    g.write_text("now here", encoding="utf-8")
    # The run sees one version of each file, whichever source of the run reads it.
    assert fs.read_text(f) == other.read_text(f) == "one"
    assert other.read_text(g) is None
    fs.invalidate(f)
    assert other.read_text(f) == "two" and fs.read_text(g) is None
    fs.invalidate(None)
    assert fs.read_text(g) == "now here"
    # An open buffer still wins over what was read.
    fs.set_overlay(f, "buffer")
    assert fs.read_text(f) == "buffer" and other.read_text(f) == "two"


def test_read_bytes_reads_regular_files_only(tmp_path: Path) -> None:
    import os
    import sys

    from sst_lsp.model.files import read_bytes

    (tmp_path / "empty.ts").write_bytes(b"")
    (tmp_path / "big.ts").write_bytes(b"x" * 3000)
    assert read_bytes(tmp_path / "empty.ts") == b""
    assert read_bytes(tmp_path / "big.ts") == b"x" * 3000
    assert read_bytes(tmp_path / "big.ts", limit=2999) is None
    assert read_bytes(tmp_path) is None  # A folder.
    assert read_bytes(tmp_path / "missing.ts") is None
    if sys.platform != "win32":
        os.mkfifo(tmp_path / "pipe.ts")  # Nobody writes to it: reading must not wait.
        assert read_bytes(tmp_path / "pipe.ts") is None
        assert FileSource().read_text(tmp_path / "pipe.ts") is None
