"""The embedded local AWS endpoint for ``--local`` (cloud layer): a moto server subprocess.

``LocalEndpoint`` runs ``python -m moto.server -H 127.0.0.1 -p PORT`` (argv list, no shell, its
own process group) on a free loopback port, waits until it answers HTTP (a bounded poll), and
stops it on exit unless ``keep=True``. Deploying there needs no credentials (moto accepts any;
real ones are never sent to it) and the CDK bootstrap is seeded without asking.

What the local endpoint does NOT emulate (moto 5.2 server mode, measured). sst-lsp adapts the
templates it sends there (``local_compat``; only for ``--local``, never for AWS or a user's
``--endpoint-url``, and the assembly on disk is untouched):

* CloudFormation creates only the types moto models (``local_compat.MOTO_CLOUDFORMATION_TYPES``):
  ``AWS::ApiGatewayV2::*``, Cognito, CloudFront, ... are skipped (ListStackResources shows
  placeholder rows, which sst-lsp drops). References to them become placeholders
  (``sst-lsp-placeholder-<LogicalId>-<Attribute>``), so an API's URL output is one. Custom
  resources are dropped (their Lambda would have to run).
* ``AWS::SSM::Parameter`` with a ``Tags`` map answers HTTP 500: sst-lsp sends the list form.
* Stacks have no Outputs and no exports after ExecuteChangeSet: sst-lsp computes them from the
  template and the physical ids, and substitutes ``Fn::ImportValue`` in the stacks after.
* Change sets report Add/Modify/Remove but leave ``Replacement``, ``Scope`` and ``Details``
  empty: replacements are known only from sst-lsp's own template diff (create-only properties).
  Every S3 bucket shows a spurious Modify, and unchanged resources that moto rewrote may too.
* Executing a Modify on a DynamoDB table corrupts moto's state; avoid updating a table there.
* ``DeletionPolicy: Retain`` is ignored when an update removes a resource (moto deletes it),
  although sst-lsp still reports it as retained, as real CloudFormation would.
* Stack events are stack-level only (no per-resource events), and a failing resource makes
  ExecuteChangeSet itself answer the error instead of a rollback.
* Template rules (``CheckBootstrapVersion``) and ``AWS::CDK::Metadata`` are ignored; IAM is not
  enforced; Lambda functions are created but not run.
* State lives in the server process: it is gone when the endpoint stops.

One endpoint across deploys: ``sst-lsp local start`` keeps a moto server for a stage
(``KeptEndpoint``; its URL and pid in ``<app>/.sst-lsp/local/<stage>.json``) until ``local
stop``; ``--local`` and the editor's ``sst.aws.endpointUrl: "local"`` use it when it runs. An
``--endpoint-url`` that answers ``/moto-api/`` (``is_moto_endpoint``) is treated like the
embedded endpoint: the same template adaptations, no real credentials sent.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sst_lsp.cloud.aws import CloudError, Connection

HOST = "127.0.0.1"

#: What a user must know about the local endpoint (the CLI prints it after a local run).
LOCAL_LIMITS: tuple[str, ...] = (
    (
        "API Gateway v2, Cognito, CloudFront and other types moto lacks are not created: "
        "references to them (the API's URL) are placeholders"
    ),
    "Lambda functions are stored, not run; IAM policies are not enforced",
    "outputs and cross-stack exports are computed by sst-lsp from the deployed resources",
    "change sets leave Replacement empty: sst-lsp's own template diff gates data loss",
    "state lives in the endpoint process and is gone when it stops (--keep leaves it running)",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_ready(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers HTTP; raises ``CloudError`` on timeout or process exit."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise CloudError(f"The local endpoint exited at startup (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=1.0) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            raise CloudError(f"The local endpoint did not answer within {timeout:.0f} s ({url})")
        time.sleep(0.05)


class LocalEndpoint:
    """A moto server subprocess on 127.0.0.1 (a context manager).

    >>> with LocalEndpoint() as local:                             # doctest: +SKIP
    ...     deploy_assembly(cdk_out, "dev", "app", DeployOptions(connection=local.connection()), r)
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        keep: bool = False,
        startup_timeout: float = 60.0,
        log_file: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.keep = keep
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        #: Where a kept endpoint logs (kept after stop); None: a temporary file.
        self.log_file = log_file

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)]

    def start(self) -> Self:
        if self.process is not None:
            return self
        # The child writes to the file after this function returns: no context manager here.
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            log: Any = self.log_file.open("wb")
            self.log_path = self.log_file
        else:
            log = tempfile.NamedTemporaryFile(prefix="sst-lsp-moto-", suffix=".log", delete=False)  # noqa: SIM115
            self.log_path = Path(log.name)
        try:
            # Its own session: Ctrl-C in the terminal reaches sst-lsp only, which cancels the
            # deploy at a safe point (the CLI's handler) while the endpoint keeps answering; the
            # endpoint is then stopped by __exit__, or by atexit on any normal exit (a SIGKILL
            # or SIGTERM of sst-lsp alone would leave it running).
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            if not self.keep:
                atexit.register(self.stop)
        except OSError as exc:
            raise CloudError(f"Cannot start the local endpoint: {exc}") from None
        finally:
            log.close()
        try:
            wait_until_ready(f"{self.endpoint_url}/moto-api/", self.startup_timeout, self.process)
        except CloudError as exc:
            tail = self.log_tail()
            self.stop()
            raise CloudError(f"{exc}{': ' + tail if tail else ''}") from None
        return self

    def log_tail(self, lines: int = 5) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        atexit.unregister(self.stop)
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self.log_path is not None:
            if self.log_file is None:
                self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def reset(self) -> None:
        """Forget every resource (moto's ``POST /moto-api/reset``)."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def connection(self, region: str = "us-east-1", poll_interval: float | None = None) -> Connection:
        return Connection(
            region=region, endpoint_url=self.endpoint_url, local=True, poll_interval=poll_interval
        )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.keep:
            # The caller prints the endpoint (and pid) so the user can reuse and later stop it.
            return
        self.stop()


# ----------------------------------------------------------------------------------------------
# Recognising a moto server, and one kept endpoint per stage (``sst-lsp local start|stop|status``).
# ----------------------------------------------------------------------------------------------

#: The ``sst.aws.endpointUrl`` value (and ``--endpoint-url`` value) meaning "the stage's kept
#: local endpoint".
LOCAL_SETTING = "local"


_MOTO_URLS: set[str] = set()


def is_moto_endpoint(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url`` is a moto server: it answers ``GET /moto-api/`` with moto's dashboard.
    A positive answer is remembered for the process."""
    if not url.startswith(("http://", "https://")):
        return False
    key = url.rstrip("/")
    if key in _MOTO_URLS:
        return True
    try:
        with urllib.request.urlopen(f"{key}/moto-api/", timeout=timeout) as resp:
            ok = bool(resp.status == 200 and b"moto" in resp.read(65536).lower())
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        ok = False
    if ok:
        _MOTO_URLS.add(key)
    return ok


