"""From model constructs to tracked ones (layer 3: baseline): families, CloudFormation properties
and removal policies.

Which constructs are tracked, and what each maps to:

* SST (v0-v2): Table, Bucket, RDS, KinesisStream, Cognito, Auth (v0 with `cognito`, v1; v2's
  Auth is a set of functions and holds no user pool), Api/GraphQLApi, WebSocketApi,
  AppSyncApi, ApiGatewayV1Api.
* Raw CDK: dynamodb.Table/TableV2/CfnTable, s3.Bucket/CfnBucket, rds clusters and instances,
  cognito.UserPool/CfnUserPool, kinesis.Stream/CfnStream.

SST wraps each in a construct of its own, so its CloudFormation resource sits at
`<stack>/<id>/<inner>/Resource` (inner: "Table", "Bucket", "Cluster", ...), a raw L2 construct's
at `<stack>/<id>/Resource` and an L1's at `<stack>/<id>`; `TEMPLATE_SHAPES` says so for the
template reader.

Removal policies follow SST's sources (packages/resources/src and packages/sst/src/constructs:
SST passes none of its own, so CDK's defaults apply) and aws-cdk-lib's measured defaults:
RETAIN for dynamodb.Table/TableV2, s3.Bucket and cognito.UserPool, SNAPSHOT for RDS clusters and
instances; kinesis.Stream retains since aws-cdk-lib 2.140.0 and was deleted before (unknown here);
L1 `Cfn*` resources have no policy (deleted). `app.setDefaultRemovalPolicy(...)` overrides all
(`stack.setDefaultRemovalPolicy` a stack's), decided per stage by model/removal.py (`policies_at`).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sst_lsp import catalog
from sst_lsp.baseline.state import (
    STAGE,
    UNKNOWN_POLICY,
    AppState,
    CfnView,
    Policy,
    RemovalPolicy,
    StackState,
    TrackedConstruct,
)
from sst_lsp.model.removal import (
    PolicyCall,
    PolicyDecision,
    calls_in_file,
    decide_policies,
    describe,
    read_policy_calls,
)
from sst_lsp.model.types import App, Construct, Generation, Value
from sst_lsp.syntax.parser import ParsedFile
from sst_lsp.syntax.text import TextRange

# ----------------------------------------------------------------------------------------------
# Families.
# ----------------------------------------------------------------------------------------------

#: The CloudFormation type of each family's main resource (TableV2 differs: see `_resource_type`).
RESOURCE_TYPES: dict[str, str] = {f.name: f.resource_type for f in catalog.FAMILIES}

#: How a family's resource sits in a template: (SST kind, SST inner construct id, CDK L2 kind);
#: "" where SST has no such construct.
TEMPLATE_SHAPES: dict[str, tuple[str, str, str]] = {
    f.name: (f.sst_kind, f.sst_inner, f.cdk_kind) for f in catalog.FAMILIES
}

#: aws-cdk-lib's default removal policy per family for L2 constructs (see the module docstring).
CDK_DEFAULT_POLICY: dict[str, RemovalPolicy | None] = {
    f.name: f.cdk_default_policy for f in catalog.FAMILIES if f.stateful
}


def family_of(c: Construct, generation: Generation | None = None) -> str | None:
    """The family of a model construct, or None when it is not tracked."""
    spec = catalog.spec_for(c.origin, c.kind)
    if spec is None or spec.family is None or c.origin == "sst3":
        return None
    # v2's Auth holds functions only; v0's creates a user pool only with `cognito`.
    if generation is not None and generation in spec.family_absent_in:
        return None
    if generation == "v0" and spec.family_v0_requires is not None:
        props = c.props
        return spec.family if props is not None and props.get(spec.family_v0_requires) is not None else None
    return spec.family


def _resource_type(c: Construct, family: str) -> str:
    spec = catalog.spec_for(c.origin, c.kind)
    if spec is not None and spec.resource_type is not None:
        return spec.resource_type
    return RESOURCE_TYPES[family]


# ----------------------------------------------------------------------------------------------
# Reading values.
# ----------------------------------------------------------------------------------------------

_MISSING: Any = object()
_UNKNOWN: Any = object()


def _partial(v: Value | None) -> bool:
    return bool(getattr(v, "partial", False))


def _path(v: Value | None, *keys: str) -> Any:
    """The value at `keys` below an object: a `Value`, `_MISSING` (known to be absent) or
    `_UNKNOWN` (an object on the way could not be evaluated, or holds spreads)."""
    cur = v
    for k in keys:
        if cur is None:
            return _MISSING
        if cur.kind == "null":
            return _MISSING
        if cur.kind != "object":
            return _UNKNOWN
        got = cur.get(k)
        if got is None:
            return _UNKNOWN if _partial(cur) else _MISSING
        cur = got
    return cur


def _first(v: Value | None, *paths: tuple[str, ...]) -> Any:
    """The first of several alternative paths that is present (or unknown)."""
    result: Any = _MISSING
    for p in paths:
        got = _path(v, *p)
        if got is _MISSING:
            continue
        return got
    return result


def _ref_member(v: Value) -> str | None:
    """`RemovalPolicy.DESTROY` / `cdk.RemovalPolicy.DESTROY` -> "DESTROY" (refs only)."""
    if v.kind != "ref" or not v.text:
        return None
    last = v.text.rsplit(".", 1)[-1].strip()
    return last if last.isidentifier() else None


def _plain(v: Value) -> Any:
    """Plain data for a fully evaluated value, else `_UNKNOWN`."""
    if v.kind in ("string", "number", "bool"):
        return v.value
    if v.kind == "null":
        return None
    if v.kind == "array":
        if _partial(v):
            return _UNKNOWN
        items = [_plain(i) for i in v.items]
        return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
    if v.kind == "object":
        if _partial(v):
            return _UNKNOWN
        out = {}
        for e in v.entries:
            p = _plain(e.value)
            if p is _UNKNOWN:
                return _UNKNOWN
            out[e.key] = p
        return out
    return _UNKNOWN


# ----------------------------------------------------------------------------------------------
# Removal policies.
# ----------------------------------------------------------------------------------------------

_POLICY_WORDS: dict[str, RemovalPolicy] = {
    "DESTROY": "destroy",
    "RETAIN": "retain",
    "SNAPSHOT": "snapshot",
    "RETAIN_ON_UPDATE_OR_DELETE": "retain",
}



def policy_value(v: Value) -> RemovalPolicy | None:
    """A removal policy written as `RemovalPolicy.X` or SST's "destroy"/"retain"/"snapshot"."""
    if v.kind == "string" and isinstance(v.value, str):
        return _POLICY_WORDS.get(v.value.upper())
    member = _ref_member(v)
    return _POLICY_WORDS.get(member) if member else None


