"""Fixtures for the cloud tests: a moto server on 127.0.0.1 (its server mode, a subprocess).

``moto_endpoint`` (session scope) starts ``python -m moto.server -H 127.0.0.1 -p <free port>``
through ``LocalEndpoint`` and yields the endpoint URL; ``moto`` (function scope) resets the
server before the test and sets fake credentials and the region in the environment. Other
test packages can reuse them with ``pytest_plugins = ["tests.cloud.conftest"]`` or by copying.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sst_lsp.cloud.local import LocalEndpoint


@pytest.fixture(scope="session")
def moto_server() -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture(scope="session")
def moto_endpoint(moto_server: LocalEndpoint) -> str:
    """The URL of the session's moto server (``http://127.0.0.1:PORT``)."""
    return moto_server.endpoint_url


@pytest.fixture
def moto(
    moto_server: LocalEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LocalEndpoint]:
    """A freshly reset moto server, with fake credentials and us-east-1 in the environment."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # No shared config from the machine running the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    moto_server.reset()
    yield moto_server
