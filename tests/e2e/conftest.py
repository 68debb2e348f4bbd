"""End-to-end fixtures: the real server process (`python -m sst_lsp serve`) driven by pytest-lsp,
once as VS Code and once as Neovim (their captured client capabilities).

Each test gets a fresh copy of the fixture apps (tests/e2e/apps/) in tmp_path, so it can
change files on disk. Waiting is always on a notification, never a sleep.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"
SERVER = [sys.executable, "-m", "sst_lsp", "serve"]
#: Seconds a test waits for a notification before failing (generous for slow CI machines).
TIMEOUT = 30.0


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # The cloud commands only ever reach the moto server on 127.0.0.1 (set per test through
    # sst.aws.endpointUrl): fake credentials, and no profile or config from this machine.
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(key, None)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


CLIENTS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=server_env()),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest) -> Any:
    """A client connected to a fresh server, not yet initialized (see `start`)."""
    lsp_client.kind = request.param  # type: ignore[attr-defined]
    lsp_client.registrations = []  # type: ignore[attr-defined]
    lsp_client.message_requests = []  # type: ignore[attr-defined]
    lsp_client.message_answer = None  # type: ignore[attr-defined]
    #: One item per workspace/codeLens/refresh the server sent (VS Code's capabilities ask for them).
    lsp_client.code_lens_refreshes = asyncio.Queue()  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_code_lens_refresh(params: None) -> None:
        lsp_client.code_lens_refreshes.put_nowait(None)  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @lsp_client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        lsp_client.message_requests.append(params)  # type: ignore[attr-defined]
        # `message_answer`: None (dismiss), a title, or "first" (the first action offered).
        answer = lsp_client.message_answer  # type: ignore[attr-defined]
        if answer == "first":
            answer = params.actions[0].title if params.actions else None
        return types.MessageActionItem(title=answer) if answer else None

    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the fixture apps: <tmp>/ws/notes (SST v2) and <tmp>/ws/legacy (SST v1)."""
    ws = tmp_path / "ws"
    shutil.copytree(APPS, ws)
    return ws


async def start(
    client: LanguageClient,
    folders: Sequence[Path],
    initialization_options: Any = None,
    configuration: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> types.InitializeResult:
    """Initializes the session with the client's capabilities (or `capabilities`) and these
    workspace folders."""
    if configuration is not None:
        client.set_configuration(configuration, section="sst")
    caps = capabilities or client_capabilities(client.kind)  # type: ignore[attr-defined]
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            root_uri=folders[0].as_uri() if folders else None,
            initialization_options=initialization_options,
        )
    )
    client.encoding = str(result.capabilities.position_encoding or "utf-16")  # type: ignore[attr-defined]
    return result


async def wait_until(client: LanguageClient, check: Callable[[], bool], what: str, method: str = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS) -> None:
    """Waits for notifications of `method` until `check()` holds."""

    async def loop() -> None:
        while not check():
            await client.wait_for_notification(method)

    try:
        await asyncio.wait_for(loop(), TIMEOUT)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


def diags(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return list(client.diagnostics.get(path.as_uri(), ()))


def codes(client: LanguageClient, path: Path) -> list[str]:
    return sorted(str(d.code) for d in diags(client, path))


async def wait_codes(client: LanguageClient, path: Path, expected: list[str]) -> list[types.Diagnostic]:
    """Waits until `path`'s published diagnostics have exactly these codes (sorted)."""
    await wait_until(client, lambda: codes(client, path) == sorted(expected), f"{path.name} codes {expected}")
    return diags(client, path)


def lsp_col(line: str, col: int, encoding: str) -> int:
    """The client column of code-point column `col` in `line`."""
    prefix = line[:col]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    if encoding == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def find(path: Path, needle: str, offset: int = 0, occurrence: int = 0) -> tuple[int, int]:
    """(line, code-point column) of `needle` (+ offset) in a file."""
    text = path.read_text(encoding="utf-8")
    idx = -1
    for _ in range(occurrence + 1):
        idx = text.index(needle, idx + 1)
    idx += offset
    line = text.count("\n", 0, idx)
    col = idx - (text.rfind("\n", 0, idx) + 1)
    return line, col


def position(client: LanguageClient, path: Path, needle: str, offset: int = 0) -> types.Position:
    """The client position of `needle` (+ offset) in a file, in the negotiated encoding."""
    line, col = find(path, needle, offset)
    text = path.read_text(encoding="utf-8").split("\n")[line]
    return types.Position(line=line, character=lsp_col(text, col, client.encoding))  # type: ignore[attr-defined]


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> None:
    lang = {".ts": "typescript", ".tsx": "typescriptreact", ".js": "javascript", ".py": "python"}.get(path.suffix, "plaintext")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id=lang, version=version,
                text=text if text is not None else path.read_text(encoding="utf-8"),
            )
        )
    )


def replace_in_doc(
    client: LanguageClient, path: Path, current: str, old: str, new: str, version: int
) -> str:
    """Sends an incremental change replacing the first `old` in `current`; returns the new text."""
    idx = current.index(old)
    enc = client.encoding  # type: ignore[attr-defined]

    def pos(offset: int) -> types.Position:
        # `old` may span lines: the end is a position of its own line (LSP clamps a column
        # past the line's end to the end, so it must not run on into the next line).
        line = current.count("\n", 0, offset)
        start = current.rfind("\n", 0, offset) + 1
        col = offset - start
        return types.Position(line=line, character=lsp_col(current.split("\n")[line], col, enc))

    start, end = pos(idx), pos(idx + len(old))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new)],
        )
    )
    return current[:idx] + new + current[idx + len(old):]