def _inner_props(c: Construct, family: str) -> Any:
    """The wrapped CDK construct's props of an SST construct (a Value, _MISSING or _UNKNOWN)."""
    return _first(c.props, *catalog.family(family).sst_inner_props)


def construct_policy(c: Construct, family: str, app_default: Policy | None = None) -> Policy:
    """The removal policy that applies to a construct's main resource."""
    if app_default is not None:
        # SST applies the app default to every CloudFormation resource at the end of synth.
        return app_default
    if c.origin == "sst":
        holder = _inner_props(c, family)
        explicit = _path(holder, "removalPolicy") if isinstance(holder, Value) else holder
    else:
        explicit = _path(c.props, "removalPolicy")
    if isinstance(explicit, Value):
        got = policy_value(explicit)
        if got:
            return Policy(got, "its removalPolicy", explicit=True)
        return Policy(None, "its removalPolicy (not statically known)", explicit=True)
    if explicit is _UNKNOWN:
        return UNKNOWN_POLICY
    if c.kind.startswith("Cfn"):
        return Policy("destroy", "CloudFormation's default (no DeletionPolicy on an L1 resource)")
    default = CDK_DEFAULT_POLICY.get(family)
    if default is None:
        if family == "kinesis-stream":
            return Policy(None, "aws-cdk-lib's default (RETAIN since 2.140.0, DESTROY before)")
        return UNKNOWN_POLICY
    return Policy(default, f"aws-cdk-lib's default for {c.kind}" if c.origin != "sst"
                  else f"aws-cdk-lib's default (SST's {c.kind} sets none)")


