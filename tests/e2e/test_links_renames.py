"""Issue 12 features end to end (VS Code and Neovim capabilities): resource links in handler
code with their quick fix, file and construct renames, inlay hints, and the folder a "Create
file" fix needs. The behaviour is tested in tests/ide and tests/analyzers; these prove the wiring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from tests.conftest import FIXTURE_APPS
from tests.e2e.conftest import codes, open_doc, position, start, wait_codes, wait_until


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


@pytest.fixture
def bind_app(tmp_path: Path) -> Path:
    root = tmp_path / "ws" / "v2-bind"
    shutil.copytree(FIXTURE_APPS / "v2-bind", root)
    return root


def _text_edits(edit: types.WorkspaceEdit | None) -> dict[str, list[types.TextEdit]]:
    out: dict[str, list[types.TextEdit]] = {}
    if edit is None:
        return out
    for uri, es in (edit.changes or {}).items():
        out.setdefault(uri, []).extend(es)
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            out.setdefault(change.text_document.uri, []).extend(
                e for e in change.edits if isinstance(e, types.TextEdit))
    return out


def _apply(path: Path, edits: list[types.TextEdit]) -> None:
    # Edits here are on ASCII lines: client columns are code points.
    lines = path.read_text(encoding="utf-8").split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        s, t = e.range.start, e.range.end
        assert s.line == t.line
        line = lines[s.line]
        lines[s.line] = line[: s.character] + e.new_text + line[t.character :]
    path.write_text("\n".join(lines), encoding="utf-8")


def _changed(client: LanguageClient, *paths: Path) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=p.as_uri(), type=types.FileChangeType.Changed) for p in paths]))


async def test_resource_not_linked_and_its_quick_fix(client: LanguageClient, bind_app: Path) -> None:
    handler = bind_app / "packages" / "functions" / "src" / "notes" / "list.ts"
    jobs = bind_app / "stacks" / "Jobs.ts"
    await start(client, [bind_app])
    open_doc(client, handler)
    got = await wait_codes(client, handler, ["resource-not-linked", "resource-not-linked"])
    table = next(d for d in got if "Table.Notes" in d.message)
    assert table.severity == types.DiagnosticSeverity.Error and 'Cron "Cleanup"' in table.message
    assert table.related_information and any(r.location.uri == jobs.as_uri() for r in table.related_information)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(handler), range=table.range, context=types.CodeActionContext(diagnostics=[table])))
    assert actions is not None
    (fix,) = [a for a in actions if isinstance(a, types.CodeAction) and "bind" in a.title]
    edits = _text_edits(fix.edit)
    assert list(edits) == [jobs.as_uri()]
    _apply(jobs, edits[jobs.as_uri()])
    _changed(client, jobs)
    await wait_until(client, lambda: codes(client, handler) == ["resource-not-linked"], "Table.Notes fixed")
    assert "Bucket.Uploads" in client.diagnostics[handler.as_uri()][0].message


async def test_will_rename_files_rewrites_handler_strings(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    old = notes / "packages" / "functions" / "src" / "list.ts"
    new = old.with_name("items.ts")
    result = await start(client, [workspace])
    caps = client_capabilities(client.kind)  # type: ignore[attr-defined]
    if caps.workspace and caps.workspace.file_operations and caps.workspace.file_operations.will_rename:
        # Advertised to clients that send it (VS Code); Neovim's client sends no file operations.
        ops = result.capabilities.workspace and result.capabilities.workspace.file_operations
        assert ops is not None and ops.will_rename is not None
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])
    edit = await client.workspace_will_rename_files_async(types.RenameFilesParams(
        files=[types.FileRename(old_uri=old.as_uri(), new_uri=new.as_uri())]))
    edits = _text_edits(edit)
    assert list(edits) == [api.as_uri()]
    (e,) = edits[api.as_uri()]
    assert e.new_text == "items"
    # Apply as the editor does: move the file, apply the edit; only the old problem is left.
    old.rename(new)
    _apply(api, [e])
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(api)))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=old.as_uri(), type=types.FileChangeType.Deleted),
        types.FileEvent(uri=new.as_uri(), type=types.FileChangeType.Created),
        types.FileEvent(uri=api.as_uri(), type=types.FileChangeType.Changed),
    ]))
    open_doc(client, api, version=2)
    await wait_until(client, lambda: '"packages/functions/src/items.main"' in api.read_text()
                     and codes(client, api) == ["handler-not-found"]
                     and "create" in client.diagnostics[api.as_uri()][0].message, "only create.ts missing")


@pytest.mark.parametrize("answer", ["Rename anyway", None])
async def test_stateful_construct_rename_asks_first(client: LanguageClient, workspace: Path, answer: str | None) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    at = position(client, api, '"Notes"', 2)
    prep = await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=doc(api), position=at))
    assert isinstance(prep, types.PrepareRenamePlaceholder) and prep.placeholder == "Notes"
    client.message_answer = answer  # type: ignore[attr-defined]
    params = types.RenameParams(text_document=doc(api), position=at, new_name="Memos")
    if answer is None:
        with pytest.raises(JsonRpcException, match="cancelled"):
            await client.text_document_rename_async(params)
    else:
        got = await client.text_document_rename_async(params)
        (e,) = _text_edits(got)[api.as_uri()]
        assert e.new_text == "Memos"
    (asked,) = client.message_requests  # type: ignore[attr-defined]
    assert asked.type == types.MessageType.Warning and "new, empty table" in asked.message


@pytest.mark.parametrize("shown", [True, False])
async def test_inlay_hints_and_their_setting(client: LanguageClient, workspace: Path, shown: bool) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={"inlayHints": {"physicalNames": shown}})
    open_doc(client, api)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=100, character=0))
    got = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=doc(api), range=whole))
    if not shown:
        assert not got
        return
    assert got is not None and [h.label for h in got] == [" dev-notes-Notes"]
    assert got[0].position == position(client, api, '"Notes"', len('"Notes"'))


async def test_create_file_in_a_missing_folder_creates_the_folder(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    api = notes / "stacks" / "Api.ts"
    text = api.read_text().replace("packages/functions/src/create.main", "packages/functions/src/jobs/new/create.main")
    api.write_text(text)
    await start(client, [workspace])
    open_doc(client, api)
    (d,) = await wait_codes(client, api, ["handler-not-found"])
    # The answer is read as JSON: lsprotocol's client-side union `Command | CodeAction` takes a
    # CodeAction that carries a command for a Command; editors tell them apart by `command`'s
    # type (Neovim's `apply_action` does), so the raw JSON is what matters.
    real = client.protocol.get_result_type
    client.protocol.get_result_type = lambda m: None if m == types.TEXT_DOCUMENT_CODE_ACTION else real(m)  # type: ignore[method-assign]
    actions = await client.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(
        text_document=doc(api), range=d.range, context=types.CodeActionContext(diagnostics=[d])))
    client.protocol.get_result_type = real  # type: ignore[method-assign]
    raw = [vars(a) if not isinstance(a, dict) else a for a in actions]
    (create,) = [a for a in raw if str(a["title"]).startswith("Create")]
    folder = notes / "packages" / "functions" / "src" / "jobs" / "new"
    command = create["command"] if isinstance(create["command"], dict) else vars(create["command"])
    assert command["command"] == "sst.createFolders" and command["arguments"] == [folder.as_uri()]
    assert create["edit"]  # The edit comes first; the command runs after it.
    # The editor applies the edit, then runs the command: the folder exists, the buffer can be saved.
    assert not folder.exists()
    made = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command["command"], arguments=command["arguments"]))
    assert made == [folder.as_uri()] and folder.is_dir()
    # Nothing outside the workspace is ever created.
    outside = workspace.parent / "elsewhere"
    made = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="sst.createFolders", arguments=[outside.as_uri()]))
    assert made == [] and not outside.exists()


async def test_rename_to_an_invalid_name_says_why(client: LanguageClient, workspace: Path) -> None:
    handler = workspace / "notes" / "packages" / "functions" / "src" / "list.ts"
    await start(client, [workspace])
    open_doc(client, handler)
    at = position(client, handler, "main", 1)
    prep = await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=doc(handler), position=at))
    assert isinstance(prep, types.PrepareRenamePlaceholder) and prep.placeholder == "main"
    with pytest.raises(JsonRpcException, match="not an export name"):
        await client.text_document_rename_async(types.RenameParams(text_document=doc(handler), position=at, new_name="my-main"))
    got = await client.text_document_rename_async(types.RenameParams(text_document=doc(handler), position=at, new_name="list"))
    edits = _text_edits(got)
    assert set(edits) == {handler.as_uri(), (workspace / "notes" / "stacks" / "Api.ts").as_uri()}
    assert client.message_requests == []  # type: ignore[attr-defined]  # An export rename asks nothing.


async def test_completion_before_the_closing_quote_is_typed(client: LanguageClient, workspace: Path) -> None:
    # Neovim does not close quotes as you type: `"packages/functions/src/li|` must complete.
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    text = api.read_text().replace('"POST /notes": "packages/functions/src/create.main",',
                                   '"POST /notes": "packages/functions/src/li')
    open_doc(client, api, text=text)
    line = next(i for i, t in enumerate(text.split("\n")) if t.endswith("src/li"))
    at = types.Position(line=line, character=len(text.split("\n")[line]))
    got = await client.text_document_completion_async(types.CompletionParams(text_document=doc(api), position=at))
    assert got is not None
    items = got.items if isinstance(got, types.CompletionList) else got
    assert "list" in {i.label for i in items}
