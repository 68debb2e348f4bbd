"""Editor features (layer 4: server): thin adapters from LSP requests to `sst_lsp.ide`.

Each handler converts the request's URI and position (convert.py), takes one
`index.snapshot()`, calls the pure ide/ function in a worker thread, and converts the POD answer
back. `_guarded` runs that: a bug (or an ide/ module not installed) costs that one answer, logged,
never an error response; a `$/cancelRequest` cancels the awaiting task and the answer is
dropped.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from sst_lsp.model.types import Finding
from sst_lsp.server.server import RawResult
from sst_lsp.syntax.text import Pos

if TYPE_CHECKING:
    from sst_lsp.server.server import SstLanguageServer

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The command of the references lens (ide/code_lens.py), also a server command (commands.py).
SHOW_REFERENCES = "sst.showReferences"

#: The command a quick fix runs after its edit to create the folders of a new file.
CREATE_FOLDERS = "sst.createFolders"

#: Characters that open completion: path segments, handler exports, a new string.
TRIGGER_CHARACTERS = ["/", ".", '"', "'"]


#: Outlines kept converted (per path, for one snapshot and text): an editor asks again for the
#: outline of an unchanged document at every focus change, breadcrumb and sticky scroll.
OUTLINES_KEPT = 4


def _ide(module: str) -> Any:
    """An ide/ module (each ships in the package: one that fails to import fails loudly)."""
    return importlib.import_module(f"sst_lsp.ide.{module}")


async def _guarded(ls: SstLanguageServer, name: str, fn: Callable[[], T], default: T) -> T:
    try:
        await ls.ready()
        return await asyncio.to_thread(fn)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s failed", name)
        return default


def _baseline_description(ls: SstLanguageServer, snap: Any, path: Path) -> str | None:
    """What ide.hover shows as the baseline ("git:HEAD (a1b2c3d)"), or None when there is none."""
    app = snap.app_for(path)
    if app is None:
        return None
    import dataclasses

    loaded = ls.diagnostics.baseline(ls.settings_for(path).baseline, dataclasses.replace(snap, apps=(app,)))
    got = loaded.per_app.get(app.root, loaded.base)
    return getattr(got, "description", None)


def _lens_command(ls: SstLanguageServer, path: Path, lens: Any) -> types.Command:
    conv = ls.converter
    if not lens.command:
        # A lens without a command is a label; clients want a command object to show a title.
        return types.Command(title=lens.title, command="")
    args = list(lens.arguments)
    if lens.command == SHOW_REFERENCES and len(args) == 4 and isinstance(args[0], str):
        # (path, line, col, locations) -> (uri, position, locations): the arguments of VS Code's
        # `editor.action.showReferences` in LSP JSON, as rust-analyzer's lenses carry them.
        target = Path(args[0])
        pos = conv.position(target, Pos(int(args[1]), int(args[2])))
        return types.Command(
            title=lens.title,
            command=SHOW_REFERENCES,
            arguments=[
                conv.uri_of(target),
                {"line": pos.line, "character": pos.character},
                conv.json_argument(target, args[3]),
            ],
        )
    return types.Command(title=lens.title, command=lens.command, arguments=conv.json_argument(path, args))


def register(server: SstLanguageServer) -> None:
    register_renames(server)

    @server.command(CREATE_FOLDERS)
    async def on_create_folders(ls: Any, *args: Any) -> list[str]:  # pygls reads the hints at run time
        try:
            made = await asyncio.to_thread(create_folders, ls, list(args))
        except Exception:
            log.exception("%s failed", CREATE_FOLDERS)
            return []
        if made:  # A new folder may be a handler's `srcPath` or hold what an import names.
            ls.diagnostics.schedule(immediate=True)
        return made

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def on_definition(ls: SstLanguageServer, params: types.DefinitionParams) -> list[types.Location] | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("definition")
        if path is None or mod is None:
            return None

        def run() -> list[types.Location] | None:
            snap = ls.request_snapshot()
            conv = ls.converter
            got = mod.goto_definition(snap, ls.host.resolver, path, conv.pos(path, params.position))
            return conv.locations(got or []) or None

        return await _guarded(ls, "definition", run, None)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def on_references(ls: SstLanguageServer, params: types.ReferenceParams) -> list[types.Location] | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("references")
        if path is None or mod is None:
            return None

        def run() -> list[types.Location] | None:
            snap = ls.request_snapshot()
            conv = ls.converter
            got = mod.find_references(
                snap, ls.host.resolver, path, conv.pos(path, params.position), params.context.include_declaration
            )
            return conv.locations(got or []) or None

        return await _guarded(ls, "references", run, None)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: SstLanguageServer, params: types.HoverParams) -> types.Hover | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("hover")
        if path is None or mod is None:
            return None
        formats = ls.client_supports("text_document.hover.content_format", None)
        markdown = not formats or types.MarkupKind.Markdown in formats

        def run() -> types.Hover | None:
            snap = ls.request_snapshot()
            conv = ls.converter
            app = snap.app_for(path)
            stage = ls.stage_for(app.root if app else None, path)
            pos = conv.pos(path, params.position)
            got = mod.hover(snap, ls.host.resolver, path, pos, stage, _baseline_description(ls, snap, path))
            return conv.hover(path, got, markdown) if got is not None else None

        return await _guarded(ls, "hover", run, None)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS))
    async def on_completion(ls: SstLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("completion")
        if path is None or mod is None:
            return None
        commit = bool(ls.client_supports("text_document.completion.completion_item.commit_characters_support", False))

        def run() -> types.CompletionList | None:
            snap = ls.request_snapshot()
            conv = ls.converter
            got = mod.complete(snap, ls.host.resolver, path, conv.pos(path, params.position))
            if got is None:
                return None
            return types.CompletionList(is_incomplete=False, items=[conv.completion_item(path, i, commit) for i in got])

        return await _guarded(ls, "completion", run, None)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def on_code_lens(ls: SstLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("code_lens")
        if path is None or mod is None:
            return None

        def run() -> list[types.CodeLens] | None:
            snap = ls.request_snapshot()
            conv = ls.converter
            app = snap.app_for(path)
            stage = ls.stage_for(app.root if app else None, path)
            lenses = [
                types.CodeLens(range=conv.range(path, lens.range), command=_lens_command(ls, path, lens))
                for lens in mod.code_lenses(snap, ls.host.resolver, path, stage)
            ]
            return lenses or None

        return await _guarded(ls, "codeLens", run, None)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False),
    )
    async def on_code_action(
        ls: SstLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("code_actions")
        if path is None or mod is None:
            return None
        only = params.context.only
        if only and not any(str(k).startswith("quickfix") or k == types.CodeActionKind.QuickFix for k in only):
            return None
        try:
            findings = await ls.diagnostics.findings_for(path)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("codeAction: computing findings failed")
            return None
        resource_ops = ls.client_supports("workspace.workspace_edit.resource_operations", None) or []
        can_create = types.ResourceOperationKind.Create in resource_ops
        doc_changes = bool(ls.client_supports("workspace.workspace_edit.document_changes", False))
        versions = ls.host.versions()

        def run() -> list[types.CodeAction] | None:
            conv = ls.converter
            want = conv.text_range(path, params.range)
            here = [f for f in findings if _overlaps(f, want)]
            if not here:
                return None
            snap = ls.request_snapshot()
            out: list[types.CodeAction] = []
            for a in mod.code_actions(snap, here, path, ls.host.fs):
                action = _to_lsp_action(ls, path, a, params.context.diagnostics, can_create, doc_changes, versions)
                if action is not None:
                    out.append(action)
            return out or None

        return await _guarded(ls, "codeAction", run, None)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def on_document_symbol(
        ls: SstLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | RawResult | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("symbols")
        if path is None or mod is None:
            return None
        hierarchical = ls.client_supports("text_document.document_symbol.hierarchical_document_symbol_support", False)

        def run() -> list[types.DocumentSymbol] | list[types.SymbolInformation] | RawResult | None:
            conv = ls.converter
            snap = ls.request_snapshot()
            text = ls.host.read_text(path)
            key = (snap, text, conv.encoding, hierarchical)
            cached = ls.outlines.get(path)
            if cached is not None and cached[0][0] is snap and cached[0][1] is text and cached[0][2:] == key[2:]:
                hit: list[types.SymbolInformation] | RawResult | None = cached[1]
                return hit
            got = mod.document_symbols(snap, path)
            out: list[types.SymbolInformation] | RawResult | None
            if not got:
                out = None
            elif hierarchical:
                out = RawResult(conv.document_symbols_json(got))
            else:
                out = [info for s in got for info in conv.symbol_information(s)]
            _keep(ls.outlines, path, key, out)
            return out

        return await _guarded(ls, "documentSymbol", run, None)

    @server.feature(types.WORKSPACE_SYMBOL)
    async def on_workspace_symbol(
        ls: SstLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.WorkspaceSymbol] | None:
        mod = _ide("symbols")
        if mod is None:
            return None

        def run() -> list[types.WorkspaceSymbol] | None:
            conv = ls.converter
            got = mod.workspace_symbols(ls.request_snapshot(), params.query)
            return [conv.workspace_symbol(s) for s in got] or None

        return await _guarded(ls, "workspace/symbol", run, None)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def on_inlay_hint(ls: SstLanguageServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("inlay_hints")
        if path is None or mod is None:
            return None

        def run() -> list[types.InlayHint] | None:
            # Read here, after `ready()`: the first settings pull may still be on its way.
            opts = getattr(ls.settings_for(path), "inlay_hints", None)
            physical, files = getattr(opts, "physical_names", True), getattr(opts, "handler_files", True)
            if not physical and not files:
                return None
            snap = ls.host.snapshot()
            conv = ls.converter
            app = snap.app_for(path)
            stage = ls.stage_for(app.root if app else None, path)
            got = mod.inlay_hints(snap, ls.host.resolver, path, conv.text_range(path, params.range), stage,
                                  physical=physical, files=files)
            return [
                types.InlayHint(
                    position=conv.position(path, h.position),
                    label=h.label,
                    kind=types.InlayHintKind.Type if h.kind == "name" else types.InlayHintKind.Parameter,
                    tooltip=h.tooltip,
                    padding_left=False,
                )
                for h in got
            ] or None

        return await _guarded(ls, "inlayHint", run, None)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False))
    async def on_document_link(ls: SstLanguageServer, params: types.DocumentLinkParams) -> RawResult | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("symbols")
        if path is None or mod is None:
            return None
        tooltip = bool(ls.client_supports("text_document.document_link.tooltip_support", False))

        def run() -> RawResult | None:
            conv = ls.converter
            snap = ls.request_snapshot()
            text = ls.host.read_text(path)
            key = (snap, text, conv.encoding, tooltip)
            cached = ls.links.get(path)
            if cached is not None and cached[0][0] is snap and cached[0][1] is text and cached[0][2:] == key[2:]:
                hit: RawResult | None = cached[1]
                return hit
            got = mod.document_links(snap, ls.host.resolver, path)
            out = RawResult(conv.document_links_json(path, got, tooltip)) if got else None
            _keep(ls.links, path, key, out)
            return out

        return await _guarded(ls, "documentLink", run, None)


def _keep(kept: dict[Path, tuple[tuple[Any, ...], Any]], path: Path, key: tuple[Any, ...], value: Any) -> None:
    """Keeps a converted answer for `path` under `key` (the snapshot and text it was made
    for), at most `OUTLINES_KEPT` of them (each keeps its snapshot alive)."""
    kept.pop(path, None)
    kept[path] = (key, value)
    while len(kept) > OUTLINES_KEPT:
        kept.pop(next(iter(kept)))


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed (-32803): the request was valid and is refused (the message says why)."""

    CODE = -32803
    MESSAGE = "request failed"


