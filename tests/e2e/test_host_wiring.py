"""The analysis host and the factory, wired in the real server: a change of the stage (the
`.sst/stage` file, then the `sst.stage` setting) asks the client to refresh its code lenses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import TIMEOUT, start, wait_codes


async def test_stage_changes_refresh_code_lenses(client: LanguageClient, workspace: Path) -> None:
    if client.kind != "visual-studio-code":  # type: ignore[attr-defined]
        pytest.skip("only VS Code's capabilities have workspace.codeLens.refreshSupport")
    refreshed = asyncio.Queue[None]()

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_refresh(params: None) -> None:
        refreshed.put_nowait(None)

    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={})
    await wait_codes(client, api, ["handler-not-found"])  # The stages are known now.
    stage_file = workspace / "notes" / ".sst" / "stage"
    stage_file.parent.mkdir()
    stage_file.write_text("alice\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=stage_file.as_uri(), type=types.FileChangeType.Created)])
    )
    await asyncio.wait_for(refreshed.get(), TIMEOUT)
    client.set_configuration({"stage": "bob"}, section="sst")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.wait_for(refreshed.get(), TIMEOUT)
