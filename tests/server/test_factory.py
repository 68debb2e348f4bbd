"""`create_server(...)`: every collaborator built by the factory and replaceable in tests;
the stage changes refresh code lenses; cancellations of answered requests are no warnings."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from sst_lsp.host.host import AnalysisHost, LoadedBaseline
from sst_lsp.model.types import AppSnapshot, Finding
from sst_lsp.server import commands, documents
from sst_lsp.server.config import SettingsStore
from sst_lsp.server.factory import create_server
from sst_lsp.server.server import SstLanguageServer
from tests.e2e.conftest import APPS


class FakeDiagnostics:
    def __init__(self, ls: SstLanguageServer) -> None:
        self.ls = ls
        self.calls: list[str] = []

    def schedule(self, path: Path | None = None, immediate: bool = False) -> None:
        self.calls.append("schedule")

    def settings_changed(self) -> None:
        self.calls.append("settings_changed")

    def stage_changed(self) -> None:
        self.calls.append("stage_changed")

    async def run_now(self) -> bool:
        return True

    async def publish_apps_first(self, roots: list[Path]) -> None:
        return None

    async def findings_for(self, path: Path) -> list[Finding]:
        return []

    def baseline(self, setting: str, snap: AppSnapshot) -> LoadedBaseline:
        return self.ls.host.analysis().baseline(setting, snap)

    def close(self) -> None:
        self.calls.append("close")


class FakeCommands:
    def __init__(self, ls: SstLanguageServer) -> None:
        self.closed = False

    def stage_reader(self) -> Any:
        def read(app: Any, stage: str) -> list[Any]:
            return []

        return read

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(APPS, dst)
    return dst


def test_default_collaborators() -> None:
    ls = create_server()
    assert isinstance(ls.host, AnalysisHost)
    assert isinstance(ls.diagnostics, documents.DiagnosticsEngine)
    assert isinstance(ls.commands, commands.CommandRunner)
    # `stage:` baselines read deployed stages the way the commands reach AWS.
    assert ls.host.stage_reader == ls.commands.stage_reader
    assert types.TEXT_DOCUMENT_HOVER in ls.protocol.fm.features
    assert types.TEXT_DOCUMENT_DID_OPEN in ls.protocol.fm.features
    ls.diagnostics.close()


def test_collaborators_are_replaced(ws: Path) -> None:
    host = AnalysisHost()
    settings = SettingsStore()
    ls = create_server(host=host, settings=settings, diagnostics=FakeDiagnostics, command_runner=FakeCommands,
                       handlers=())
    assert ls.host is host and ls.settings is settings
    assert isinstance(ls.diagnostics, FakeDiagnostics) and isinstance(ls.commands, FakeCommands)
    # Only the lifecycle is registered: no features, no text sync.
    assert types.TEXT_DOCUMENT_HOVER not in ls.protocol.fm.features
    assert types.INITIALIZE in ls.protocol.fm.features
    ls.set_folders([ws])
    assert host.roots == [ws] and host.cwd == ws
    assert sorted(a.root.name for a in ls.request_snapshot().apps) == ["legacy", "notes"]
    ls.apply_settings()
    assert ls.diagnostics.calls == ["settings_changed"]
    ls.close_collaborators()
    assert ls.diagnostics.calls[-1] == "close" and ls.commands.closed


def test_server_module_imports_no_feature_module() -> None:
    import ast

    path = Path(__file__).resolve().parents[2] / "sst_lsp" / "server" / "server.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    assert not names & {"sst_lsp.server.documents", "sst_lsp.server.features", "sst_lsp.server.commands",
                        "sst_lsp.server.factory"}


def test_a_stage_change_refreshes_code_lenses(ws: Path) -> None:
    ls = create_server(diagnostics=FakeDiagnostics, command_runner=FakeCommands, handlers=())
    ls.set_folders([ws])
    refreshes: list[Any] = []
    supported = {"workspace.code_lens.refresh_support": True}
    ls.client_supports = lambda field, default=False: supported.get(field, default)  # type: ignore[method-assign]
    ls.workspace_code_lens_refresh = refreshes.append  # type: ignore[method-assign,assignment]
    notes = ws / "notes"
    assert ls.stage_for(notes) == "dev"
    assert refreshes == []  # The first reading is no change.
    (notes / ".sst").mkdir()
    (notes / ".sst" / "stage").write_text("alice\n", encoding="utf-8")
    ls.host.file_changed(notes / ".sst" / "stage")
    ls.check_stages()
    assert ls.stage_for(notes) == "alice"
    assert refreshes == [None]
    ls.check_stages()  # No change: no refresh.
    assert refreshes == [None]
    # A client without the capability is not asked.
    supported.clear()
    (notes / ".sst" / "stage").write_text("bob\n", encoding="utf-8")
    ls.host.file_changed(notes / ".sst" / "stage")
    ls.check_stages()
    assert refreshes == [None]


def test_cancel_of_an_answered_request_is_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    ls = create_server(diagnostics=FakeDiagnostics, command_runner=FakeCommands, handlers=())
    with caplog.at_level(logging.DEBUG):
        ls.protocol._handle_cancel_notification(4242)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("4242" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)