def app_default_policy(pf: ParsedFile | None, stage: str | None = None) -> Policy | None:
    """SST's `app.setDefaultRemovalPolicy(x)` in an app's entry file at `stage`, if called
    (model/removal.py decides it, as the embedded synth does). Without a stage, a call under a
    condition or with a conditional argument is not decided."""
    if pf is None:
        return None
    calls = calls_in_file(pf, Path("entry"), (), True)
    if not calls:
        return None
    if stage is None and calls[-1].conditional:
        return Policy(None, "the app's setDefaultRemovalPolicy (depends on an expression)")
    decision = decide_policies(calls, stage)
    if decision.app is not None:
        return _default_source(decision, None, stage)
    if decision.undecided:
        return Policy(None, "the app's setDefaultRemovalPolicy (depends on an expression)")
    return None


def _default_source(decision: PolicyDecision, stack: str | None, stage: str | None) -> Policy:
    value: Any = decision.for_stack(stack)
    call = decision.source(stack)
    who = f'stack "{call.stack}"\'s' if call is not None and call.stack is not None else "the app's"
    source = f"{who} setDefaultRemovalPolicy"
    if call is not None and call.condition:
        source += f" under `{call.condition}` at stage \"{stage}\""
    return Policy(value, source)


def policies_at(state: AppState, stage: str | None) -> AppState:
    """`state` with the removal policies its `setDefaultRemovalPolicy` calls set at `stage`
    (decided as the embedded synth decides them). A call that cannot be decided is left out,
    as the templates leave it out: each resource keeps its own policy, and the message says so."""
    if not state.policy_calls:
        return state
    decision = decide_policies(state.policy_calls, stage)
    changed = []
    for t in state.constructs:
        if not t.stateful:
            changed.append(t)
            continue
        if decision.for_stack(t.stack) is not None:
            changed.append(replace(t, policy=_default_source(decision, t.stack, stage)))
            continue
        left_out = decision.undecided_for(t.stack)
        if left_out:
            note = (f"; setDefaultRemovalPolicy at {describe(left_out)} is left out, as in the templates: "
                    "it cannot be decided statically")
            changed.append(replace(t, policy=replace(t.policy, source=t.policy.source + note)))
            continue
        changed.append(t)
    return replace(state, constructs=tuple(changed), default_policy=_app_policy(decision, stage))


def _app_policy(decision: PolicyDecision, stage: str | None) -> Policy | None:
    return _default_source(decision, None, stage) if decision.app is not None else None


# ----------------------------------------------------------------------------------------------
# CloudFormation properties.
# ----------------------------------------------------------------------------------------------

_ATTR_TYPES = {"STRING": "S", "NUMBER": "N", "BINARY": "B"}


def _attr_type(v: Any) -> str | None:
    """"string" (v1/v2 fields), `TableFieldType.STRING` (v0), `AttributeType.STRING` (CDK)."""
    if not isinstance(v, Value):
        return None
    if v.kind == "string" and isinstance(v.value, str):
        return _ATTR_TYPES.get(v.value.upper())
    member = _ref_member(v)
    return _ATTR_TYPES.get(member) if member else None


def _str(v: Any) -> str | None:
    return v.value if isinstance(v, Value) and v.kind == "string" and isinstance(v.value, str) else None


class _Props:
    """Collects known CloudFormation properties."""

    def __init__(self) -> None:
        self.props: dict[str, Any] = {}
        self.known: set[str] = set()

    def name(self, key: str, v: Any, sst_default: str | None = None, sst: bool = False) -> None:
        """A physical-name property: a string, or absent (then CloudFormation names the resource,
        or for SST constructs SST does: `sst_default`, unknown when the app's name is)."""
        if v is _MISSING:
            if sst_default is not None:
                self.props[key] = sst_default
                self.known.add(key)
            elif not sst:
                self.known.add(key)
        elif _str(v) is not None:
            self.props[key] = _str(v)
            self.known.add(key)

    def scalar(self, key: str, v: Any, absent_known: bool = True) -> None:
        if v is _MISSING:
            if absent_known:
                self.known.add(key)
        elif isinstance(v, Value) and v.kind in ("string", "number", "bool"):
            self.props[key] = v.value
            self.known.add(key)


