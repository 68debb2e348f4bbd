"""The analysis host and the factory, wired in the real server: a change of the stage (the
`.sst/stage` file, then the `sst.stage` setting) reaches hovers and, where the client supports
it, asks the client to refresh its code lenses (which show the stage's names)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.e2e.conftest import TIMEOUT, open_doc, position, start, wait_codes


async def _hover_stage(client: LanguageClient, api: Path) -> str:
    got = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=api.as_uri()),
                          position=position(client, api, '"Notes"', 2))
    )
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    return got.contents.value


async def test_stage_changes_refresh_code_lenses(client: LanguageClient, workspace: Path) -> None:
    caps = client_capabilities(client.kind)  # type: ignore[attr-defined]
    supported = bool(caps.workspace and caps.workspace.code_lens and caps.workspace.code_lens.refresh_support)
    refreshed: asyncio.Queue[None] = client.code_lens_refreshes  # type: ignore[attr-defined]
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])  # The stages are known now.
    assert "stage `dev`" in await _hover_stage(client, api)
    stage_file = workspace / "notes" / ".sst" / "stage"
    stage_file.parent.mkdir()
    stage_file.write_text("alice\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=stage_file.as_uri(), type=types.FileChangeType.Created)])
    )
    # The hover is answered after the notification was handled (messages are handled in order).
    assert "stage `alice`" in await _hover_stage(client, api)
    if supported:
        await asyncio.wait_for(refreshed.get(), TIMEOUT)
    else:
        assert refreshed.empty()
    while not refreshed.empty():  # The watched-files handler and the analysis may both notice.
        refreshed.get_nowait()
    client.set_configuration({"stage": "bob"}, section="sst")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"sst": {"stage": "bob"}}))
    if supported:
        await asyncio.wait_for(refreshed.get(), TIMEOUT)
