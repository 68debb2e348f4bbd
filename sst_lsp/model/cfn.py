"""CloudFormation knowledge for data-loss decisions (layer 2: pure, no boto3, no IO but package data).

What this module knows, and where it comes from:

* Stateful resource types: cfn-lint's ``cfnlint/data/AdditionalSpecs/StatefulResources.json``.
* Properties whose change forces a replacement: the ``createOnlyProperties`` of cfn-lint's
  provider schemas (``cfnlint.schema.PROVIDER_SCHEMA_MANAGER``), plus ``SUPPLEMENT``, a small
  table for what the schemas omit although CloudFormation's documentation says
  "Update requires: Replacement".
* DeletionPolicy / UpdateReplacePolicy semantics: what happens to the old physical resource.

Which stateful types *block* a deploy and which only *warn* (``stateful_level``):

* block: types whose deletion destroys data that lives nowhere else and cannot be recovered by
  CloudFormation: databases and data stores (DynamoDB, RDS, DocDB, Neptune, Redshift, QLDB,
  SimpleDB, ElastiCache, Elasticsearch/OpenSearch), storage (S3, EFS, FSx, EBS volumes), streams
  (Kinesis), identity stores (Cognito user pools: users and their passwords cannot be exported),
  backup vaults, and Organizations accounts (deleting one closes the account).
* warn: types cfn-lint calls stateful whose loss is recoverable or transient: SQS queues (messages
  in flight), CloudWatch log groups (logs), KMS keys (CloudFormation schedules deletion with a
  7-30 day waiting period that can be cancelled), Secrets Manager secrets (deleted with a recovery
  window), EMR clusters (compute; durable data is kept in S3) and nested stacks (their own
  resources are not visible from the parent template).

The stateful-change analyzer and the deployer share these functions, so an editor warning and a
refused deploy always agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

Level = Literal["block", "warn"]
Outcome = Literal["destroyed", "retained", "snapshot"]
ChangeAction = Literal["add", "remove", "modify"]
Replacement = Literal["true", "false", "conditional"]

#: Stateful types whose loss only warns (see the module docstring for the reasons).
WARN_ONLY_TYPES: frozenset[str] = frozenset(
    {
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::EMR::Cluster",
        "AWS::CloudFormation::Stack",
    }
)

#: Used when cfn-lint's data file cannot be read (a broken install): the same 29 types.
_FALLBACK_STATEFUL = [
    "AWS::Backup::BackupVault",
    "AWS::CloudFormation::Stack",
    "AWS::Cognito::UserPool",
    "AWS::DocDB::DBCluster",
    "AWS::DocDB::DBInstance",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Volume",
    "AWS::EFS::FileSystem",
    "AWS::EMR::Cluster",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Elasticsearch::Domain",
    "AWS::FSx::FileSystem",
    "AWS::KMS::Key",
    "AWS::Kinesis::Stream",
    "AWS::Logs::LogGroup",
    "AWS::Neptune::DBCluster",
    "AWS::Neptune::DBInstance",
    "AWS::OpenSearchService::Domain",
    "AWS::Organizations::Account",
    "AWS::QLDB::Ledger",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::Redshift::Cluster",
    "AWS::S3::Bucket",
    "AWS::SDB::Domain",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
]


@lru_cache(maxsize=1)
def stateful_types() -> frozenset[str]:
    """The resource types cfn-lint lists as stateful."""
    try:
        text = (resources.files("cfnlint") / "data/AdditionalSpecs/StatefulResources.json").read_text()
        return frozenset(json.loads(text)["ResourceTypes"])
    except (OSError, ValueError, KeyError, ModuleNotFoundError):
        return frozenset(_FALLBACK_STATEFUL)


def stateful_level(resource_type: str) -> Level | None:
    """``"block"`` for data stores, ``"warn"`` for recoverable state, None for stateless types."""
    if resource_type not in stateful_types():
        return None
    return "warn" if resource_type in WARN_ONLY_TYPES else "block"


def is_stateful(resource_type: str) -> bool:
    return resource_type in stateful_types()


@lru_cache(maxsize=512)
def create_only_properties(resource_type: str, region: str = "us-east-1") -> tuple[str, ...]:
    """JSON pointers (``/properties/TableName``) whose change replaces the resource, per the
    provider schema. Empty for custom resources and types the schemas do not know."""
    if not resource_type.startswith("AWS::"):
        return ()
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except Exception:  # noqa: BLE001 - an unknown type or a schema load error means "no knowledge".
        return ()
    return tuple(str(p) for p in schema.get("createOnlyProperties", []) or [])


# ----------------------------------------------------------------------------------------------
# Value comparison (CloudFormation compares scalars as strings: `true` == "true", 5 == "5").
# ----------------------------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """A canonical form for comparing template values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