def _keys(p: _Props, pk: tuple[Any, Any], sk: tuple[Any, Any] | None) -> None:
    """KeySchema and the key attributes' definitions from (name, type) pairs."""
    pk_name = _str(pk[0])
    if pk_name is None:
        return
    schema = [{"AttributeName": pk_name, "KeyType": "HASH"}]
    defs = [{"AttributeName": pk_name, "AttributeType": _attr_type(pk[1])}]
    if sk is not None:
        sk_name = _str(sk[0])
        if sk_name is None:
            return
        schema.append({"AttributeName": sk_name, "KeyType": "RANGE"})
        defs.append({"AttributeName": sk_name, "AttributeType": _attr_type(sk[1])})
    p.props["KeySchema"] = schema
    p.known.add("KeySchema")
    if all(d["AttributeType"] for d in defs):
        p.props["AttributeDefinitions"] = defs
        p.known.add("AttributeDefinitions")


def _sst_default_name(app_name: str | None, cdk_id: str) -> str | None:
    """SST's `app.logicalPrefixedName(id)`: `{stage}-{app}-{id}`."""
    if app_name is None:
        return None
    return catalog.prefixed_name(STAGE, app_name, cdk_id) if app_name else f"{STAGE}-{cdk_id}"


def _pascal(data: Any) -> Any:
    """An L1 construct's camelCase props as CloudFormation's PascalCase properties."""
    if isinstance(data, dict):
        return {(k[:1].upper() + k[1:]): _pascal(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_pascal(i) for i in data]
    return data


def cfn_view(c: Construct, family: str, app_name: str | None, cdk_id: str) -> CfnView:
    """The CloudFormation properties a construct's main resource will have, where they are known."""
    rtype = _resource_type(c, family)
    p = _Props()
    props = c.props
    name_key: str | None = None
    if c.kind.startswith("Cfn"):
        # L1 props are CloudFormation's properties in camelCase.
        if props is not None and props.kind == "object" and not _partial(props):
            for e in props.entries:
                plain = _plain(e.value)
                key = e.key[:1].upper() + e.key[1:]
                p.known.add(key)
                if plain is not _UNKNOWN:
                    p.props[key] = _pascal(plain)
                else:
                    p.known.discard(key)
            # Every property not written is known to be absent.
            p.known |= _create_only_keys(rtype) - set(p.props) - _unknown_keys(props)
        name_key = NAME_KEYS.get(rtype)
        return CfnView(rtype, p.props, frozenset(p.known), name_key)

    if family == "dynamodb-table":
        name_key = "TableName"
        if c.origin == "sst":
            inner = _inner_props(c, family)
            fields = _path(props, "fields")
            pi = _path(props, "primaryIndex")
            if isinstance(fields, Value) and isinstance(pi, Value) and pi.kind == "object":
                pk = _path(pi, "partitionKey")
                sk = _path(pi, "sortKey")
                if isinstance(pk, Value) and sk is not _UNKNOWN:
                    pk_name, sk_name = _str(pk), _str(sk)
                    pk_type = _path(fields, pk_name) if pk_name else _UNKNOWN
                    sk_pair = None
                    if isinstance(sk, Value):
                        sk_pair = (sk, _path(fields, sk_name) if sk_name else _UNKNOWN)
                    _keys(p, (pk, pk_type), sk_pair)
            if isinstance(inner, Value) or inner is _MISSING:
                p.name("TableName", _path(inner, "tableName") if isinstance(inner, Value) else _MISSING,
                       sst_default=_sst_default_name(app_name, cdk_id), sst=True)
        else:
            pk = _path(props, "partitionKey")
            sk = _path(props, "sortKey")
            if isinstance(pk, Value) and sk is not _UNKNOWN:
                _keys(
                    p,
                    (_path(pk, "name"), _path(pk, "type")),
                    (_path(sk, "name"), _path(sk, "type")) if isinstance(sk, Value) else None,
                )
            p.name("TableName", _path(props, "tableName"))
    elif family == "s3-bucket":
        name_key = "BucketName"
        if c.origin == "sst":
            inner = _inner_props(c, family)
            explicit = _path(props, "name")
            if explicit is _MISSING and isinstance(inner, Value):
                explicit = _path(inner, "bucketName")
            elif explicit is _MISSING and inner is _UNKNOWN:
                explicit = _UNKNOWN
            p.name("BucketName", explicit)
        else:
            p.name("BucketName", _path(props, "bucketName"))
    elif family == "rds-cluster":
        name_key = "DBClusterIdentifier"
        if c.origin == "sst":
            inner = _inner_props(c, family)
            ident = _path(inner, "clusterIdentifier") if isinstance(inner, Value) else inner
            p.name("DBClusterIdentifier", ident, sst_default=_sst_default_name(app_name, cdk_id), sst=True)
            p.scalar("DatabaseName", _path(props, "defaultDatabaseName"))
            engine = _str(_path(props, "engine"))
            if engine:
                p.props["Engine"] = _sst_rds_engine(engine)
                p.known.add("Engine")
        else:
            p.name("DBClusterIdentifier", _path(props, "clusterIdentifier"))
            p.scalar("DatabaseName", _path(props, "defaultDatabaseName"))
            p.scalar("StorageEncrypted", _path(props, "storageEncrypted"), absent_known=False)
            engine = _path(props, "engine")
            if isinstance(engine, Value):
                member = _ref_member(engine)
                if member in _CDK_CLUSTER_ENGINES:
                    p.props["Engine"] = _CDK_CLUSTER_ENGINES[member]
                    p.known.add("Engine")
        if isinstance(p.props.get("DBClusterIdentifier"), str):
            # RDS keeps identifiers in lowercase (and CDK lowercases them).
            p.props["DBClusterIdentifier"] = p.props["DBClusterIdentifier"].lower()
    elif family == "rds-instance":
        name_key = "DBInstanceIdentifier"
        p.name("DBInstanceIdentifier", _path(props, "instanceIdentifier"))
        if isinstance(p.props.get("DBInstanceIdentifier"), str):
            p.props["DBInstanceIdentifier"] = p.props["DBInstanceIdentifier"].lower()
        p.scalar("DBName", _path(props, "databaseName"))
        p.scalar("StorageEncrypted", _path(props, "storageEncrypted"), absent_known=False)
    elif family == "kinesis-stream":
        name_key = "Name"
        if c.origin == "sst":
            inner = _inner_props(c, family)
            name = _path(inner, "streamName") if isinstance(inner, Value) else inner
            p.name("Name", name, sst_default=_sst_default_name(app_name, cdk_id), sst=True)
        else:
            p.name("Name", _path(props, "streamName"))
    elif family == "cognito-userpool":
        name_key = None
        _sign_in(p, c)
    return CfnView(rtype, p.props, frozenset(p.known), name_key)


def _unknown_keys(props: Value) -> set[str]:
    return {e.key[:1].upper() + e.key[1:] for e in props.entries if _plain(e.value) is _UNKNOWN}


@functools.cache
def _create_only_keys(rtype: str) -> frozenset[str]:
    """Top-level property names whose change may replace a resource of this type (schema and
    supplement), loaded from cfn-lint on first use."""
    from sst_lsp.model.cfn import SUPPLEMENT, create_only_properties

    keys = {p.removeprefix("/properties/").split("/")[0] for p in create_only_properties(rtype)}
    keys |= {r.prop.split(" ")[0] for r in SUPPLEMENT if r.resource_type == rtype}
    return frozenset(keys)


#: The physical-name property of each tracked CloudFormation type.
NAME_KEYS: dict[str, str] = {
    rtype: name_key
    for rtype, fam in catalog.family_for_type().items()
    if (name_key := catalog.family(fam).name_key) is not None
}

#: `rds.DatabaseClusterEngine.X` constants -> CloudFormation's Engine.
_CDK_CLUSTER_ENGINES = {"AURORA": "aurora", "AURORA_MYSQL": "aurora-mysql", "AURORA_POSTGRESQL": "aurora-postgresql"}


def _sst_rds_engine(engine: str) -> str:
    """SST's RDS `engine` ("mysql5.6", "mysql5.7", "postgresql11.13", ...) -> CloudFormation Engine."""
    e = engine.lower()
    if e.startswith("mysql5.6"):
        return "aurora"
    if e.startswith("mysql"):
        return "aurora-mysql"
    if e.startswith("postgres"):
        return "aurora-postgresql"
    return e


def _sign_in(p: _Props, c: Construct) -> None:
    """UsernameAttributes / AliasAttributes from SST's `login` or CDK's `signInAliases`."""
    props = c.props
    aliases: dict[str, bool] | None = None
    if c.origin == "sst":
        login = _path(props, "login")
        if isinstance(login, Value):
            plain = _plain(login)
            if not isinstance(plain, list) or not all(isinstance(x, str) for x in plain):
                return
            aliases = {
                "username": "username" in plain,
                "email": "email" in plain,
                "phone": "phone" in plain,
                "preferredUsername": "preferredUsername" in plain,
            }
        elif login is _UNKNOWN:
            return
        else:
            holder = _first(props, ("cdk", "userPool"), ("cognito", "userPool"))
            sia = _path(holder, "signInAliases") if isinstance(holder, Value) else holder
            if sia is _UNKNOWN:
                return
            aliases = _aliases(sia)
    else:
        sia = _path(props, "signInAliases")
        if sia is _UNKNOWN:
            return
        aliases = _aliases(sia)
    if aliases is None:
        return
    # aws-cdk-lib's UserPool: with username sign-in the others are aliases, else they are the
    # username attributes.
    if aliases.get("username"):
        alias_attrs = [a for k, a in (("email", "email"), ("phone", "phone_number"),
                                      ("preferredUsername", "preferred_username")) if aliases.get(k)]
        if alias_attrs:
            p.props["AliasAttributes"] = alias_attrs
    else:
        user_attrs = [a for k, a in (("email", "email"), ("phone", "phone_number")) if aliases.get(k)]
        if user_attrs:
            p.props["UsernameAttributes"] = user_attrs
    p.known |= {"AliasAttributes", "UsernameAttributes"}


def _aliases(sia: Any) -> dict[str, bool] | None:
    if sia is _MISSING:
        return {"username": True}  # aws-cdk-lib's default: `{ username: true }`.
    if not isinstance(sia, Value):
        return None
    plain = _plain(sia)
    if not isinstance(plain, dict):
        return None
    return {k: bool(v) for k, v in plain.items()}


# ----------------------------------------------------------------------------------------------
# Constructs and apps.
# ----------------------------------------------------------------------------------------------


def cdk_id_of(c: Construct) -> str:
    """SST v1/v2 constructs take `cdk.id` as their construct id instead of the id argument."""
    if c.origin == "sst" and not c.dynamic_id:
        got = _str(_path(c.props, "cdk", "id"))
        if got:
            return got
    return c.id


def _imported(c: Construct, family: str) -> bool:
    """An SST construct wrapping an existing CDK construct (`cdk.table: Table.fromTableName(...)`)
    creates nothing: it is not tracked."""
    if c.origin != "sst":
        return False
    inner = _inner_props(c, family)
    return isinstance(inner, Value) and inner.kind in ("ref", "unknown")


def track(c: Construct, app_name: str | None, generation: Generation | None,
          app_default: Policy | None = None) -> TrackedConstruct | None:
    """The tracked form of a model construct, or None when it is not tracked."""
    family = family_of(c, generation)
    if family is None or c.origin == "sst3" or _imported(c, family):
        return None
    cdk_id = cdk_id_of(c)
    stateful = catalog.family(family).stateful
    custom_domain = False
    if not stateful:
        custom_domain = _path(c.props, "customDomain") is not _MISSING
    return TrackedConstruct(
        family=family,
        kind=c.kind,
        origin=c.origin,
        id=c.id,
        cdk_id=cdk_id,
        stack=c.stack,
        cfn=cfn_view(c, family, app_name, cdk_id) if stateful else None,
        policy=construct_policy(c, family, app_default) if stateful else UNKNOWN_POLICY,
        props=c.props,
        path=c.path,
        range=c.id_range,
        dynamic=c.dynamic_id,
        custom_domain=custom_domain,
    )


class TrackCache:
    """`track` results by construct identity, bounded (least recently used out).

    Extraction reuses unchanged constructs as the same objects from one edit to the next, so an
    entry is valid while `cached construct is construct` and the other arguments are equal; the
    model's constructs are immutable. Entries hold their construct, so an id is never reused
    while its entry lives. Thread-safe.
    """

    def __init__(self, maxsize: int = 8192) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._entries: OrderedDict[
            int, tuple[Construct, str | None, Generation | None, Policy | None, TrackedConstruct | None]
        ] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def track(self, c: Construct, app_name: str | None, generation: Generation | None,
              app_default: Policy | None = None) -> TrackedConstruct | None:
        """`track(...)`, computed once per (construct object, arguments)."""
        key = id(c)
        with self._lock:
            got = self._entries.get(key)
            if got is not None and got[0] is c and got[1] == app_name and got[2] == generation \
                    and got[3] == app_default:
                self._entries.move_to_end(key)
                return got[4]
        result = track(c, app_name, generation, app_default)
        with self._lock:
            self._entries[key] = (c, app_name, generation, app_default, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return result


_DEFAULT: Any = object()


def app_state(app: App, default_policy: Policy | None = None, entry_pf: ParsedFile | None = None,
              cache: TrackCache | None = _DEFAULT,
              parsed: Callable[[Path], ParsedFile | None] | None = None) -> AppState:
    """The state of an app from its model (the current code, or a git baseline's model).

    `default_policy` applies to every construct. Otherwise, with `parsed` (a file's parse) or
    `entry_pf` (the entry file's), the app's `setDefaultRemovalPolicy` calls are read into
    `AppState.policy_calls`, for `policies_at` to decide at a stage.
    `cache` (the analysis host's; default and None: no cache) keeps per-construct results
    between calls, so an edit re-tracks only the constructs it changed.
    """
    if cache is _DEFAULT:
        cache = None  # No module-level cache: the analysis host owns one and passes it in.
    track_one = cache.track if cache is not None else track
    policy_calls: tuple[PolicyCall, ...] = ()
    if default_policy is None and (parsed is not None or entry_pf is not None):
        read = parsed if parsed is not None else (lambda p: entry_pf if p == app.entry else None)
        policy_calls = read_policy_calls(app, read)
    ids_by_stack: dict[str, set[str]] = {}
    for c in app.constructs:
        if c.stack is not None and not c.dynamic_id:
            ids_by_stack.setdefault(c.stack, set()).add(cdk_id_of(c))
    stacks: dict[str, StackState] = {}
    for s in app.stacks:
        path: Path | None = None
        rng: TextRange | None = None
        reg = s.registration
        if reg is not None and reg.explicit_id is not None and reg.id_range is not None:
            path, rng = reg.path, reg.id_range
        elif s.definition is not None:
            path, rng = s.definition.path, s.definition.name_range
        elif reg is not None:
            path, rng = reg.path, reg.range
        stacks.setdefault(
            s.id,
            StackState(
                id=s.id,
                definition=s.definition.name if s.definition is not None else None,
                path=path,
                range=rng,
                construct_ids=frozenset(ids_by_stack.get(s.id, ())),
                physical_name=s.stack_name,
            ),
        )
    tracked = tuple(
        t for c in app.constructs if (t := track_one(c, app.name, app.generation, default_policy)) is not None
    )
    entry_range = None
    if app.entry is not None:
        regs = [s.registration for s in app.stacks if s.registration is not None and s.registration.path == app.entry]
        entry_range = regs[0].range if regs else TextRange.of(0, 0, 0, 0)
    return AppState(
        root=app.root,
        name=app.name,
        stacks=stacks,
        constructs=tracked,
        entry=app.entry,
        entry_range=entry_range,
        default_policy=default_policy,
        policy_calls=policy_calls,
    )
