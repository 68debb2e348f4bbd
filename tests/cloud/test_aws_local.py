"""Credentials and error messages (no server), and the local endpoint's lifecycle (moto server)."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import asmkit as k
import botocore.exceptions
import pytest
from asmkit import ScriptedReporter
from botocore.parsers import ResponseParserError

from sst_lsp.cloud.aws import NO_CREDENTIALS, CloudError, Connection, describe_error, open_session
from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint
from sst_lsp.cloud.remove import RemoveOptions, remove_stage


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    # Never ask an instance metadata service (network only to 127.0.0.1 in tests).
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_no_credentials_is_one_clear_message(no_credentials: None, tmp_path: Path) -> None:
    with pytest.raises(CloudError) as err:
        open_session(Connection(region="us-east-1"))
    assert str(err.value) == NO_CREDENTIALS
    asm = k.write_assembly(tmp_path / "a", [k.StackSpec("dev-app-Data", {"Q": k.queue()})])
    result = deploy_assembly(asm, "dev", "app", DeployOptions(), ScriptedReporter())
    assert result.status == "failed" and result.message == NO_CREDENTIALS
    removed = remove_stage("dev", "app", RemoveOptions(), ScriptedReporter())
    assert removed.status == "failed" and removed.message == NO_CREDENTIALS


def test_unknown_profile(no_credentials: None) -> None:
    with pytest.raises(CloudError, match="profile 'nope' not found"):
        open_session(Connection(profile="nope"))


def test_no_region(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(CloudError, match="No AWS region"):
        open_session(Connection())


def test_credentials_from_the_environment_are_used_and_never_shown(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECRETSECRET")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret")
    session = open_session(Connection(region="eu-west-1"))
    assert session.region == "eu-west-1"
    creds = session.session.get_credentials()
    assert creds is not None and creds.access_key == "AKIASECRETSECRET"
    assert "very-secret" not in repr(session) and "AKIASECRETSECRET" not in repr(session)


def test_local_connection_never_uses_real_credentials(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real")
    session = open_session(Connection(region="us-east-1", endpoint_url="http://127.0.0.1:1", local=True))
    creds = session.session.get_credentials()
    assert creds is not None and creds.access_key == "testing"


def test_loopback_endpoint_works_without_credentials(no_credentials: None) -> None:
    session = open_session(Connection(region="us-east-1", endpoint_url="http://localhost:4566"))
    assert session.session.get_credentials() is not None
    with pytest.raises(CloudError, match="No AWS credentials"):
        open_session(Connection(region="us-east-1", endpoint_url="https://example.com"))


def test_describe_error_messages() -> None:
    assert describe_error(botocore.exceptions.NoCredentialsError()) == NO_CREDENTIALS
    expired = botocore.exceptions.ClientError(
        {
            "Error": {
                "Code": "ExpiredToken",
                "Message": "The security token included in the request is expired",
            }
        },
        "CreateChangeSet",
    )
    assert "expired" in describe_error(expired) and "aws sso login" in describe_error(expired)
    other = botocore.exceptions.ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Template format error"}}, "CreateChangeSet"
    )
    assert describe_error(other) == "CreateChangeSet: ValidationError: Template format error"
    # A local endpoint's HTTP 500 with a JSON body: its message, not botocore's XML complaint.
    body = b'{"__type": "InvalidParameterValueException", "message": "Error occurred while GetObject."}'
    parser_error = ResponseParserError(
        f"Unable to parse response (not well-formed), invalid XML received. Further retries may succeed:\n{body!r}"
    )
    assert describe_error(parser_error) == (
        "The endpoint answered an error it could not describe: InvalidParameterValueException: Error occurred while GetObject."
    )


@pytest.mark.slow
def test_local_endpoint_lifecycle() -> None:
    with LocalEndpoint() as local:
        proc = local.process
        assert proc is not None and proc.poll() is None
        assert local.endpoint_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{local.endpoint_url}/moto-api/", timeout=5) as resp:
            assert resp.status == 200
        assert local.connection().local and local.connection().interval() == 0.1
    # Stopped on exit.
    assert proc.wait(timeout=10) is not None


@pytest.mark.slow
def test_local_endpoint_keep_leaves_it_running() -> None:
    with LocalEndpoint(keep=True) as local:
        proc = local.process
    try:
        assert proc is not None and proc.poll() is None
    finally:
        local.stop()
    assert proc.wait(timeout=10) is not None


@pytest.mark.slow
def test_local_endpoint_reports_a_server_that_cannot_start() -> None:
    local = LocalEndpoint(startup_timeout=30)
    local.command = lambda: ["python-does-not-exist-sst-lsp"]  # type: ignore[method-assign]
    with pytest.raises(CloudError, match="Cannot start the local endpoint"):
        local.start()
    local2 = LocalEndpoint(startup_timeout=30)
    local2.command = lambda: [sys.executable, "-c", "import sys; sys.exit(3)"]  # type: ignore[method-assign]
    with pytest.raises(CloudError, match="exited at startup"):
        local2.start()
    assert local2.process is None


@pytest.mark.slow
def test_local_endpoint_is_stopped_when_sst_lsp_exits_without_stopping_it(tmp_path: Path) -> None:
    import os
    import subprocess

    script = (
        "from sst_lsp.cloud.local import LocalEndpoint\n"
        "local = LocalEndpoint().start()\n"
        "print(local.pid, flush=True)\n"
        "raise SystemExit(0)  # No stop(), no with-block: atexit must stop it.\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root, check=False
    )
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.strip())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("command", ["diff", "deploy"])
def test_cli_without_credentials_says_so_before_any_synth_output(
    no_credentials: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """No synth runs (and no synth warning is printed) before "no credentials" is said."""
    from sst_lsp import cli

    root = Path(__file__).resolve().parents[1] / "e2e" / "apps" / "legacy"
    code = cli.main([command, str(root), "--stage", "dev"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [f"sst-lsp: {NO_CREDENTIALS}"]
    assert out == ""
    code = cli.main([command, str(root), "--stage", "dev", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2 and json.loads(out) == {"status": "failed", "message": NO_CREDENTIALS, "stage": "dev"}