_MISSING = object()


def _pointer_values(props: Any, parts: list[str]) -> Any:
    """The value at a schema pointer below ``/properties``; ``*`` maps over list items."""
    if not parts:
        return props
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(props, list):
            return _MISSING
        return [_pointer_values(item, rest) for item in props]
    if isinstance(props, Mapping) and head in props:
        return _pointer_values(props[head], rest)
    return _MISSING


def _pointer_changed(old_props: Mapping[str, Any], new_props: Mapping[str, Any], pointer: str) -> bool:
    parts = pointer.split("/")[1:]
    if not parts or parts[0] != "properties":
        return False
    old = _pointer_values(old_props, parts[1:])
    new = _pointer_values(new_props, parts[1:])
    if old is _MISSING and new is _MISSING:
        return False
    if old is _MISSING or new is _MISSING:
        return True
    return bool(normalize(old) != normalize(new))


# ----------------------------------------------------------------------------------------------
# The supplement: replacements the provider schemas do not declare.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplacementRule:
    """One documented case where CloudFormation replaces a resource but the schema is silent."""

    resource_type: str
    #: The property as shown to the user (``KeySchema``).
    prop: str
    #: Where CloudFormation says so (the property's "Update requires: Replacement").
    source: str
    #: True when old and new properties differ in the way that forces a replacement.
    changed: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


def _prop_changed(name: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], bool]:
    def check(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        return _pointer_changed(old, new, f"/properties/{name}")

    return check


def _key_attribute_types(props: Mapping[str, Any]) -> dict[str, Any]:
    keys = {k.get("AttributeName") for k in props.get("KeySchema", []) or [] if isinstance(k, Mapping)}
    return {
        str(a.get("AttributeName")): normalize(a.get("AttributeType"))
        for a in props.get("AttributeDefinitions", []) or []
        if isinstance(a, Mapping) and a.get("AttributeName") in keys
    }


def _key_attribute_types_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    # Only the definitions of the table's own key attributes matter: index attributes may be
    # added or removed in place together with their global secondary index.
    old_types = _key_attribute_types(old)
    new_types = _key_attribute_types(new)
    return any(name in new_types and new_types[name] != t for name, t in old_types.items())


_DDB_DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html"
_DDB_GT_DOC = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html"
)
_COGNITO_DOC = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-userpool.html"
)
_EBS_DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-volume.html"
_RDS_CLUSTER_DOC = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbcluster.html"
)

