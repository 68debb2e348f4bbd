"""The before/after state the stateful-change analyzer compares (layer 3: baseline).

Both sides of a comparison have the same shape, whatever they come from: an `AppState` lists
the app's stacks and the constructs worth watching (`TrackedConstruct`: data stores and APIs),
each with its CloudFormation view (`CfnView`: the properties sst-lsp can tell, mapped to their
CloudFormation names) and its removal policy (`Policy`). A git baseline builds its state from
the model of the files at a commit, an assembly or a deployed stage builds it from templates,
and the current code builds it from the live snapshot (see `kinds.app_state`).

Physical names that depend on the stage (SST's `{stage}-{app}-{id}`) hold the placeholder
`STAGE` until a side knows its stage (a template does; code does not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sst_lsp import catalog
from sst_lsp.model.removal import PolicyCall
from sst_lsp.model.types import Value
from sst_lsp.syntax.text import TextRange

#: Stands for the stage inside stage-dependent physical names until the stage is known.
STAGE = "${stage}"

RemovalPolicy = Literal["retain", "destroy", "snapshot"]


@dataclass(frozen=True, slots=True)
class Policy:
    """What CloudFormation does with the physical resource when the logical one goes away."""

    value: RemovalPolicy | None
    """None when it cannot be told statically."""
    source: str
    """Where it comes from, for messages: "its removalPolicy", "aws-cdk-lib's default", ..."""
    explicit: bool = False
    """True when the construct itself sets it (it then also decides a replacement's fate)."""


UNKNOWN_POLICY = Policy(None, "unknown")


@dataclass(frozen=True, slots=True)
class CfnView:
    """The CloudFormation properties of a construct's main resource, as far as they are known."""

    resource_type: str
    props: Mapping[str, Any] = field(default_factory=dict)
    #: Top-level property names whose value *or absence* is known; None: every property is
    #: known (a template). A name in `known` but not in `props` is known to be absent.
    known: frozenset[str] | None = frozenset()
    #: The property that names the physical resource (TableName, BucketName, ...), if any.
    name_key: str | None = None

    @property
    def physical_name(self) -> str | None:
        if self.name_key is None:
            return None
        if self.known is not None and self.name_key not in self.known:
            return None
        v = self.props.get(self.name_key)
        return v if isinstance(v, str) else None

    def knows(self, key: str) -> bool:
        return self.known is None or key in self.known


@dataclass(frozen=True, slots=True)
class TrackedConstruct:
    """A construct whose move, rename, replacement or removal loses something."""

    family: str
    """What it is, independent of how it is written: "dynamodb-table", "http-api", ..."""
    kind: str
    """The class as written ("Table", "Bucket", "DatabaseCluster"), or as inferred from a template."""
    origin: str
    """"sst", a CDK module ("aws-dynamodb"), or "template" when only a template was seen."""
    id: str
    """The id argument as written."""
    cdk_id: str
    """The construct id CDK uses (SST's `cdk.id` overrides the id): logical ids derive from it."""
    stack: str | None
    """The stack id (None: the model cannot tell which stack creates it)."""
    cfn: CfnView | None = None
    policy: Policy = UNKNOWN_POLICY
    logical_id: str | None = None
    props: Value | None = None
    path: Path | None = None
    range: TextRange | None = None
    """The id string's range in `path` (where findings and related information point)."""
    dynamic: bool = False
    """True when the id is computed: such constructs are never matched by id."""
    custom_domain: bool = False
    """For APIs: a custom domain is configured (the public URL survives a recreation)."""

    @property
    def stateful(self) -> bool:
        return self.family in STATEFUL_FAMILIES

    @property
    def is_api(self) -> bool:
        return self.family in API_FAMILIES


@dataclass(frozen=True, slots=True)
class StackState:
    id: str
    #: The stack's definition name (v1/v2 function, v0 class), when the model knows it.
    definition: str | None = None
    #: Where the stack is written: its explicit id, else its definition's name.
    path: Path | None = None
    range: TextRange | None = None
    #: Every top-level construct id in the stack (all kinds): pairs a renamed stack.
    construct_ids: frozenset[str] = frozenset()
    #: The CloudFormation stack name, when a template named it.
    physical_name: str | None = None


@dataclass(frozen=True, slots=True)
class AppState:
    """One app's stacks and tracked constructs at one point in time."""

    root: Path
    name: str | None
    stacks: dict[str, StackState]
    constructs: tuple[TrackedConstruct, ...]
    #: The stage the state belongs to (templates know it; code does not).
    stage: str | None = None
    #: False when the app did not exist in the baseline (nothing to compare).
    exists: bool = True
    #: Where the app is written (entry file), for findings about vanished stacks.
    entry: Path | None = None
    entry_range: TextRange | None = None
    #: SST's `app.setDefaultRemovalPolicy(...)`: it overrides every resource's policy.
    default_policy: Policy | None = None
    #: The app's `setDefaultRemovalPolicy` calls, undecided (a git state serves every stage):
    #: `kinds.policies_at` applies them for a stage.
    policy_calls: tuple[PolicyCall, ...] = ()


STATEFUL_FAMILIES = catalog.stateful_families()
API_FAMILIES = catalog.api_families()

#: How messages name a family's resource and what it holds.
NOUNS: dict[str, tuple[str, str]] = {f.name: (f.noun, f.holds) for f in catalog.FAMILIES}
