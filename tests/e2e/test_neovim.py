"""Headless Neovim as a second real client: it starts `python -m sst_lsp serve` itself, opens a
stack file, and reports the diagnostics it received and where go-to-definition lands
(tests/e2e/nvim/check.lua)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import SERVER, find, server_env

NVIM = shutil.which("nvim")
SCRIPT = Path(__file__).resolve().parent / "nvim" / "check.lua"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NVIM is None, reason="nvim is not installed (CI installs Debian's neovim; apt-get install neovim)"),
]


def run_nvim(workspace: Path, file: Path, line: int, char: int, tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "nvim-result.json"
    env = server_env()
    env.update(
        SST_LSP_CMD=json.dumps(SERVER),
        SST_LSP_ROOT=str(workspace),
        SST_LSP_LINE=str(line),
        SST_LSP_CHAR=str(char),
        SST_LSP_OUT=str(out),
        # No user state: a throwaway home for shada, logs and swap files.
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    assert NVIM is not None
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-n", "-c", f"luafile {SCRIPT}", str(file)],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    return result  # type: ignore[no-any-return]


def test_neovim_gets_diagnostics_and_definition(workspace: Path, tmp_path: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    line, col = find(api, "packages/functions/src/list.main", len("packages/functions/src/l"))
    result = run_nvim(notes, api, line, col, tmp_path)

    diagnostics = result["diagnostics"]
    assert isinstance(diagnostics, list) and len(diagnostics) == 1, diagnostics
    (d,) = diagnostics
    want_line, want_col = find(api, "packages/functions/src/create.main")
    assert (d["lnum"], d["col"]) == (want_line, want_col)
    assert d["end_col"] == want_col + len("packages/functions/src/create.main")
    assert d["code"] == "handler-not-found" and d["source"] == "sst-lsp"
    assert d["severity"] == 1  # vim.diagnostic.severity.ERROR

    target = notes / "packages" / "functions" / "src" / "list.ts"
    (loc,) = result["definition"]  # type: ignore[misc]
    assert loc["uri"] == target.as_uri()
    assert loc["range"]["start"] == {"line": 0, "character": find(target, "main")[1]}


def test_neovim_columns_after_emoji(workspace: Path, tmp_path: Path) -> None:
    notes = workspace / "notes"
    emoji = notes / "stacks" / "Emoji.ts"
    line, col = find(emoji, "party.main")
    result = run_nvim(notes, emoji, line, col, tmp_path)
    (d,) = result["diagnostics"]  # type: ignore[misc]
    want_line, want_col = find(emoji, "packages/functions/src/party.main")
    text = emoji.read_text(encoding="utf-8").split("\n")[want_line]
    # Neovim stores byte columns: it converted the server's columns with the negotiated encoding.
    assert (d["lnum"], d["col"]) == (want_line, len(text[:want_col].encode("utf-8")))
    assert result["definition"] == []  # party.ts does not exist: nowhere to go.


def test_neovim_creates_a_handler_file_in_a_new_folder(workspace: Path, tmp_path: Path) -> None:
    # Neovim's client does not create folders for a CreateFile: the fix's command does, so the
    # new buffer can be saved (without it `:write` fails with E212).
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    api.write_text(api.read_text().replace("src/create.main", "src/jobs/nightly/create.main"))
    out = tmp_path / "nvim-create.json"
    env = server_env()
    env.update(
        SST_LSP_CMD=json.dumps(SERVER), SST_LSP_ROOT=str(notes), SST_LSP_OUT=str(out),
        XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    assert NVIM is not None
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-n", "-c", f"luafile {SCRIPT.with_name('create_file.lua')}", str(api)],
        cwd=notes, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert result["title"].startswith("Create packages/functions/src/jobs/nightly/create.ts")
    assert result["folder_before"] is False
    assert result["saved"] is True
    created = notes / "packages" / "functions" / "src" / "jobs" / "nightly" / "create.ts"
    assert created.is_file() and "export async function main" in created.read_text()
    assert result["command"] == "sst.createFolders"
