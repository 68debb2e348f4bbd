"""The warm synth worker (cloud layer): a child process that keeps aws-cdk-lib (jsii) loaded.

`python -m sst_lsp.cloud.synth_worker` reads one JSON request per line on stdin and answers one
JSON line on stdout:

    {"id": 1, "op": "synth", "spec": {...}, "out_dir": "/abs/dir"}
      -> {"id": 1, "ok": true, "result": {...}}  |  {"id": 1, "ok": false, "error": "message"}
    {"id": 2, "op": "warm"}   -> imports aws-cdk-lib and synthesizes a one-resource app
    {"id": 3, "op": "ping"}   -> {"id": 3, "ok": true, "result": {"pid": ...}}

Everything else the process or its node child prints goes to stderr: the protocol owns the
real stdout file descriptor, and fd 1 is pointed at stderr before jsii starts.

`SynthWorker` is the parent's handle (the language server keeps one): it starts the process
with an argv list (no shell), sends one request at a time, restarts the process when it died,
and turns every failure into `SynthError` with a readable message.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

#: A synth that takes longer than this is considered stuck: the worker is killed and restarted.
DEFAULT_TIMEOUT_S = 300.0


class SynthWorker:
    """A long-lived `python -m sst_lsp.cloud.synth_worker` process. Thread-safe (one request at
    a time); `close()` ends the process."""

    def __init__(
        self,
        python: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_stderr: Callable[[str], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.python = python or sys.executable
        self.timeout_s = timeout_s
        self.on_stderr = on_stderr
        self.env = env
        #: How many times the process was started again after the first start.
        self.restarts = 0
        self._started = False
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._next_id = 0
        self._stderr_tail: list[str] = []

    # ------------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Starts the process if it is not running (called lazily by every request)."""
        if self.alive():
            return
        if self._proc is not None:
            self._reap()
        if self._started:
            self.restarts += 1
        self._started = True
        from sst_lsp.cloud.synth_embedded import prepare_jsii_environment

        env = dict(os.environ if self.env is None else self.env)
        prepare_jsii_environment(env)
        # The worker must import this very package, wherever it is installed or checked out.
        pkg_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr_tail = []
        self._proc = subprocess.Popen(
            [self.python, "-m", "sst_lsp.cloud.synth_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            shell=False,
            bufsize=1,
        )
        threading.Thread(target=self._drain, args=(self._proc.stderr,), daemon=True).start()

    def _drain(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            line = line.rstrip("\n")
            self._stderr_tail = (self._stderr_tail + [line])[-20:]
            if self.on_stderr is not None:
                try:
                    self.on_stderr(line)
                except Exception:
                    log.debug("synth worker stderr callback failed", exc_info=True)
            else:
                log.debug("synth worker: %s", line)

    def close(self) -> None:
        """Ends the worker (closing stdin lets it exit on its own; it is killed if it lingers)."""
        with self._lock:
            self._reap()

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        for s in (proc.stdout, proc.stderr):
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass

    def __enter__(self) -> SynthWorker:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------
    def request(self, op: str, **payload: Any) -> dict[str, Any]:
        """Sends one request and waits for its answer; restarts a dead worker once."""
        from sst_lsp.cloud.synth_types import SynthError

        with self._lock:
            for attempt in (1, 2):
                self.start()
                try:
                    return self._roundtrip(op, payload)
                except _WorkerDied as e:
                    self._reap()
                    if attempt == 2:
                        raise SynthError(f"The synth worker stopped: {e}") from None
            raise AssertionError("unreachable")

    def _roundtrip(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        from sst_lsp.cloud.synth_types import SynthError

        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        self._next_id += 1
        rid = self._next_id
        try:
            proc.stdin.write(json.dumps({"id": rid, "op": op, **payload}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise _WorkerDied(str(e)) from None
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.timeout_s)
        if reader.is_alive():
            proc.kill()
            raise SynthError(f"The synth took longer than {self.timeout_s:.0f} s; the worker was restarted")
        line = answer[0] if answer else ""
        if not line:
            tail = " / ".join(self._stderr_tail[-3:])
            raise _WorkerDied(f"exit code {proc.poll()}{': ' + tail if tail else ''}")
        try:
            msg = json.loads(line)
        except ValueError:
            raise _WorkerDied(f"unreadable answer {line[:200]!r}") from None
        if msg.get("id") != rid:
            raise _WorkerDied("answer out of order")
        if not msg.get("ok"):
            raise SynthError(str(msg.get("error") or "synth failed"))
        result = msg.get("result")
        return result if isinstance(result, dict) else {}

    def synth(self, spec: dict[str, Any], out_dir: Path | str) -> dict[str, Any]:
        """The engine's raw result for `spec` (see `synth_embedded.synthesize`)."""
        return self.request("synth", spec=spec, out_dir=str(out_dir))

    def warm(self) -> float:
        """Starts the worker and runs a tiny synth so the next real one is fast; returns seconds."""
        t0 = time.perf_counter()
        self.request("warm")
        return time.perf_counter() - t0


class _WorkerDied(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# The worker process.
# ----------------------------------------------------------------------------------------------


def warm_spec(asset: str) -> dict[str, Any]:
    """A small app with one construct of every kind the engine builds: synthesizing it once
    loads every aws-cdk-lib module (Python and node side) a real synth will need. `asset` is a
    folder holding `h.js` (and `schema.graphql` for the AppSyncApi)."""
    schema = str(Path(asset) / "schema.graphql")

    def fn(fid: str, scope: str = "construct") -> dict[str, Any]:
        return {"id": fid, "scope": scope, "runtime": "nodejs22.x", "environment": {}, "permissions": [],
                "bind": [], "memory": 1024, "timeout": 10, "asset": asset, "handler": "h.main", "exclude": []}

    constructs = [
        {"kind": "Function", "id": "Fn", "var": "fn", "props": {}, "functions": [fn("Fn", "stack")]},
        {"kind": "Table", "id": "Table", "var": "table", "functions": [fn("Consumer_Table_c")],
         "props": {"fields": {"pk": "string"}, "primaryIndex": {"partitionKey": "pk"}, "stream": True}},
        {"kind": "Bucket", "id": "Bucket", "var": "bucket", "props": {}, "functions": [fn("Notification_Bucket_n")]},
        {"kind": "Queue", "id": "Queue", "var": "queue", "props": {}, "functions": [fn("Consumer_Queue")]},
        {"kind": "Topic", "id": "Topic", "var": None, "props": {}, "functions": [fn("Subscriber_Topic_s")],
         "queue_subscribers": [{"name": "q", "var": "queue"}]},
        {"kind": "Cron", "id": "Cron", "var": None, "props": {"schedule": "rate(1 day)"}, "functions": [fn("Job")]},
        {"kind": "Api", "id": "Api", "var": "api", "props": {}, "routes": [
            {"key": "GET /", "method": "GET", "path": "/", "postfix": "GET_", "scope": "construct", "auth": "none",
             "payload": "2.0", "function": {**fn("Lambda_GET_"), "bind": [{"$ref": "table"}, {"$ref": "fn"}],
                                            "permissions": [{"$ref": "api"}]}},
            {"key": "POST /", "method": "POST", "path": "/", "postfix": "POST_", "scope": "construct",
             "auth": "iam", "payload": "1.0", "fn_ref": "fn"}]},
        {"kind": "Config.Secret", "id": "KEY", "var": "KEY", "props": {}},
        {"kind": "Config.Parameter", "id": "PARAM", "var": "PARAM", "props": {"value": {"$ref": "table.tableName"}}},
        {"kind": "EventBus", "id": "Bus", "var": "bus", "props": {},
         "functions": [{**fn("Target_Bus_r_t"), "rule": "r", "target": "t",
                        "bind": [{"$ref": "KEY"}, {"$ref": "PARAM"}, {"$ref": "bus"}, {"$ref": "db"}, {"$ref": "keys"}],
                        "auth_keys": "Keys"}],
         "rules": [{"key": "r", "pattern": {"source": ["warm"]}, "targets": [{"name": "t"}, {"name": "q", "fn_ref": "queue"}]}]},
        {"kind": "KinesisStream", "id": "Stream", "var": "stream", "props": {}, "functions": [fn("Consumer_Stream_c")]},
        {"kind": "Cognito", "id": "Pool", "var": "pool", "props": {"login": ["email"]},
         "functions": [{**fn("preSignUp"), "trigger": "preSignUp"}]},
        {"kind": "Auth", "id": "Auth", "var": "auth", "props": {"identityPoolFederation": False}},
        {"kind": "GraphQLApi", "id": "Gql", "var": None, "props": {}, "routes": [
            {"key": "GET /", "method": "GET", "path": "/", "postfix": "GET_/", "scope": "construct", "auth": "none",
             "payload": "2.0", "function": fn("Lambda_GET_/")},
            {"key": "POST /", "method": "POST", "path": "/", "postfix": "POST_/", "scope": "construct", "auth": "none",
             "payload": "2.0", "same_as": "GET /"}]},
        {"kind": "AppSyncApi", "id": "Graph", "var": None, "props": {}, "schema": schema,
         "functions": [{**fn("Lambda_ds"), "ds": "ds"}],
         "data_sources": [{"key": "ds", "type": "lambda"}, {"key": "none", "type": "none"}],
         "resolvers": [{"key": "Query a", "type_name": "Query", "field": "a", "ds": "ds"},
                       {"key": "Query b", "type_name": "Query", "field": "b", "ds": "none",
                        "requestMapping": {"inline": "{}"}, "responseMapping": {"inline": "{}"}}]},
        {"kind": "WebSocketApi", "id": "Ws", "var": "ws", "props": {}, "authorizer": "none",
         "routes": [{"key": "$connect", "scope": "construct", "function": fn("$connect")}]},
        {"kind": "Auth", "builder": "sst_auth", "id": "Keys", "var": "keys", "props": {}, "prefix": "/auth"},
        {"kind": "RDS", "id": "Db", "var": "db", "props": {"engine": "postgresql13.9", "defaultDatabaseName": "warm"},
         "azs": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        {"kind": "Script", "id": "Script", "var": None, "props": {},
         "functions": [{**fn("onCreateFunction"), "type": "onCreate"}], "version": "warm"},
    ]
    return {"app": "warm", "stage": "warm", "region": "us-east-1", "stacks": [
        {"id": "W", "name": "warm-W", "constructs": constructs, "outputs": [{"key": "Url", "value": {"$ref": "api.url"}}],
         "auth_grants": [{"auth": {"$ref": "pool"}, "role": "auth", "items": [{"$ref": "api"}, "s3"]}]},
        {"id": "E", "name": "warm-E", "constructs": [], "outputs": [], "removal_policy": "destroy"},
    ]}


def _warm() -> dict[str, Any]:
    from sst_lsp.cloud.synth_embedded import synthesize

    with tempfile.TemporaryDirectory(prefix="sst-lsp-warm-") as d:
        asset = Path(d) / "src"
        asset.mkdir()
        (asset / "h.js").write_text("exports.main = async () => ({});\n", encoding="utf-8")
        (asset / "schema.graphql").write_text("type Query { a: String b: String }\n", encoding="utf-8")
        result = synthesize(warm_spec(str(asset)), Path(d) / "out")
    return {"pid": os.getpid(), "skipped": result["skipped"], "warnings": result["warnings"]}


def _skip_argument_type_checks() -> None:
    """Turns off jsii's Python-side argument checks (typeguard) in this process, as `python -O`
    would without recompiling aws-cdk-lib: ~15% of a synth's time. The engine passes its own,
    well-typed values; node still validates every call. Tests synthesizing in their own process
    keep the checks, so a type mistake in the engine still fails there."""
    try:
        import jsii._type_checking as checking
    except ImportError:
        return
    if hasattr(checking, "_resolved_check"):
        checking._resolved_check = lambda *args, **kwargs: None


def main() -> int:
    # Keep the real stdout for the protocol; anything else writing to fd 1 (jsii's node child
    # inherits it) lands on stderr instead.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from sst_lsp.cloud.synth_embedded import SpecError, prepare_jsii_environment, synthesize

    prepare_jsii_environment()
    _skip_argument_type_checks()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid: Any = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            op = req.get("op")
            if op == "synth":
                result = synthesize(req["spec"], req["out_dir"])
            elif op == "warm":
                result = _warm()
            elif op == "ping":
                result = {"pid": os.getpid()}
            else:
                raise SpecError(f"unknown request {op!r}")
            answer = {"id": rid, "ok": True, "result": result}
        except SpecError as e:
            answer = {"id": rid, "ok": False, "error": str(e)}
        except Exception as e:  # noqa: BLE001 - the parent shows one line; the traceback goes to its log.
            import traceback

            traceback.print_exc(file=sys.stderr)
            answer = {"id": rid, "ok": False, "error": f"internal error in the synth worker: {e.__class__.__name__}: {e}"}
        proto.write(json.dumps(answer) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