#: The answer that confirms a stateful construct rename.
RENAME_ANYWAY = "Rename anyway"


def _workspace_edit(ls: SstLanguageServer, edits: dict[Path, list[Any]]) -> types.WorkspaceEdit | None:
    conv = ls.converter
    if not any(edits.values()):
        return None
    if ls.client_supports("workspace.workspace_edit.document_changes", False):
        versions = ls.host.versions()
        return types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=conv.uri_of(p), version=versions.get(p)),
                edits=[conv.text_edit(p, e) for e in es],
            )
            for p, es in edits.items() if es
        ])
    return types.WorkspaceEdit(changes={conv.uri_of(p): [conv.text_edit(p, e) for e in es] for p, es in edits.items() if es})


def register_renames(server: SstLanguageServer) -> None:
    """`textDocument/prepareRename`, `textDocument/rename` and `workspace/willRenameFiles`.

    A stateful construct's id: LSP's prepareRename cannot carry a message (only an error, which
    would forbid the rename), so prepareRename offers it like any other and `rename` asks with
    `window/showMessageRequest` (the data-loss warning, "Rename anyway" / "Cancel") before it
    returns the edits; a client that cannot ask gets the warning as the rename's error. Never
    silently.
    """

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def on_prepare_rename(
        ls: SstLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("rename")
        if path is None or mod is None:
            return None

        def run() -> types.PrepareRenamePlaceholder | None:
            conv = ls.converter
            got = mod.prepare_rename(ls.host.snapshot(), ls.host.resolver, path, conv.pos(path, params.position))
            if got is None:
                return None
            return types.PrepareRenamePlaceholder(range=conv.range(path, got.range), placeholder=got.placeholder)

        return await _guarded(ls, "prepareRename", run, None)

    @server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    async def on_rename(ls: SstLanguageServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        path = ls.path_of(params.text_document.uri)
        mod = _ide("rename")
        if path is None or mod is None:
            return None
        conv = ls.converter
        pos = conv.pos(path, params.position)

        def target() -> Any:
            return mod.prepare_rename(ls.host.snapshot(), ls.host.resolver, path, pos)

        got = await _guarded(ls, "rename", target, None)
        if got is None:
            return None
        if not mod.valid_name(params.new_name, got.kind):
            what = "an export name (an identifier)" if got.kind == "export" else (
                "a construct id (a letter, then letters, digits, - or _)")
            raise RequestFailed(f"`{params.new_name}` is not {what}.")
        if got.warning:
            try:
                answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
                    type=types.MessageType.Warning,
                    message=f"{got.warning} Rename `{got.placeholder}` to `{params.new_name}` anyway?",
                    actions=[types.MessageActionItem(title=RENAME_ANYWAY), types.MessageActionItem(title="Cancel")],
                ))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.info("rename: the client could not ask about %s", got.placeholder, exc_info=True)
                raise RequestFailed(f"{got.warning} Not renamed: the editor could not ask for confirmation.") from None
            if answer is None or answer.title != RENAME_ANYWAY:
                raise RequestFailed(f"Rename of `{got.placeholder}` cancelled (it would replace the resource).")

        def run() -> types.WorkspaceEdit | None:
            edits = mod.rename(ls.host.snapshot(), ls.host.resolver, path, pos, params.new_name)
            return _workspace_edit(ls, edits) if edits else None

        return await _guarded(ls, "rename", run, None)

    @server.feature(
        types.WORKSPACE_WILL_RENAME_FILES,
        types.FileOperationRegistrationOptions(filters=[
            types.FileOperationFilter(scheme="file", pattern=types.FileOperationPattern(
                glob="**/*", matches=types.FileOperationPatternKind.File)),
            types.FileOperationFilter(scheme="file", pattern=types.FileOperationPattern(
                glob="**/*", matches=types.FileOperationPatternKind.Folder)),
        ]),
    )
    async def on_will_rename_files(ls: SstLanguageServer, params: types.RenameFilesParams) -> types.WorkspaceEdit | None:
        mod = _ide("rename")
        if mod is None:
            return None
        moves = [(ls.path_of(f.old_uri), ls.path_of(f.new_uri)) for f in params.files]
        pairs = [(a, b) for a, b in moves if a is not None and b is not None]
        if not pairs:
            return None

        def run() -> types.WorkspaceEdit | None:
            edits = mod.file_renames(ls.host.snapshot(), ls.host.resolver, pairs)
            return _workspace_edit(ls, edits)

        return await _guarded(ls, "willRenameFiles", run, None)


