"""What is deployed for a stage (cloud layer): ``read_deployed_stage(session, app, stage)``.

A stage's stacks are those named ``{stage}-{app}-*`` (SST's naming) or tagged
``sst:stage={stage}`` and ``sst:app={app}``. For each: DescribeStacks (status, outputs, tags),
GetTemplate (the deployed template) and ListStackResources (physical ids). Each resource keeps
its ``aws:cdk:path`` metadata, so a construct maps back to ``stack/id``. Dependencies between the
stage's stacks come from ``Fn::ImportValue`` of another stack's exports.

This is the raw material of the ``stage:NAME`` baseline (built elsewhere) and of ``remove``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sst_lsp.cloud.aws import CloudError, CloudSession, describe_error
from sst_lsp.cloud.naming import stage_prefix
from sst_lsp.cloud.stacks import get_template, list_resources, outputs_of
from sst_lsp.model.cfn import cdk_path_of, resources_of


@dataclass(frozen=True, slots=True)
class DeployedResource:
    logical_id: str
    resource_type: str
    physical_id: str | None
    status: str | None
    #: ``aws:cdk:path`` metadata, e.g. ``dev-app-Api/Api/Lambda_GET_--notes/Resource``.
    cdk_path: str | None
    deletion_policy: str | None = None

    @property
    def construct_path(self) -> tuple[str, ...]:
        """The cdk path split into segments; ``[0]`` is the CloudFormation stack name, ``[1]``
        the top-level construct id (``Api``)."""
        return tuple(p for p in (self.cdk_path or "").split("/") if p)

    def to_json(self) -> dict[str, Any]:
        return {
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "physicalId": self.physical_id,
            "status": self.status,
            "cdkPath": self.cdk_path,
            "deletionPolicy": self.deletion_policy,
        }


@dataclass(slots=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    template: dict[str, Any]
    resources: list[DeployedResource]
    outputs: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: Export names this stack's outputs define / ``Fn::ImportValue`` names it reads.
    exports: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    #: Names of stacks of the same stage whose exports this one imports.
    depends_on: list[str] = field(default_factory=list)
    #: The SST stack id (the name without ``{stage}-{app}-``), when the name follows SST's scheme.
    short_name: str | None = None

    def resource(self, logical_id: str) -> DeployedResource | None:
        for r in self.resources:
            if r.logical_id == logical_id:
                return r
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stackId": self.stack_id,
            "status": self.status,
            "shortName": self.short_name,
            "outputs": self.outputs,
            "tags": self.tags,
            "dependsOn": self.depends_on,
            "resources": [r.to_json() for r in self.resources],
        }


@dataclass(slots=True)
class DeployedStage:
    app_name: str
    stage: str
    region: str
    stacks: list[DeployedStack]

    def stack(self, name: str) -> DeployedStack | None:
        for s in self.stacks:
            if name in (s.name, s.short_name):
                return s
        return None

    def resources(self) -> Iterator[tuple[DeployedStack, DeployedResource]]:
        for s in self.stacks:
            for r in s.resources:
                yield s, r

    def ordered(self) -> list[DeployedStack]:
        """Dependencies first (remove walks it backwards)."""
        by_name = {s.name: s for s in self.stacks}
        out: list[DeployedStack] = []
        placed: set[str] = set()
        remaining = list(self.stacks)
        while remaining:
            ready = [s for s in remaining if all(d in placed or d not in by_name for d in s.depends_on)]
            if not ready:
                ready = remaining[:1]  # A cycle cannot exist in CloudFormation; be safe anyway.
            for s in ready:
                out.append(s)
                placed.add(s.name)
                remaining.remove(s)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app_name,
            "stage": self.stage,
            "region": self.region,
            "stacks": [s.to_json() for s in self.stacks],
        }


def _walk_imports(node: Any, out: list[str]) -> None:
    if isinstance(node, Mapping):
        for k, v in node.items():
            if k == "Fn::ImportValue" and isinstance(v, str):
                out.append(v)
            else:
                _walk_imports(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_imports(v, out)


def template_imports(template: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    _walk_imports(template.get("Resources"), out)
    _walk_imports(template.get("Outputs"), out)
    return sorted(set(out))


def template_exports(template: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    outputs = template.get("Outputs")
    if isinstance(outputs, Mapping):
        for o in outputs.values():
            name = (
                o.get("Export", {}).get("Name")
                if isinstance(o, Mapping) and isinstance(o.get("Export"), Mapping)
                else None
            )
            if isinstance(name, str):
                out.append(name)
    return out


def belongs_to_stage(stack: Mapping[str, Any], app_name: str, stage: str) -> bool:
    name = str(stack.get("StackName", ""))
    if name.startswith(stage_prefix(stage, app_name)):
        return True
    tags = {t.get("Key"): t.get("Value") for t in stack.get("Tags") or []}
    return tags.get("sst:stage") == stage and tags.get("sst:app") == app_name


def list_stage_stacks(session: CloudSession, app_name: str, stage: str) -> list[dict[str, Any]]:
    """DescribeStacks rows of the stage's live stacks (REVIEW_IN_PROGRESS ones included)."""
    cf = session.client("cloudformation")
    rows: list[dict[str, Any]] = []
    for page in cf.get_paginator("describe_stacks").paginate():
        for st in page.get("Stacks", []):
            if st.get("StackStatus") == "DELETE_COMPLETE":
                continue
            if belongs_to_stage(st, app_name, stage):
                rows.append(dict(st))
    # Creation order: without exports to go by, dependents were created after what they use.
    rows.sort(key=lambda r: str(r.get("CreationTime", "")))
    return rows


