"""Building the language server (layer 4: server): the one module that knows every part.

`create_server(...)` builds each collaborator (the analysis host, the settings store, the
diagnostics engine, the command runner), passes them to `SstLanguageServer`, and registers the
handlers of `server.py` (lifecycle), `documents`, `features` and `commands`. Imports run one
way: those modules import `server.py`'s types, `server.py` imports none of them, and this
module imports them all. Tests build a server with collaborators replaced, or with some
handler groups left out (cfn-lsp-extra's `server(cfn_ctx, sam_ctx)`, esbonio's
`create_language_server(cls, modules)`). `run_server(tcp)` is what `sst-lsp serve` calls.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable

from sst_lsp.host.host import AnalysisHost
from sst_lsp.server import commands, documents, features
from sst_lsp.server.config import SettingsStore
from sst_lsp.server.convert import UriMap
from sst_lsp.server.server import (
    SWITCH_INTERVAL,
    Commands,
    Diagnostics,
    SstLanguageServer,
    _LspLogHandler,
    register_lifecycle,
    set_gc_thresholds,
)

#: The handler groups a server registers by default (lifecycle always).
HANDLERS: tuple[Callable[[SstLanguageServer], None], ...] = (
    documents.register,
    features.register,
    commands.register,
)


def create_server(
    *,
    host: AnalysisHost | None = None,
    settings: SettingsStore | None = None,
    uris: UriMap | None = None,
    diagnostics: Callable[[SstLanguageServer], Diagnostics] | None = None,
    command_runner: Callable[[SstLanguageServer], Commands] | None = None,
    handlers: Iterable[Callable[[SstLanguageServer], None]] = HANDLERS,
) -> SstLanguageServer:
    """A new server (no module-level singleton: tests make as many as they like).

    Every argument replaces a collaborator: `host` (texts, revisions, caches), `settings`,
    `uris` (the clients' URI spellings), `diagnostics` and `command_runner` (factories given the
    server: they call back into it), and `handlers`, the groups registered besides the
    lifecycle."""
    server = SstLanguageServer(
        host=host if host is not None else AnalysisHost(),
        settings=settings if settings is not None else SettingsStore(),
        diagnostics=diagnostics if diagnostics is not None else documents.DiagnosticsEngine,
        commands=command_runner if command_runner is not None else commands.CommandRunner,
        uris=uris,
    )
    register_lifecycle(server)
    for register in handlers:
        register(server)
    return server


def run_server(tcp: str | None = None) -> int:
    """Serves LSP on stdio (default) or on `HOST:PORT`. Returns the exit code."""
    host = port = None
    if tcp:
        host, _, port_s = tcp.rpartition(":")
        try:
            port = int(port_s)
            if not (0 < port < 65536):
                raise ValueError
        except ValueError:
            print(f"sst-lsp: error: --tcp wants HOST:PORT, got {tcp!r}", file=sys.stderr)
            return 2
        host = host or "127.0.0.1"
    server = create_server()
    # The analysis thread holds the GIL for up to the switch interval at a time; a request's
    # thread waits for it in turn (a hover would wait 5 ms per hand-over by default).
    sys.setswitchinterval(SWITCH_INTERVAL)
    set_gc_thresholds()
    handler = _LspLogHandler(server)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    pkg_log = logging.getLogger("sst_lsp")
    pkg_log.addHandler(handler)
    propagate = pkg_log.propagate
    if pkg_log.getEffectiveLevel() > logging.DEBUG:
        # Without --verbose the client's output channel is the log: stderr would repeat it.
        pkg_log.setLevel(logging.INFO)
        pkg_log.propagate = False
    try:
        if host is not None and port is not None:
            server.start_tcp(host, port)
        else:
            server.start_io()
    finally:
        pkg_log.removeHandler(handler)
        pkg_log.propagate = propagate
    return 0 if getattr(server.protocol, "_shutdown", False) else 1