def _overlaps(f: Finding, want: Any) -> bool:
    return not (f.range.end < want.start or want.end < f.range.start)


def _to_lsp_action(
    ls: SstLanguageServer,
    path: Path,
    a: Any,
    context_diags: Sequence[types.Diagnostic],
    can_create: bool,
    doc_changes: bool,
    versions: dict[Path, int | None],
) -> types.CodeAction | None:
    """A quick fix as a WorkspaceEdit: file creations need the client's
    `resourceOperations: create`; without it such a fix is skipped."""
    conv = ls.converter
    creates: list[Path] = list(a.creates)
    if creates and not can_create:
        return None
    edit: types.WorkspaceEdit
    # Resource operations only exist inside documentChanges: a client that lists `create`
    # takes documentChanges even when it does not say so (Neovim).
    if doc_changes or creates:
        changes: list[Any] = [
            types.CreateFile(uri=conv.uri_of(p), options=types.CreateFileOptions(ignore_if_exists=True)) for p in creates
        ]
        for p, edits in a.edits.items():
            new_file = p in creates
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=conv.uri_of(p), version=None if new_file else versions.get(p)
                    ),
                    # A created file is empty: its edits sit at (0, 0) and convert as such.
                    edits=[conv.text_edit(p, e) for e in edits],
                )
            )
        edit = types.WorkspaceEdit(document_changes=changes)
    else:
        edit = types.WorkspaceEdit(changes={conv.uri_of(p): [conv.text_edit(p, e) for e in edits] for p, edits in a.edits.items()})
    # Attach the client's diagnostics this action fixes (same code, and same range if given).
    diags = [
        d for d in context_diags
        if d.code in a.fixes_codes
        and (a.diagnostic_range is None or conv.text_range(path, d.range) == a.diagnostic_range)
    ]
    # LSP's CreateFile cannot create folders and Neovim's client does not (it opens a buffer
    # that cannot be saved): a command run after the edit creates them.
    make_dirs = list(getattr(a, "make_dirs", []) or [])
    command = (
        types.Command(title="Create folders", command=CREATE_FOLDERS, arguments=[conv.uri_of(d) for d in make_dirs])
        if make_dirs else None
    )
    return types.CodeAction(
        title=a.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=diags or None,
        is_preferred=a.is_preferred or None,
        edit=edit,
        command=command,
    )


def create_folders(ls: SstLanguageServer, uris: Sequence[object]) -> list[str]:
    """Creates the folders (and their parents) of `uris` that lie inside a workspace folder or an
    app root; returns the ones created. Anything else is refused (logged), never created."""
    roots = [*ls.settings.folders, *ls.host.roots, *(a.root for a in ls.host.app_roots())]
    made: list[str] = []
    for uri in uris:
        path = ls.path_of(uri) if isinstance(uri, str) else None
        if path is None or not any(path.is_relative_to(r) for r in roots):
            log.warning("%s: refusing to create %r (outside the workspace)", CREATE_FOLDERS, uri)
            continue
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            # As a watched folder change: the resolver's listings and the analyses' memo.
            ls.host.file_changed(path)
            made.append(str(uri))
    return made

