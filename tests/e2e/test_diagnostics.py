"""Diagnostics end to end: open buffers, handler files changing (buffer, disk, rename), closes,
settings, multi-root. Every wait is on a publishDiagnostics notification."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.e2e.conftest import (
    codes,
    diags,
    find,
    lsp_col,
    open_doc,
    replace_in_doc,
    start,
    wait_codes,
    wait_until,
)


async def test_open_stack_file_reports_missing_handler(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    (d,) = await wait_codes(client, api, ["handler-not-found"])
    line, col = find(api, "packages/functions/src/create.main")
    assert d.range.start.line == line and d.range.start.character == col
    assert d.range.end.character == col + len("packages/functions/src/create.main")
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "sst-lsp"
    assert d.code_description is not None and d.code_description.href.endswith("#diagnostic-codes")
    assert "create" in d.message
    assert isinstance(d.data, dict) and d.data.get("file", "").endswith("create.ts")


async def test_emoji_before_handler_string_uses_client_columns(client: LanguageClient, workspace: Path) -> None:
    emoji = workspace / "notes" / "stacks" / "Emoji.ts"
    await start(client, [workspace])
    open_doc(client, emoji)
    (d,) = await wait_codes(client, emoji, ["handler-not-found"])
    line, col = find(emoji, "packages/functions/src/party.main")
    text = emoji.read_text(encoding="utf-8").split("\n")[line]
    enc = client.encoding  # type: ignore[attr-defined]
    assert d.range.start == types.Position(line=line, character=lsp_col(text, col, enc))
    # The two emoji are astral: 2 UTF-16 units or 4 UTF-8 bytes each, never 1.
    assert d.range.start.character == col + (2 if enc == "utf-16" else 6)


async def test_fix_and_clear_cycle(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    text = api.read_text(encoding="utf-8")
    open_doc(client, api, text)
    await wait_codes(client, api, ["handler-not-found"])
    # Fix: point the route at an existing handler; the diagnostic is cleared with [].
    text = replace_in_doc(client, api, text, "src/create.main", "src/list.main", version=2)
    await wait_until(client, lambda: api.as_uri() in client.diagnostics and diags(client, api) == [], "cleared")
    # Break it again, differently: the export is missing this time.
    text = replace_in_doc(client, api, text, "src/list.main\",\n    }", "src/list.mian\",\n    }", version=3)
    (d,) = await wait_codes(client, api, ["handler-export-missing"])
    assert "mian" in d.message


async def test_handler_buffer_edit_revalidates_closed_stack_file(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    handler = notes / "packages" / "functions" / "src" / "list.ts"
    await start(client, [workspace])
    # The stack file is not open: its diagnostics come from the background indexing.
    await wait_codes(client, api, ["handler-not-found"])
    text = handler.read_text(encoding="utf-8")
    open_doc(client, handler, text)
    replace_in_doc(client, handler, text, "function main", "function mainx", version=2)
    await wait_codes(client, api, ["handler-export-missing", "handler-not-found"])


async def test_handler_deleted_on_disk_while_stack_open(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    handler = notes / "packages" / "functions" / "src" / "get.ts"
    await start(client, [workspace])
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])
    # File watching is registered exactly when the client allows dynamic registration (VS Code
    # does; the captured Neovim 0.11 does not, and then sends its events anyway).
    watchers = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    caps = client_capabilities(client.kind)  # type: ignore[attr-defined]
    assert caps.workspace is not None and caps.workspace.did_change_watched_files is not None
    if caps.workspace.did_change_watched_files.dynamic_registration:
        (w,) = watchers
        globs = [x["globPattern"] for x in w.register_options["watchers"]]
        assert "**/*.{ts,tsx,js,jsx,mjs,cjs,py,go,cs,java}" in globs and "**/sst.config.*" in globs
    else:
        assert watchers == []
    handler.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=handler.as_uri(), type=types.FileChangeType.Deleted)]
        )
    )
    await wait_codes(client, api, ["handler-not-found", "handler-not-found"])
    handler.write_text('export const main = async () => ({ statusCode: 200 });\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=handler.as_uri(), type=types.FileChangeType.Created)])
    )
    await wait_codes(client, api, ["handler-not-found"])


async def test_handler_renamed_on_disk(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    src = notes / "packages" / "functions" / "src"
    await start(client, [workspace])
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])
    (src / "list.ts").rename(src / "create.ts")
    client.workspace_did_rename_files(
        types.RenameFilesParams(files=[types.FileRename(old_uri=(src / "list.ts").as_uri(), new_uri=(src / "create.ts").as_uri())])
    )
    # create.main now resolves and list.main no longer does.
    list_line = find(api, "packages/functions/src/list.main")[0]
    await wait_until(client, lambda: [d.range.start.line for d in diags(client, api)] == [list_line], "list.main missing")
    assert codes(client, api) == ["handler-not-found"]


async def test_did_close_falls_back_to_disk(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    text = api.read_text(encoding="utf-8")
    open_doc(client, api, text)
    await wait_codes(client, api, ["handler-not-found"])
    # An unsaved edit breaks a second handler...
    replace_in_doc(client, api, text, "src/get.main", "src/gone.main", version=2)
    await wait_codes(client, api, ["handler-not-found", "handler-not-found"])
    # ...and closing without saving brings back what the disk says.
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=api.as_uri())))
    await wait_codes(client, api, ["handler-not-found"])


async def test_severity_override_off_and_warning(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    jobs = workspace / "legacy" / "stacks" / "Jobs.ts"
    await start(client, [workspace], configuration={"diagnostics": {"severity": {"handler-export-missing": "warning"}}})
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])
    (d,) = await wait_codes(client, jobs, ["handler-export-missing"])
    assert d.severity == types.DiagnosticSeverity.Warning
    # Turning a code off removes its diagnostics after the settings re-pull.
    client.set_configuration({"diagnostics": {"severity": {"handler-not-found": "off"}}}, section="sst")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"sst": client.get_configuration(section="sst")}))
    await wait_until(client, lambda: diags(client, api) == [], "handler-not-found turned off")
    (d,) = await wait_codes(client, jobs, ["handler-export-missing"])
    assert d.severity == types.DiagnosticSeverity.Error


async def test_multi_root_indexes_every_folder(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    jobs = workspace / "legacy" / "stacks" / "Jobs.ts"
    await start(client, [workspace / "notes", workspace / "legacy"])
    # Nothing is open: both folders' apps are indexed in the background.
    await wait_codes(client, api, ["handler-not-found"])
    (d,) = await wait_codes(client, jobs, ["handler-export-missing"])
    line, col = find(jobs, "functions/nightly.run")
    assert d.range.start.line == line
    assert d.range.start.character == col


async def test_added_workspace_folder_is_indexed(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    jobs = workspace / "legacy" / "stacks" / "Jobs.ts"
    await start(client, [workspace / "notes"])
    await wait_codes(client, api, ["handler-not-found"])
    assert codes(client, jobs) == []
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=(workspace / "legacy").as_uri(), name="legacy")], removed=[]
            )
        )
    )
    await wait_codes(client, jobs, ["handler-export-missing"])