#: Replacements the provider schemas miss. Each entry has a test in tests/cloud/test_cfn_model.py.
SUPPLEMENT: tuple[ReplacementRule, ...] = (
    ReplacementRule("AWS::DynamoDB::Table", "KeySchema", _DDB_DOC, _prop_changed("KeySchema")),
    ReplacementRule(
        "AWS::DynamoDB::Table",
        "AttributeDefinitions (key attribute type)",
        _DDB_DOC,
        _key_attribute_types_changed,
    ),
    ReplacementRule(
        "AWS::DynamoDB::Table", "LocalSecondaryIndexes", _DDB_DOC, _prop_changed("LocalSecondaryIndexes")
    ),
    ReplacementRule("AWS::DynamoDB::GlobalTable", "KeySchema", _DDB_GT_DOC, _prop_changed("KeySchema")),
    ReplacementRule(
        "AWS::Cognito::UserPool", "UsernameAttributes", _COGNITO_DOC, _prop_changed("UsernameAttributes")
    ),
    ReplacementRule(
        "AWS::Cognito::UserPool", "AliasAttributes", _COGNITO_DOC, _prop_changed("AliasAttributes")
    ),
    ReplacementRule("AWS::EC2::Volume", "AvailabilityZone", _EBS_DOC, _prop_changed("AvailabilityZone")),
    # The schema leaves Engine updatable (a major version upgrade is in place), but moving a
    # cluster to another engine (aurora-mysql <-> aurora-postgresql) replaces it.
    ReplacementRule("AWS::RDS::DBCluster", "Engine", _RDS_CLUSTER_DOC, _prop_changed("Engine")),
)


def replacement_causes(
    resource_type: str, old_props: Mapping[str, Any] | None, new_props: Mapping[str, Any] | None
) -> list[str]:
    """The properties whose change (old -> new) makes CloudFormation replace the resource."""
    old = old_props if isinstance(old_props, Mapping) else {}
    new = new_props if isinstance(new_props, Mapping) else {}
    causes: list[str] = []
    for pointer in create_only_properties(resource_type):
        if _pointer_changed(old, new, pointer):
            causes.append(pointer.removeprefix("/properties/").replace("/", "."))
    for rule in SUPPLEMENT:
        if rule.resource_type == resource_type and rule.prop not in causes and rule.changed(old, new):
            causes.append(rule.prop)
    return causes


# ----------------------------------------------------------------------------------------------
# Policies: what becomes of the old physical resource.
# ----------------------------------------------------------------------------------------------


def deletion_outcome(resource: Mapping[str, Any] | None, *, replaced: bool = False) -> Outcome:
    """What CloudFormation does to the physical resource when the logical one goes away.

    ``replaced=False``: the resource is removed from the template (or its stack is deleted):
    DeletionPolicy decides. ``replaced=True``: the resource is replaced during an update:
    UpdateReplacePolicy decides. Retain and RetainExceptOnCreate keep the resource (orphaned from
    the stack), Snapshot keeps a snapshot and deletes the resource, Delete (the default) destroys.
    """
    if not isinstance(resource, Mapping):
        return "destroyed"
    policy = resource.get("UpdateReplacePolicy" if replaced else "DeletionPolicy")
    if policy in ("Retain", "RetainExceptOnCreate"):
        return "retained"
    if policy == "Snapshot":
        return "snapshot"
    return "destroyed"


OUTCOME_TEXT: dict[Outcome, str] = {
    "destroyed": "destroyed",
    "retained": "retained (orphaned)",
    "snapshot": "snapshot kept, resource deleted",
}


# ----------------------------------------------------------------------------------------------
# Template diff and hazards.
# ----------------------------------------------------------------------------------------------

#: Resource attributes compared for "modified" (Metadata is not: CDK rewrites it freely).
_COMPARED_KEYS = ("Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy")


@dataclass(frozen=True, slots=True)
class ResourceDiff:
    """One resource that differs between two templates of the same stack."""

    logical_id: str
    action: ChangeAction
    resource_type: str
    #: Dotted property paths that differ (``Properties.Environment.Variables.X``), for modify.
    changed: tuple[str, ...] = ()
    #: Whether the change replaces the resource: from the schema diff and/or the change set.
    replacement: Replacement | None = None
    #: Why it is replaced (create-only properties that changed, or "change set").
    replacement_causes: tuple[str, ...] = ()
    #: The ``aws:cdk:path`` metadata of the resource (new template first, else old).
    cdk_path: str | None = None
    #: The old resource's outcome for removals and replacements (policy aware).
    outcome: Outcome | None = None

    @property
    def stateful(self) -> Level | None:
        return stateful_level(self.resource_type)

    def to_json(self) -> dict[str, Any]:
        return {
            "logicalId": self.logical_id,
            "action": self.action,
            "type": self.resource_type,
            "changed": list(self.changed),
            "replacement": self.replacement,
            "replacementCauses": list(self.replacement_causes),
            "cdkPath": self.cdk_path,
            "stateful": self.stateful,
            "outcome": self.outcome,
        }