def state_path(root: Path, stage: str) -> Path:
    """``<app>/.sst-lsp/local/<stage>.json``: the stage's kept endpoint (url, pid, port)."""
    return Path(root) / ".sst-lsp" / "local" / f"{stage}.json"


@dataclass(frozen=True, slots=True)
class KeptEndpoint:
    """A moto server kept for a stage, as its state file records it."""

    stage: str
    url: str
    pid: int
    port: int
    started: float
    log: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage, "url": self.url, "pid": self.pid, "port": self.port,
            "started": self.started, "log": self.log,
        }

    def connection(self, region: str = "us-east-1") -> Connection:
        return Connection(region=region, endpoint_url=self.url, local=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_moto(pid: int, port: int) -> bool:
    """Whether ``pid`` still is the moto server sst-lsp started on ``port`` (not a recycled pid)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        return b"moto.server" in args and str(port).encode() in args
    return _pid_alive(pid)


def read_kept(root: Path, stage: str) -> KeptEndpoint | None:
    """The stage's kept endpoint when it is still running (else None; a stale file is removed)."""
    path = state_path(root, stage)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kept = KeptEndpoint(
            stage=stage, url=str(data["url"]), pid=int(data["pid"]), port=int(data["port"]),
            started=float(data.get("started", 0)), log=str(data.get("log", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _pid_alive(kept.pid) and _is_our_moto(kept.pid, kept.port):
        return kept
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def start_kept(root: Path, stage: str, *, startup_timeout: float = 60.0) -> tuple[KeptEndpoint, bool]:
    """The stage's kept endpoint, started when none runs; (endpoint, started now)."""
    kept = read_kept(root, stage)
    if kept is not None:
        return kept, False
    path = state_path(root, stage)
    from sst_lsp.cloud.outputs import ensure_state_dir

    ensure_state_dir(Path(root))
    local = LocalEndpoint(keep=True, startup_timeout=startup_timeout, log_file=path.with_suffix(".log"))
    local.start()
    assert local.pid is not None
    kept = KeptEndpoint(stage, local.endpoint_url, local.pid, local.port, time.time(), str(path.with_suffix(".log")))
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(kept.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return kept, True


def stop_kept(root: Path, stage: str, *, timeout: float = 10.0) -> KeptEndpoint | None:
    """Stops the stage's kept endpoint (the process its state file names, and only when it is
    still the moto server sst-lsp started); returns it, or None when none was running."""
    kept = read_kept(root, stage)
    path = state_path(root, stage)
    if kept is None:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(kept.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(kept.pid) and _is_our_moto(kept.pid, kept.port) and time.monotonic() < deadline:
        _reap(kept.pid)
        time.sleep(0.05)
    if _pid_alive(kept.pid) and _is_our_moto(kept.pid, kept.port):
        with contextlib.suppress(ProcessLookupError):
            os.kill(kept.pid, signal.SIGKILL)
        _reap(kept.pid)
    with contextlib.suppress(OSError):
        path.unlink()
    return kept


def _reap(pid: int) -> None:
    """Collects the exit status when the endpoint is this process's child (a zombie otherwise)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def kept_endpoints(root: Path) -> list[KeptEndpoint]:
    """Every stage's running kept endpoint of the app at ``root``."""
    folder = Path(root) / ".sst-lsp" / "local"
    out: list[KeptEndpoint] = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        kept = read_kept(root, f.stem)
        if kept is not None:
            out.append(kept)
    return out
