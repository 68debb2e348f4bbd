"""Server lifecycle end to end: indexing progress, settings messages, cancellation, shutdown and
exit, TCP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient as PlainClient
from pytest_lsp import LanguageClient, client_capabilities

from tests.e2e.conftest import SERVER, TIMEOUT, open_doc, server_env, start, wait_codes, wait_until


async def test_indexing_reports_work_done_progress(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    await wait_codes(client, api, ["handler-not-found"])

    def ended() -> bool:
        return any(r and r[-1].kind == "end" for t, r in client.progress_reports.items() if str(t).startswith("sst-index-"))

    await wait_until(client, ended, "indexing progress end", method=types.PROGRESS)
    ((_token, reports),) = [(t, r) for t, r in client.progress_reports.items() if str(t).startswith("sst-index-")]
    assert reports[0].kind == "begin" and reports[0].title == "SST: indexing"
    messages = [r.message for r in reports if r.kind == "report"]
    assert any("notes" in (m or "") for m in messages) and any("legacy" in (m or "") for m in messages)


async def test_bad_settings_give_one_message_and_defaults(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(
        client,
        [workspace],
        initialization_options={"sst": {"diagnostics": {"debounceMs": "soon", "severity": {"handler-not-found": "loud"}}}},
    )
    open_doc(client, api)
    (d,) = await wait_codes(client, api, ["handler-not-found"])
    assert d.severity == types.DiagnosticSeverity.Error  # The bad override fell back to the default.
    await wait_until(client, lambda: bool(client.messages), "the settings message", method=types.WINDOW_SHOW_MESSAGE)
    (msg,) = client.messages
    assert msg.type == types.MessageType.Warning
    assert "sst.diagnostics.debounceMs" in msg.message and "sst.diagnostics.severity.handler-not-found" in msg.message


async def test_shutdown_and_exit_are_clean(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace])
    open_doc(client, api)
    await wait_codes(client, api, ["handler-not-found"])
    await client.shutdown_session()
    server = client._server
    assert server is not None and server.returncode == 0
    client.capabilities = None  # The fixture's own shutdown has nothing left to do.


def test_tcp_bad_address_is_a_clear_error() -> None:
    proc = subprocess.run(
        [*SERVER, "--tcp", "localhost:notaport"], capture_output=True, text=True, env=server_env(), timeout=60, check=False
    )
    assert proc.returncode == 2
    assert "HOST:PORT" in proc.stderr and "Traceback" not in proc.stderr


async def test_tcp_serves_lsp(workspace: Path) -> None:
    import socket

    # The client must know the port: take a free one from the OS.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sst_lsp", "-v", "serve", "--tcp", f"127.0.0.1:{port}", env=server_env(),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        stderr = proc.stderr

        async def listening() -> None:
            # pygls logs "Serving on ..." once the socket is bound: wait for that line.
            while True:
                line = await stderr.readline()
                if not line:
                    raise AssertionError("the server exited before listening")
                if b"Serving on" in line:
                    return

        await asyncio.wait_for(listening(), TIMEOUT)
        drain = asyncio.ensure_future(_drain(stderr))
        client = PlainClient("tcp-test", "0")
        await client.start_tcp("127.0.0.1", port)
        result = await client.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            )
        )
        assert result.server_info is not None and result.server_info.name == "sst-lsp"
        assert result.capabilities.definition_provider
        await client.shutdown_async(None)
        client.exit(None)
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
        await client.stop()
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _drain(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.readline():
        pass


def test_serve_help_mentions_tcp() -> None:
    proc = subprocess.run([sys.executable, "-m", "sst_lsp", "serve", "--help"], capture_output=True, text=True,
                          env=server_env(), timeout=60, check=False, cwd=os.getcwd())
    assert proc.returncode == 0 and "--tcp" in proc.stdout