def read_stack(session: CloudSession, row: Mapping[str, Any], prefix: str | None = None) -> DeployedStack:
    cf = session.client("cloudformation")
    name = str(row["StackName"])
    status = str(row.get("StackStatus", ""))
    if status == "REVIEW_IN_PROGRESS":
        template: dict[str, Any] = {}
        listed: list[dict[str, Any]] = []
    else:
        template = get_template(cf, name)
        listed = list_resources(cf, name)
    declared = resources_of(template)
    rows = {str(r["LogicalResourceId"]): r for r in listed}
    resources: list[DeployedResource] = []
    for lid in list(dict.fromkeys(list(declared) + list(rows))):
        decl = declared.get(lid, {})
        row_ = rows.get(lid, {})
        rtype = str(row_.get("ResourceType") or decl.get("Type") or "")
        policy = decl.get("DeletionPolicy")
        resources.append(
            DeployedResource(
                logical_id=lid,
                resource_type=rtype,
                physical_id=row_.get("PhysicalResourceId") or None,
                status=row_.get("ResourceStatus"),
                cdk_path=cdk_path_of(decl),
                deletion_policy=policy if isinstance(policy, str) else None,
            )
        )
    exports = [str(o["ExportName"]) for o in row.get("Outputs") or [] if o.get("ExportName")]
    exports += [e for e in template_exports(template) if e not in exports]
    return DeployedStack(
        name=name,
        stack_id=str(row.get("StackId", name)),
        status=status,
        template=template,
        resources=resources,
        outputs=outputs_of(row),
        tags={str(t.get("Key")): str(t.get("Value")) for t in row.get("Tags") or []},
        exports=exports,
        imports=template_imports(template),
        short_name=name[len(prefix) :] if prefix and name.startswith(prefix) else None,
    )


def read_deployed_stage(session: CloudSession, app_name: str, stage: str) -> DeployedStage:
    """Everything deployed for ``stage`` of ``app_name``. Raises ``CloudError`` (a message for
    the user) when AWS cannot be read. A stage with nothing deployed has ``stacks == []``."""
    try:
        prefix = stage_prefix(stage, app_name)
        stacks = [read_stack(session, row, prefix) for row in list_stage_stacks(session, app_name, stage)]
    except CloudError:
        raise
    except Exception as exc:
        raise CloudError(f"Reading stage '{stage}' failed: {describe_error(exc)}") from exc
    exporters = {e: s.name for s in stacks for e in s.exports}
    for s in stacks:
        s.depends_on = sorted({exporters[i] for i in s.imports if i in exporters and exporters[i] != s.name})
    return DeployedStage(app_name=app_name, stage=stage, region=session.region, stacks=stacks)
