"""The CDK bootstrap a deploy needs (cloud layer): check it, create a minimal one, seed a local one.

CDK's default synthesizer makes every template read the SSM parameter
``/cdk-bootstrap/<qualifier>/version`` (a rule asserts it is recent enough) and puts file assets
in ``cdk-<qualifier>-assets-<account>-<region>``. sst-lsp deploys with the caller's own
credentials, so it needs neither the bootstrap's IAM roles nor its container registry. When the
parameter or the bucket is missing, sst-lsp offers (after asking) its own minimal bootstrap: a
CloudFormation stack ``SstLspToolkit-<qualifier>`` with an encrypted, private asset bucket
(retained on delete) and the version parameter. ``cdk bootstrap`` can later replace it only after
that stack is deleted (it wants to create the same bucket name).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from sst_lsp.cloud.assembly import DEFAULT_BOOTSTRAP_PARAMETER, StackArtifact
from sst_lsp.cloud.assets import substitute
from sst_lsp.cloud.aws import CloudError, CloudSession, describe_error
from sst_lsp.cloud.reporter import Reporter

#: The version sst-lsp's minimal bootstrap writes when no stack states a requirement.
DEFAULT_VERSION = 6


@dataclass(slots=True)
class BootstrapNeeds:
    """What the stacks to deploy need from the bootstrap."""

    parameter: str = DEFAULT_BOOTSTRAP_PARAMETER
    required_version: int = 0
    #: Asset bucket names with placeholders resolved.
    buckets: list[str] = field(default_factory=list)

    @property
    def qualifier(self) -> str:
        m = re.match(r"^/cdk-bootstrap/([^/]+)/version$", self.parameter)
        return m.group(1) if m else "hnb659fds"


@dataclass(slots=True)
class BootstrapStatus:
    version: int | None
    missing_buckets: list[str]
    parameter: str

    @property
    def complete(self) -> bool:
        return self.version is not None and not self.missing_buckets


def needs_of(session: CloudSession, stacks: list[StackArtifact]) -> BootstrapNeeds:
    needs = BootstrapNeeds()
    for s in stacks:
        if s.bootstrap_parameter:
            needs.parameter = s.bootstrap_parameter
        needs.required_version = max(needs.required_version, s.required_bootstrap_version or 0)
        for m in s.asset_manifests:
            needs.required_version = max(needs.required_version, m.required_bootstrap_version or 0)
            for a in m.files:
                for d in a.destinations:
                    b = substitute(d.bucket_name, session.account, session.region, session.partition)
                    if b and b not in needs.buckets:
                        needs.buckets.append(b)
    return needs


def templates_read_parameter(stacks: list[StackArtifact], parameter: str) -> bool:
    """True when some template takes the bootstrap version parameter (CDK's default)."""
    for s in stacks:
        params = s.template.get("Parameters")
        if isinstance(params, dict):
            for p in params.values():
                if isinstance(p, dict) and p.get("Default") == parameter and "SSM" in str(p.get("Type", "")):
                    return True
    return False


def check_bootstrap(session: CloudSession, needs: BootstrapNeeds) -> BootstrapStatus:
    ssm, s3 = session.client("ssm"), session.client("s3")
    version: int | None
    try:
        raw = ssm.get_parameter(Name=needs.parameter)["Parameter"]["Value"]
        version = int(raw) if str(raw).isdigit() else 0
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise CloudError(f"Reading the bootstrap version failed: {describe_error(exc)}") from exc
        version = None
    missing: list[str] = []
    for bucket in needs.buckets:
        try:
            s3.head_bucket(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket", "NotFound"):
                missing.append(bucket)
            else:
                raise CloudError(f"Checking the asset bucket {bucket} failed: {describe_error(exc)}") from exc
    return BootstrapStatus(version=version, missing_buckets=missing, parameter=needs.parameter)


def minimal_bootstrap_template(status: BootstrapStatus, version: int) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for i, bucket in enumerate(status.missing_buckets):
        resources[f"AssetBucket{i}"] = {
            "Type": "AWS::S3::Bucket",
            # The assets of deployed stacks live here: never delete them with this stack.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": bucket,
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
        }
    if status.version is None:
        resources["BootstrapVersion"] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": status.parameter, "Type": "String", "Value": str(version)},
        }
    return {
        "Description": "sst-lsp minimal bootstrap: asset bucket and CDK bootstrap version parameter "
        "(no IAM roles, no container registry)",
        "Resources": resources,
    }


def create_minimal_bootstrap(
    session: CloudSession,
    needs: BootstrapNeeds,
    status: BootstrapStatus,
    reporter: Reporter,
    timeout: float = 900,
) -> None:
    """Create ``SstLspToolkit-<qualifier>`` with what ``status`` lacks; raises ``CloudError``."""
    cf = session.client("cloudformation")
    name = f"SstLspToolkit-{needs.qualifier}"
    version = max(needs.required_version, DEFAULT_VERSION)
    body = json.dumps(minimal_bootstrap_template(status, version))
    reporter.progress(f"Creating the minimal bootstrap stack {name}")
    try:
        cf.create_stack(
            StackName=name, TemplateBody=body, Tags=[{"Key": "sst-lsp:bootstrap", "Value": needs.qualifier}]
        )
        deadline = time.monotonic() + timeout
        while True:
            st = cf.describe_stacks(StackName=name)["Stacks"][0]
            status_s = st["StackStatus"]
            if not status_s.endswith("_IN_PROGRESS"):
                break
            if time.monotonic() > deadline:
                raise CloudError(f"Timed out waiting for {name} ({status_s})")
            time.sleep(session.interval())
    except CloudError:
        raise
    except Exception as exc:
        raise CloudError(f"Creating the bootstrap stack {name} failed: {describe_error(exc)}") from exc
    if status_s != "CREATE_COMPLETE":
        raise CloudError(f"The bootstrap stack {name} ended in {status_s}: {st.get('StackStatusReason', '')}")
    reporter.log(
        f"bootstrap: created {name} (version {version}, buckets: {', '.join(status.missing_buckets) or 'none'})"
    )


def seed_local_bootstrap(
    session: CloudSession, needs: BootstrapNeeds, status: BootstrapStatus, reporter: Reporter
) -> None:
    """Seed a local endpoint directly (no stack): the version parameter and the asset buckets."""
    ssm, s3 = session.client("ssm"), session.client("s3")
    version = max(needs.required_version, DEFAULT_VERSION)
    try:
        if status.version is None:
            ssm.put_parameter(Name=status.parameter, Value=str(version), Type="String", Overwrite=True)
        for bucket in status.missing_buckets:
            if session.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": session.region}
                )
    except Exception as exc:
        raise CloudError(f"Seeding the local endpoint failed: {describe_error(exc)}") from exc
    reporter.log(
        f"local endpoint: seeded {status.parameter}={version} and {len(status.missing_buckets)} asset bucket(s)"
    )


