"""Editor features end to end: each proves the wiring of one ide/ function through the real
server process (URIs, client position encodings, capability-dependent shapes). The behaviour
itself is tested in tests/ide/."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from tests.e2e.conftest import codes, diags, find, lsp_col, open_doc, position, start, wait_codes, wait_until


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


async def test_definition_lands_on_the_handler_export(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    target = notes / "packages" / "functions" / "src" / "list.ts"
    await start(client, [workspace])
    open_doc(client, api)
    got = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(api), position=position(client, api, "list.main", 2))
    )
    assert isinstance(got, list) and len(got) == 1
    (loc,) = got
    assert loc.uri == target.as_uri()
    line, col = find(target, "main")
    assert loc.range.start == types.Position(line=line, character=col)
    # Nothing to go to outside a handler string.
    none = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(api), position=types.Position(line=0, character=0))
    )
    assert none is None


async def test_references_of_a_handler_export(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    handler = notes / "packages" / "functions" / "src" / "list.ts"
    await start(client, [workspace])
    open_doc(client, handler)
    got = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(handler),
            position=position(client, handler, "main", 1),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert got is not None
    uris = {loc.uri for loc in got}
    assert api.as_uri() in uris
    line, col = find(api, "packages/functions/src/list.main")
    assert any(loc.range.start == types.Position(line=line, character=col) for loc in got if loc.uri == api.as_uri())


async def test_hover_after_emoji_and_stage_sources(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    emoji = notes / "stacks" / "Emoji.ts"
    api = notes / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, emoji)
    # The cursor sits after two astral emoji: the client column differs from the code points.
    got = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(emoji), position=position(client, emoji, "party.main", 1))
    )
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    assert got.contents.kind == types.MarkupKind.Markdown
    assert "party" in got.contents.value and "stage `dev`" in got.contents.value
    line, col = find(emoji, "packages/functions/src/party.main")
    text = emoji.read_text(encoding="utf-8").split("\n")[line]
    assert got.range is not None
    assert got.range.start == types.Position(line=line, character=lsp_col(text, col, client.encoding))  # type: ignore[attr-defined]
    # `.sst/stage` names the stage when the setting does not.
    (notes / ".sst").mkdir()
    (notes / ".sst" / "stage").write_text("alice\n", encoding="utf-8")
    open_doc(client, api)
    got = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(api), position=position(client, api, '"Notes"', 2))
    )
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    assert "stage `alice`" in got.contents.value
    assert "alice-notes-" in got.contents.value


async def test_hover_stage_from_settings(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={"stage": "prod"})
    open_doc(client, api)
    got = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(api), position=position(client, api, '"Notes"', 2))
    )
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    assert "stage `prod`" in got.contents.value


async def test_completion_of_handler_paths(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    pos = position(client, api, "src/list.main", len("src/"))
    got = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=doc(api),
            position=pos,
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character="/"),
        )
    )
    assert isinstance(got, types.CompletionList)
    labels = {i.label for i in got.items}
    assert {"list", "get"} <= labels
    item = next(i for i in got.items if i.label == "get")
    assert item.kind == types.CompletionItemKind.File
    assert isinstance(item.text_edit, types.TextEdit) and item.text_edit.new_text == "get"
    assert item.text_edit.range.start.line == pos.line
    caps = client_capabilities(client.kind)  # type: ignore[attr-defined]
    if not caps.text_document.completion.completion_item.commit_characters_support:  # type: ignore[union-attr]
        assert item.commit_characters is None


async def test_code_lens_on_handler_function(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    handler = notes / "packages" / "functions" / "src" / "list.ts"
    await start(client, [workspace])
    open_doc(client, handler)
    got = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(handler)))
    assert got is not None and len(got) == 1
    (lens,) = got
    assert lens.command is not None
    assert lens.command.title == "1 route: GET /notes (API)"
    assert lens.command.command == "sst.showReferences"
    uri, pos, locations = lens.command.arguments  # type: ignore[misc]
    assert uri == handler.as_uri()
    assert pos == {"line": 0, "character": find(handler, "main")[1]}
    (loc,) = locations
    assert loc["uri"] == api.as_uri()
    assert loc["range"]["start"]["line"] == find(api, "list.main")[0]
    # The server command answers the locations the lens carries.
    echoed = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="sst.showReferences", arguments=lens.command.arguments)
    )
    assert echoed == locations


async def test_quick_fix_creates_the_missing_handler(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    created = notes / "packages" / "functions" / "src" / "create.ts"
    await start(client, [workspace])
    open_doc(client, api)
    (d,) = await wait_codes(client, api, ["handler-not-found"])
    got = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(api), range=d.range, context=types.CodeActionContext(diagnostics=[d])
        )
    )
    assert got is not None
    (action,) = [a for a in got if isinstance(a, types.CodeAction) and "create.ts" in a.title]
    assert action.kind == types.CodeActionKind.QuickFix
    assert list(action.diagnostics or []) == [d]
    assert action.edit is not None and action.edit.document_changes is not None
    create, edit = action.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == created.as_uri()
    assert isinstance(edit, types.TextDocumentEdit) and edit.text_document.uri == created.as_uri()
    # Apply it as an editor would, and tell the server: the diagnostic goes away.
    created.write_text(edit.edits[0].new_text, encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=created.as_uri(), type=types.FileChangeType.Created)])
    )
    await wait_until(client, lambda: diags(client, api) == [], "fixed by the quick fix")


async def test_create_file_fix_skipped_without_resource_operations(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    caps = client_capabilities(client.kind)  # type: ignore[attr-defined]
    assert caps.workspace is not None
    caps.workspace.workspace_edit = types.WorkspaceEditClientCapabilities(document_changes=True, resource_operations=[])
    await start(client, [workspace], capabilities=caps)
    open_doc(client, api)
    (d,) = await wait_codes(client, api, ["handler-not-found"])
    got = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc(api), range=d.range, context=types.CodeActionContext(diagnostics=[d]))
    )
    assert not got or all("Create" not in a.title for a in got if isinstance(a, types.CodeAction))


async def test_quick_fix_for_a_misspelt_export(client: LanguageClient, workspace: Path) -> None:
    jobs = workspace / "legacy" / "stacks" / "Jobs.ts"
    await start(client, [workspace])
    open_doc(client, jobs)
    (d,) = await wait_codes(client, jobs, ["handler-export-missing"])
    got = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc(jobs), range=d.range, context=types.CodeActionContext(diagnostics=[d]))
    )
    assert got is not None
    edits = [a for a in got if isinstance(a, types.CodeAction) and a.edit is not None]
    assert edits, [a.title for a in got]
    # One of the fixes edits the stack file itself (rename to the existing export) or the
    # handler file (add the missing function); both are plain text edits.
    touched = set()
    for a in edits:
        assert a.edit is not None
        for change in a.edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit):
                touched.add(change.text_document.uri)
        touched.update((a.edit.changes or {}).keys())
    assert jobs.as_uri() in touched or (workspace / "legacy" / "services" / "functions" / "nightly.py").as_uri() in touched


async def test_document_and_workspace_symbols_and_links(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(api)))
    assert symbols is not None
    (stack,) = symbols
    assert isinstance(stack, types.DocumentSymbol) and stack.name == "API"
    assert [c.name for c in stack.children or []] == ["Notes", "Api"]
    routes = [r.name for r in (stack.children or [])[1].children or []]
    assert routes == ["GET /notes", "GET /notes/{id}", "POST /notes"]

    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="Notes"))
    assert found is not None
    table = next(s for s in found if s.name == "Notes")
    assert isinstance(table.location, types.Location) and table.location.uri == api.as_uri()

    links = await client.text_document_document_link_async(types.DocumentLinkParams(text_document=doc(api)))
    assert links is not None
    targets = sorted((link.target or "").split("#")[0] for link in links)
    src = notes / "packages" / "functions" / "src"
    assert targets == [(src / "get.ts").as_uri(), (src / "list.ts").as_uri()]
    assert all(link.target and "#L1," in link.target for link in links)


async def test_list_stages_command(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    (notes / ".sst").mkdir()
    (notes / ".sst" / "stage").write_text("alice\n", encoding="utf-8")
    await start(client, [notes])
    got = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="sst.listStages", arguments=[{}]))
    assert got == {"stages": ["alice", "dev"], "current": "alice"}
    got = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="sst.listStages"))
    assert got["current"] == "alice"


async def test_list_stages_needs_an_app_when_there_are_several(client: LanguageClient, workspace: Path) -> None:
    await start(client, [workspace])
    # A JSON-RPC error with a clear message, not a crash.
    with pytest.raises(JsonRpcException, match="2 SST apps"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="sst.listStages", arguments=[{}]))
    got = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="sst.listStages", arguments=[{"app": (workspace / "legacy").as_uri()}])
    )
    assert got == {"stages": ["dev"], "current": "dev"}


async def test_requests_on_unknown_files_answer_nothing(client: LanguageClient, workspace: Path) -> None:
    await start(client, [workspace])
    stray = workspace / "stray.ts"
    stray.write_text("const x = 1;\n", encoding="utf-8")
    open_doc(client, stray)
    pos = types.Position(line=5, character=80)  # Beyond the end: clamped, never an error.
    assert await client.text_document_hover_async(types.HoverParams(text_document=doc(stray), position=pos)) is None
    assert await client.text_document_definition_async(types.DefinitionParams(text_document=doc(stray), position=pos)) is None
    assert await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(stray))) is None
    missing = types.TextDocumentIdentifier(uri=(workspace / "nope.ts").as_uri())
    assert await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=missing)) is None
    assert codes(client, stray) == []
