"""AWS sessions and clients for the cloud layer (side effects; boto3 lives here and below).

Credentials come from boto3's standard chain (explicit profile, environment, shared config,
SSO, container/instance roles). sst-lsp never logs them. A missing or expired credential is
turned into one clear ``CloudError`` message instead of a botocore traceback.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.parsers import ResponseParserError

NO_CREDENTIALS = "No AWS credentials found: set AWS_PROFILE or run `aws sso login`, or use --local"

#: Credentials a local endpoint accepts (moto takes any).
LOCAL_CREDENTIALS = ("testing", "testing")


class CloudError(Exception):
    """An operational failure with a message meant for the user (no traceback)."""


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and as whom to talk to AWS (or a local endpoint)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    #: True for a moto endpoint (``--local``, the stage's kept one, a URL answering ``/moto-api/``):
    #: templates are adapted, the bootstrap is seeded without asking, no real credentials are sent.
    local: bool = False
    #: Poll interval in seconds for change sets and stack events (None: 0.1 locally, 2 on AWS).
    poll_interval: float | None = None

    @property
    def is_loopback(self) -> bool:
        return self.endpoint_url is not None and is_loopback_url(self.endpoint_url)

    def interval(self) -> float:
        if self.poll_interval is not None:
            return self.poll_interval
        return 0.1 if (self.local or self.is_loopback) else 2.0


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class CloudSession:
    """A boto3 session bound to one region and, optionally, an endpoint URL."""

    session: boto3.session.Session
    region: str
    connection: Connection
    _clients: dict[str, Any] = field(default_factory=dict)
    _account: str | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # A local endpoint answers instantly; botocore's retries of its HTTP 500s only waste time.
            attempts = 1 if (self.connection.local or self.connection.is_loopback) else 5
            config = Config(
                retries={"mode": "standard", "max_attempts": attempts}, user_agent_extra="sst-lsp"
            )
            kwargs: dict[str, Any] = {"region_name": self.region, "config": config}
            if self.connection.endpoint_url:
                kwargs["endpoint_url"] = self.connection.endpoint_url
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]

    @property
    def account(self) -> str:
        """The caller's account id (STS GetCallerIdentity, cached)."""
        if self._account is None:
            try:
                self._account = str(self.client("sts").get_caller_identity()["Account"])
            except Exception as exc:
                raise CloudError(describe_error(exc)) from exc
        return self._account

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def interval(self) -> float:
        return self.connection.interval()


def open_session(connection: Connection, default_region: str | None = None) -> CloudSession:
    """A session for ``connection``; raises ``CloudError`` with a user-facing message.

    The region is the connection's, else the profile's/environment's, else ``default_region``
    (e.g. the one the cloud assembly names). Credentials are checked here (without a network
    call) so that "no credentials" is reported before any work starts.
    """
    try:
        session = (
            boto3.session.Session(profile_name=connection.profile)
            if connection.profile
            else boto3.session.Session()
        )
    except botocore.exceptions.ProfileNotFound:
        raise CloudError(f"AWS profile '{connection.profile}' not found in the AWS config files") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise CloudError(describe_error(exc)) from None
    region = connection.region or session.region_name or default_region
    if not region:
        raise CloudError("No AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile")
    try:
        creds = session.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise CloudError(describe_error(exc)) from None
    if connection.local or (creds is None and connection.is_loopback):
        # A local endpoint accepts any credentials: real ones are never sent to the embedded
        # one, and the user need not invent some for an --endpoint-url on loopback.
        session = boto3.session.Session(
            aws_access_key_id=LOCAL_CREDENTIALS[0],
            aws_secret_access_key=LOCAL_CREDENTIALS[1],
            region_name=region,
        )
    elif creds is None:
        raise CloudError(NO_CREDENTIALS)
    return CloudSession(session=session, region=region, connection=connection)


_HTML_TAG = re.compile(r"<[^>]+>")


def _body_message(body: bytes | str) -> str | None:
    """The message inside an unparsable error body (a local endpoint's JSON or HTML 500)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            msg = data.get("message") or data.get("Message")
            kind = data.get("__type") or data.get("code")
            if msg:
                return f"{kind}: {msg}" if kind else str(msg)
    except ValueError:
        pass
    plain = " ".join(_HTML_TAG.sub(" ", text).split())
    return plain[:300] or None


def describe_error(exc: BaseException) -> str:
    """One line for the user about an AWS call failure. Never includes credentials."""
    if isinstance(exc, CloudError):
        return str(exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(
        exc,
        (
            botocore.exceptions.SSOTokenLoadError,
            botocore.exceptions.UnauthorizedSSOTokenError,
            botocore.exceptions.TokenRetrievalError,
        ),
    ):
        return "The AWS SSO session has expired or is missing: run `aws sso login`"
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "Error")
        msg = err.get("Message", "") or str(exc)
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return f"The AWS credentials have expired ({msg}): refresh them (e.g. `aws sso login`)"
        if code in ("InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"):
            return f"The AWS credentials were rejected ({code}): check AWS_PROFILE or your access keys"
        op = getattr(exc, "operation_name", "")
        return f"{op}: {code}: {msg}" if op else f"{code}: {msg}"
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"Cannot reach the AWS endpoint ({exc.kwargs.get('endpoint_url', '?')})"
    if isinstance(exc, ResponseParserError):
        # botocore puts the raw body after the first line of its message.
        raw = str(exc).split("\n", 1)
        body = raw[1] if len(raw) > 1 else raw[0]
        if body.startswith(("b'", 'b"')):
            try:
                import ast

                body = ast.literal_eval(body).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                pass
        inner = _body_message(body)
        return f"The endpoint answered an error it could not describe: {inner}" if inner else str(exc)
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