def ensure_bootstrap(
    session: CloudSession, stacks: list[StackArtifact], reporter: Reporter, *, yes: bool = False
) -> str | None:
    """Make sure the bootstrap the stacks need exists. Returns None when ready, else a message
    saying why not (declined, too old). Raises ``CloudError`` on AWS failures."""
    needs = needs_of(session, stacks)
    reads_param = templates_read_parameter(stacks, needs.parameter)
    if not needs.buckets and not reads_param:
        return None
    status = check_bootstrap(session, needs)
    if not reads_param and status.version is None:
        # No template reads the parameter: only the buckets matter, do not create it.
        status.version = 0
    if reads_param and status.version is not None and status.version < needs.required_version:
        return (
            f"The CDK bootstrap in {session.region} is version {status.version}, the app needs "
            f"{needs.required_version}: run `cdk bootstrap` to upgrade it"
        )
    if status.complete:
        return None
    missing = ([f"SSM parameter {status.parameter}"] if status.version is None else []) + [
        f"S3 bucket {b}" for b in status.missing_buckets
    ]
    if session.connection.local:
        seed_local_bootstrap(session, needs, status, reporter)
        return None
    answer = (
        "Create"
        if yes
        else reporter.confirm(
            f"The CDK bootstrap is missing in account {session.account}, region {session.region}. "
            "Create sst-lsp's minimal bootstrap (asset bucket + version parameter, no IAM roles)?",
            missing,
            ["Create", "Cancel"],
        )
    )
    if answer != "Create":
        return (
            "The CDK bootstrap is missing (" + "; ".join(missing) + "): run `cdk bootstrap` "
            "or accept sst-lsp's minimal bootstrap"
        )
    create_minimal_bootstrap(session, needs, status, reporter)
    return None
