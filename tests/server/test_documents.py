"""didChange applies edits with LSP's line rules: "\r\n", "\n" and a lone "\r" end lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from sst_lsp.server.documents import apply_changes, change_offset
from sst_lsp.server.factory import create_server
from sst_lsp.syntax.text import LineIndex
from tests.server.test_factory import FakeDiagnostics


def _edit(line: int, start: int, end: int, text: str) -> types.TextDocumentContentChangePartial:
    rng = types.Range(start=types.Position(line=line, character=start), end=types.Position(line=line, character=end))
    return types.TextDocumentContentChangePartial(range=rng, text=text)


@pytest.mark.parametrize("eol", ["\r", "\n", "\r\n"])
def test_change_offset_counts_every_line_ending(eol: str) -> None:
    text = eol.join(["one", "two", "three"])
    assert change_offset(text, types.Position(line=1, character=0), "utf-16") == text.index("two")
    assert change_offset(text, types.Position(line=2, character=2), "utf-16") == text.index("three") + 2
    # A column past the end of a line stops at its line ending.
    assert change_offset(text, types.Position(line=0, character=99), "utf-16") == 3
    assert change_offset(text, types.Position(line=9, character=0), "utf-16") == len(text)


def test_mixed_line_endings() -> None:
    text = "a\rb\r\nc\nd"
    assert [change_offset(text, types.Position(line=n, character=0), "utf-8") for n in range(4)] == [0, 2, 5, 7]


def test_did_change_on_a_lone_cr_document(tmp_path: Path) -> None:
    path = tmp_path / "stacks" / "Api.ts"
    path.parent.mkdir()
    text = 'const a = "x";\rconst b = "y";\rconst c = "z";\r'
    path.write_text(text, newline="")
    ls = create_server(diagnostics=FakeDiagnostics)
    ls.set_folders([tmp_path])
    uri = path.as_uri()
    fm = ls.protocol.fm
    fm.features[types.TEXT_DOCUMENT_DID_OPEN](
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="typescript",
                                                                             version=1, text=text)))
    fm.features[types.TEXT_DOCUMENT_DID_CHANGE](
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[_edit(1, 11, 12, "Y")]))
    assert ls.host.open_text(path) == 'const a = "x";\rconst b = "Y";\rconst c = "z";\r'
    assert apply_changes(text, [_edit(2, 0, 5, "let")], "utf-16") == 'const a = "x";\rconst b = "y";\rlet c = "z";\r'


async def test_outline_is_plain_json_and_kept_for_its_snapshot(tmp_path: Path) -> None:
    import shutil

    from sst_lsp.server.server import RawResult
    from tests.e2e.conftest import APPS

    ws = tmp_path / "ws"
    shutil.copytree(APPS, ws)
    ls = create_server(diagnostics=FakeDiagnostics)
    ls.set_folders([ws])
    ls.settings_loaded.set()
    stack = next(p for p in sorted(ws.rglob("stacks/*.ts")) if "new " in p.read_text(encoding="utf-8"))
    uri = stack.as_uri()
    fm = ls.protocol.fm
    fm.features[types.TEXT_DOCUMENT_DID_OPEN](
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="typescript", version=1, text=stack.read_text(encoding="utf-8"))))
    ls.client_supports = lambda field, default=False: True  # type: ignore[method-assign]
    ask = fm.features[types.TEXT_DOCUMENT_DOCUMENT_SYMBOL]
    params = types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    first = await ask(params)
    assert isinstance(first, RawResult) and first
    # The JSON is what lsprotocol's own conversion of the outline sends.
    from sst_lsp.ide import symbols

    conv = ls.converter
    want = [conv.document_symbol(s) for s in symbols.document_symbols(ls.request_snapshot(), stack)]
    assert first.value() == ls.protocol._converter.unstructure(want)
    assert await ask(params) is first
    # Links too: the JSON of lsprotocol's links, kept for the snapshot.
    link = fm.features[types.TEXT_DOCUMENT_DOCUMENT_LINK]
    link_params = types.DocumentLinkParams(text_document=types.TextDocumentIdentifier(uri=uri))
    links = await link(link_params)
    assert isinstance(links, RawResult)
    got = symbols.document_links(ls.request_snapshot(), ls.host.resolver, stack)
    assert got and links.value() == ls.protocol._converter.unstructure(conv.document_links(stack, got, True))
    assert await link(link_params) is links
    fm.features[types.TEXT_DOCUMENT_DID_CHANGE](types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="// empty\n")]))
    assert await ask(params) is None


def test_line_marks_kept_across_edits_match_a_walk_from_the_start() -> None:
    """Thousands of seeded edits (line breaks of every kind inserted, joined and split) on a
    text long enough for many marks: each edit lands where a walk from the first line puts
    it, so the text kept with its marks equals the text edited from scratch."""
    import random

    from sst_lsp.server.documents import MARK_EVERY, LineMarks, apply_marked

    rnd = random.Random(13)
    eols = ["\n", "\r\n", "\r"]
    text = "".join(f"line {i} é𝄞{rnd.choice(eols)}" for i in range(MARK_EVERY * 6))
    plain = text
    marks: LineMarks | None = None
    lines = MARK_EVERY * 6
    for _ in range(600):
        a = types.Position(line=rnd.randrange(lines + 2), character=rnd.randrange(12))
        b = types.Position(line=min(a.line + rnd.choice([0, 0, 1, 3, 40]), lines + 2), character=rnd.randrange(12))
        new = rnd.choice(["", "x", "\n", "\r", "\r\n", "a\nb\rc", "\n" * 100, "é𝄞"])
        change = types.TextDocumentContentChangePartial(range=types.Range(start=a, end=b), text=new)
        enc = rnd.choice(["utf-16", "utf-8", "utf-32"])
        marks = apply_marked(text, [change], enc, marks)
        text = marks.text
        plain = apply_changes(plain, [change], enc)
        assert text == plain
        lines = len(LineIndex(text).lines)
        probe = types.Position(line=rnd.randrange(lines + 1), character=rnd.randrange(10))
        assert marks.offset(probe, enc) == change_offset(text, probe, enc)
    assert len(marks.marks) > 3  # The walks left marks behind, and the edits kept them.


def test_outline_and_link_json_text_equals_lsprotocol_conversion() -> None:
    """The JSON text written for outlines and links is what lsprotocol's objects unstructure
    to, for ASCII and non-ASCII texts (UTF-16 and UTF-8 columns), escaped names, a range past
    its line (clamped) and a missing tooltip."""
    import json

    from lsprotocol.converters import get_converter

    from sst_lsp.ide.types import Link, Symbol
    from sst_lsp.server.convert import Converter
    from sst_lsp.syntax.text import Pos, TextRange

    unstructure = get_converter().unstructure
    path, target = Path("/ws/stacks/Api.ts"), Path("/ws/src/h.ts")
    for text in ('new Api(stack, "Api", { routes: { "GET /": "src/h.main" } });\n',
                 'const é = "𝄞"; new Api(stack, "Äpi", {\n  routes: { "GET /ü": "src/h.main" } });\n'):
        for enc in ("utf-16", "utf-8", "utf-32"):
            conv = Converter({path: text, target: "export const main = 1;\n"}.get, encoding=enc)
            route = Symbol('GET /"ü\\', "route", "src/h.main", path, TextRange(Pos(1, 12), Pos(1, 35)),
                           TextRange(Pos(1, 12), Pos(1, 19)))
            top = Symbol("Äpi", "construct", None, path, TextRange(Pos(0, 16), Pos(1, 99)),
                         TextRange(Pos(0, 16), Pos(0, 21)), [route])
            got = json.loads(conv.document_symbols_json([top, route]))
            assert got == unstructure([conv.document_symbol(top), conv.document_symbol(route)])
            links = [Link(TextRange(Pos(1, 22), Pos(1, 34)), target, TextRange(Pos(0, 13), Pos(0, 17)), "src/h.ts (main)"),
                     Link(TextRange(Pos(0, 2), Pos(0, 5)), target, None, None)]
            for tooltip in (True, False):
                want = unstructure(conv.document_links(path, links, tooltip))
                assert json.loads(conv.document_links_json(path, links, tooltip)) == want


def test_notifications_leave_no_future_behind(tmp_path: Path) -> None:
    """pygls keeps the future of each notification its generator handlers run (didOpen,
    didChange, ...) under a fresh id: the server takes them out, so 300 keystrokes keep no
    future, and the edits still land."""
    path = tmp_path / "stacks" / "Api.ts"
    path.parent.mkdir()
    path.write_text('const a = "x";\n', encoding="utf-8")
    ls = create_server(diagnostics=FakeDiagnostics)
    ls.set_folders([tmp_path])
    proto = ls.protocol
    proto._handle_request(1, types.INITIALIZE, types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri()))
    uri = path.as_uri()
    proto._handle_notification(types.TEXT_DOCUMENT_DID_OPEN, types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="typescript", version=1, text='const a = "x";\n')))
    for v in range(2, 302):
        proto._handle_notification(types.TEXT_DOCUMENT_DID_CHANGE, types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=v),
            content_changes=[_edit(0, 11, 11, "y")]))
    assert ls.host.open_text(path) == 'const a = "' + "y" * 300 + 'x";\n'
    assert ls.host.versions()[path] == 301
    assert not proto._request_futures


def test_an_edit_with_kept_marks_walks_only_from_the_nearest_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server keeps each open document's line marks across didChanges: after the first
    edit deep in a long text, later edits near it walk at most about `MARK_EVERY` lines, not
    every line from the start of the text (counted as the line ends looked up)."""
    from sst_lsp.server import documents

    text = "".join(f'      "GET /r{i}": "src/h.main",\n' for i in range(20_000))
    walked = 0
    real = documents._line_end

    def counting(t: str, i: int) -> int:
        nonlocal walked
        walked += 1
        return real(t, i)

    monkeypatch.setattr(documents, "_line_end", counting)

    def edit(line: int) -> types.TextDocumentContentChangePartial:
        at = types.Position(line=line, character=30)
        return types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="x")

    marks = documents.apply_marked(text, [edit(19_000)], "utf-16")
    assert walked > 19_000  # The first one walks from the start (no marks yet).
    for k in range(50):
        walked = 0
        marks = documents.apply_marked(marks.text, [edit(19_000 - 37 * k)], "utf-16", marks)
        assert walked <= 2 * documents.MARK_EVERY + 4
    assert marks.text.count("x") == 51