def resources_of(template: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The template's Resources section, tolerant of malformed templates."""
    if not isinstance(template, Mapping):
        return {}
    res = template.get("Resources")
    if not isinstance(res, Mapping):
        return {}
    return {str(k): v for k, v in res.items() if isinstance(v, Mapping)}


def cdk_path_of(resource: Mapping[str, Any] | None) -> str | None:
    if not isinstance(resource, Mapping):
        return None
    meta = resource.get("Metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("aws:cdk:path"), str):
        return str(meta["aws:cdk:path"])
    return None


def _diff_paths(old: Any, new: Any, prefix: str, out: list[str], limit: int = 50) -> None:
    if len(out) >= limit:
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                out.append(f"{prefix}.{key}" if prefix else str(key))
            else:
                _diff_paths(old[key], new[key], f"{prefix}.{key}" if prefix else str(key), out, limit)
        return
    if normalize(old) != normalize(new):
        out.append(prefix)


def _type_of(resource: Mapping[str, Any]) -> str:
    t = resource.get("Type")
    return t if isinstance(t, str) else "?"


def diff_resource(
    logical_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> ResourceDiff | None:
    """The difference for one logical id (None when equal)."""
    if old is None and new is None:
        return None
    if old is None:
        assert new is not None
        return ResourceDiff(logical_id, "add", _type_of(new), cdk_path=cdk_path_of(new))
    if new is None:
        return ResourceDiff(
            logical_id, "remove", _type_of(old), cdk_path=cdk_path_of(old), outcome=deletion_outcome(old)
        )
    changed: list[str] = []
    for key in _COMPARED_KEYS:
        _diff_paths(old.get(key), new.get(key), key, changed)
    if not changed:
        return None
    old_type, new_type = _type_of(old), _type_of(new)
    if old_type != new_type:
        causes = ["Type"]
    else:
        causes = replacement_causes(new_type, old.get("Properties"), new.get("Properties"))
    replaced = bool(causes)
    return ResourceDiff(
        logical_id,
        "modify",
        new_type,
        changed=tuple(changed),
        replacement="true" if replaced else "false",
        replacement_causes=tuple(causes),
        cdk_path=cdk_path_of(new) or cdk_path_of(old),
        outcome=deletion_outcome(new, replaced=True) if replaced else None,
    )


def diff_templates(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[ResourceDiff]:
    """Added, removed and modified resources from ``old`` to ``new`` (sorted by logical id)."""
    old_res, new_res = resources_of(old), resources_of(new)
    out: list[ResourceDiff] = []
    for lid in sorted(set(old_res) | set(new_res)):
        d = diff_resource(lid, old_res.get(lid), new_res.get(lid))
        if d is not None:
            out.append(d)
    return out


@dataclass(frozen=True, slots=True)
class Hazard:
    """A change that loses (or may lose) a stateful resource's data."""

    stack: str
    logical_id: str
    resource_type: str
    kind: Literal["remove", "replace"]
    level: Level
    outcome: Outcome
    reason: str
    cdk_path: str | None = None
    #: Where the hazard was seen: the template diff, the change set, or both.
    sources: tuple[str, ...] = field(default=())

    @property
    def blocks(self) -> bool:
        """True when it needs consent (a data store destroyed by the change)."""
        return self.level == "block" and self.outcome == "destroyed"

    def describe(self) -> str:
        what = "removed" if self.kind == "remove" else "replaced"
        where = f" ({self.cdk_path})" if self.cdk_path else ""
        return (
            f"{self.stack}: {self.resource_type} {self.logical_id}{where} {what}: "
            f"{OUTCOME_TEXT[self.outcome]}; {self.reason}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "kind": self.kind,
            "level": self.level,
            "outcome": self.outcome,
            "blocks": self.blocks,
            "reason": self.reason,
            "cdkPath": self.cdk_path,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class ChangeSetEntry:
    """One ``ResourceChange`` of a CloudFormation change set, as plain data."""

    logical_id: str
    resource_type: str
    action: str  # Add | Modify | Remove | Import | Dynamic
    replacement: str | None = None  # "True" | "False" | "Conditional" | None (endpoint left it empty)
    physical_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "action": self.action,
            "replacement": self.replacement,
            "physicalId": self.physical_id,
        }


def assess(
    stack: str,
    old_template: Mapping[str, Any] | None,
    new_template: Mapping[str, Any] | None,
    change_set: Iterable[ChangeSetEntry] = (),
) -> list[Hazard]:
    """Data-loss hazards of updating ``stack`` from ``old_template`` to ``new_template``.

    Both views count: sst-lsp's own template diff (removals; replacements from create-only
    properties) and the change set's ``Replacement`` flags (endpoints that leave it empty simply
    add nothing). A ``Modify`` without a replacement is never a data loss (a local endpoint's
    spurious S3 Modify stays harmless). ``Conditional`` replacement of a data store counts.
    """
    old_res, new_res = resources_of(old_template), resources_of(new_template)
    found: dict[str, Hazard] = {}

    def add(h: Hazard) -> None:
        prev = found.get(h.logical_id)
        if prev is None:
            found[h.logical_id] = h
        else:
            found[h.logical_id] = Hazard(
                prev.stack,
                prev.logical_id,
                prev.resource_type,
                prev.kind,
                prev.level,
                prev.outcome,
                prev.reason,
                prev.cdk_path,
                tuple(dict.fromkeys(prev.sources + h.sources)),
            )

    for d in diff_templates(old_template, new_template):
        # The old resource's type decides what is lost.
        old = old_res.get(d.logical_id)
        rtype = _type_of(old) if old is not None else d.resource_type
        level = stateful_level(rtype)
        if level is None or d.action == "add":
            continue
        if d.action == "remove":
            add(
                Hazard(
                    stack,
                    d.logical_id,
                    rtype,
                    "remove",
                    level,
                    deletion_outcome(old),
                    "removed from the template",
                    d.cdk_path,
                    ("template",),
                )
            )
        elif d.replacement == "true":
            add(
                Hazard(
                    stack,
                    d.logical_id,
                    rtype,
                    "replace",
                    level,
                    deletion_outcome(new_res.get(d.logical_id), replaced=True),
                    "changed create-only " + ", ".join(d.replacement_causes),
                    d.cdk_path,
                    ("template",),
                )
            )
    for c in change_set:
        old = old_res.get(c.logical_id)
        new = new_res.get(c.logical_id)
        rtype = _type_of(old) if old is not None else c.resource_type
        level = stateful_level(rtype)
        if level is None:
            continue
        path = cdk_path_of(new) or cdk_path_of(old)
        if c.action == "Remove":
            add(
                Hazard(
                    stack,
                    c.logical_id,
                    rtype,
                    "remove",
                    level,
                    deletion_outcome(old),
                    "removed by the change set",
                    path,
                    ("change set",),
                )
            )
        elif c.action == "Modify" and c.replacement in ("True", "Conditional"):
            reason = (
                "replaced by the change set" if c.replacement == "True" else "may be replaced (Conditional)"
            )
            add(
                Hazard(
                    stack,
                    c.logical_id,
                    rtype,
                    "replace",
                    level,
                    deletion_outcome(new, replaced=True),
                    reason,
                    path,
                    ("change set",),
                )
            )
    return sorted(found.values(), key=lambda h: h.logical_id)
