"""In-process tests of the server's own logic, where a subprocess cannot reach: the diagnostics
engine dropping stale results and publishing only changes, per-stage analysis groups, the
feature guard, error reporting, and the coordinate conversions of convert.py."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import FeatureNotificationError

from sst_lsp.host import host as analysis_host
from sst_lsp.server.convert import (
    Converter,
    UriMap,
    from_lsp_position,
    path_to_uri,
    to_lsp_position,
    uri_to_path,
)
from sst_lsp.server.factory import create_server
from sst_lsp.server.features import _guarded
from sst_lsp.server.server import SstLanguageServer
from sst_lsp.syntax.text import LineIndex, Pos, TextRange
from tests.e2e.conftest import APPS


@pytest.fixture
def server(tmp_path: Path) -> tuple[SstLanguageServer, Path, list[types.PublishDiagnosticsParams]]:
    ws = tmp_path / "ws"
    shutil.copytree(APPS, ws)
    ls = create_server()
    ls.set_folders([ws])
    ls.settings_loaded.set()
    published: list[types.PublishDiagnosticsParams] = []
    ls.text_document_publish_diagnostics = published.append  # type: ignore[method-assign]
    return ls, ws, published


async def test_stale_result_is_dropped_and_unchanged_files_are_not_republished(server: Any) -> None:
    ls, ws, published = server
    engine = ls.diagnostics
    compute = engine._compute
    handler = ws / "notes" / "packages" / "functions" / "src" / "get.ts"

    def compute_then_edit(rev: int, gen: int, index: Any = None) -> Any:
        result = compute(rev, gen, index)
        ls.index.file_changed(handler)  # A change lands while the analysis ran.
        return result

    engine._compute = compute_then_edit
    assert await engine.run_now() is False
    assert published == []
    engine._compute = compute
    assert await engine.run_now() is True
    uris = sorted(p.uri for p in published)
    assert uris == sorted([
        (ws / "legacy" / "stacks" / "Jobs.ts").as_uri(),
        (ws / "notes" / "stacks" / "Api.ts").as_uri(),
        (ws / "notes" / "stacks" / "Emoji.ts").as_uri(),
    ])
    published.clear()
    assert await engine.run_now() is True
    assert published == []  # Nothing changed: nothing is sent.
    # A fix clears exactly the fixed file, with [].
    (ws / "notes" / "packages" / "functions" / "src" / "party.ts").write_text("export const main = 1;\n", encoding="utf-8")
    ls.index.file_changed(ws / "notes" / "packages" / "functions" / "src" / "party.ts")
    assert await engine.run_now() is True
    assert [(p.uri, list(p.diagnostics)) for p in published] == [((ws / "notes" / "stacks" / "Emoji.ts").as_uri(), [])]


async def test_settings_change_during_analysis_drops_the_result(server: Any) -> None:
    ls, _, published = server
    engine = ls.diagnostics
    compute = engine._compute

    def compute_then_settings(rev: int, gen: int, index: Any = None) -> Any:
        result = compute(rev, gen, index)
        engine._generation += 1  # What settings_changed() does.
        return result

    engine._compute = compute_then_settings
    assert await engine.run_now() is False
    assert published == []


async def test_apps_are_analysed_per_stage(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ls, ws, _ = server
    (ws / "notes" / ".sst").mkdir()
    (ws / "notes" / ".sst" / "stage").write_text("alice\n", encoding="utf-8")
    seen: list[tuple[str, list[str]]] = []

    def fake_run_all(ctx: Any) -> list[Any]:
        seen.append((ctx.stage, sorted(a.root.name for a in ctx.snapshot.apps)))
        return []

    monkeypatch.setattr(analysis_host, "run_all", fake_run_all)
    await ls.diagnostics.run_now()
    assert sorted(seen) == [("alice", ["notes"]), ("dev", ["legacy"])]


async def test_guard_turns_a_bug_into_no_answer(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    ls, _, _ = server

    def boom() -> int:
        raise RuntimeError("bug in ide")

    with caplog.at_level(logging.ERROR):
        assert await _guarded(ls, "hover", boom, None) is None
    assert "hover failed" in caplog.text and "bug in ide" in caplog.text

    async def cancelled() -> None:
        task = asyncio.ensure_future(_guarded(ls, "hover", lambda: __import__("time").sleep(0.2), None))
        await asyncio.sleep(0)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        await cancelled()


def test_server_errors_are_logged_not_shown(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    ls, _, _ = server
    shown: list[Any] = []
    ls.window_show_message = shown.append  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        ls.report_server_error(RuntimeError("notification handler crashed"), FeatureNotificationError)
    assert shown == []
    assert "notification handler crashed" in caplog.text


# ----------------------------------------------------------------------------------------------
# convert.py
# ----------------------------------------------------------------------------------------------

LINE = 'new Function(stack, "Fn", { description: "😋é", handler: "src/a.main" });'


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-16", LINE.index("src") + 1), ("utf-8", LINE.index("src") + 4), ("utf-32", LINE.index("src"))],
)
def test_positions_after_astral_and_accented_characters(encoding: str, expected: int) -> None:
    li = LineIndex("// header\n" + LINE + "\n")
    pos = Pos(1, LINE.index("src"))
    lsp = to_lsp_position(li, pos, encoding)
    assert lsp == types.Position(line=1, character=expected)
    assert from_lsp_position(li, lsp, encoding) == pos
    # Columns before the emoji are the same in every encoding.
    assert to_lsp_position(li, Pos(1, 4), encoding).character == 4


def test_converter_diagnostic_and_arguments(tmp_path: Path) -> None:
    from sst_lsp.model.types import Finding, Related

    a = tmp_path / "a.ts"
    b = tmp_path / "b.ts"
    texts = {a: "x\n" + LINE + "\n", b: "😋😋 target\n"}
    conv = Converter(texts.get, path_to_uri, "utf-16")
    col = LINE.index("src")
    f = Finding(
        path=a, range=TextRange(Pos(1, col), Pos(1, col + 10)), severity="error", code="handler-not-found",
        message="m", related=(Related(b, TextRange(Pos(0, 3), Pos(0, 9)), "here"),), data={"k": 1},
    )
    d = conv.diagnostic(f, "warning")
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.range.start.character == col + 1
    assert d.related_information is not None
    (rel,) = d.related_information
    assert rel.location.uri == b.as_uri() and rel.location.range.start.character == 5
    assert d.data == {"k": 1} and d.code == "handler-not-found" and d.source == "sst-lsp"
    args = conv.json_argument(a, [{"path": str(b), "range": {"start": {"line": 0, "col": 3}, "end": {"line": 0, "col": 9}}},
                                  {"line": 1, "col": col}, "plain"])
    assert args == [
        {"uri": b.as_uri(), "range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 11}}},
        {"line": 1, "character": col + 1},
        "plain",
    ]


def test_uris_keep_the_client_spelling(tmp_path: Path) -> None:
    p = tmp_path / "with space" / "a-b.ts"
    # A client may percent-encode what needs no encoding: replies must use its spelling.
    odd = p.as_uri().replace("a-b.ts", "a%2Db.ts")
    assert odd != path_to_uri(p)
    m = UriMap()
    assert m.remember(odd) == p
    assert m.uri(p) == odd
    assert uri_to_path("untitled:Untitled-1") is None
    assert uri_to_path(path_to_uri(p)) == p


async def test_apps_of_open_files_are_published_first(server: Any) -> None:
    ls, ws, published = server
    await ls.diagnostics.publish_apps_first([ws / "notes"])
    # Only the open app's files: the other app waits for the full run.
    assert sorted(p.uri for p in published) == sorted(
        [(ws / "notes" / "stacks" / "Api.ts").as_uri(), (ws / "notes" / "stacks" / "Emoji.ts").as_uri()]
    )
    published.clear()
    assert await ls.diagnostics.run_now() is True
    assert [p.uri for p in published] == [(ws / "legacy" / "stacks" / "Jobs.ts").as_uri()]
