"""Stateful changes against a baseline (layer 3: analyzers): moves, renames, replacements and
removals that lose data or change a public endpoint once the app is deployed.

The baseline (`ctx.baselines[app.root]`, else `ctx.baseline`; see sst_lsp/baseline) gives the
app's state before the edit; the current state comes from the snapshot through the same
`baseline.kinds.app_state`. Constructs pair up in this order:

1. same family (what the resource is), same CDK id, same stack: a replacement check on the
   CloudFormation properties both sides know (cfn-lint's create-only properties plus
   `model/cfn.py`'s supplement);
2. same family and CDK id in another stack: moved (a renamed stack counts as a move of each
   construct in it);
3. same family and CDK id where the model cannot tell a stack: left alone;
4. same family and stack, a new id: renamed (equal properties first, else one left on each side);
5. what is left of the baseline's data stores: removed.

Findings sit on the construct's id string in the current code; `related` points at the old
location when the baseline has one (a git baseline does; templates do not, then the old stack's
definition in the current code is named instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.baseline.kinds import app_state, policies_at
from sst_lsp.baseline.state import NOUNS, STAGE, AppState, Policy, StackState, TrackedConstruct
from sst_lsp.model.types import Finding, Related

CODES: dict[str, CodeInfo] = {
    "stateful-construct-moved": CodeInfo(
        "stateful-construct-moved",
        "warning",
        "A data store moved to another stack than the one it is deployed in.",
        doc=(
            "Rule: CloudFormation cannot move a resource between stacks. Deploying a Table, "
            "Bucket, RDS cluster, KinesisStream or Cognito user pool that now sits in another "
            "stack creates a new, empty one there, and removes the old one from its stack: it is "
            "deleted with its data, or orphaned when a RETAIN removal policy applies (aws-cdk-lib's "
            "default for DynamoDB tables, S3 buckets and user pools; SST's constructs set none, "
            "and `app.setDefaultRemovalPolicy` overrides all). Names SST derives as "
            "`{stage}-{app}-{id}` stay the same, so the new resource cannot be created while the "
            "old one exists.\n\n"
            "Example: `new Table(stack, \"Notes\", ...)` moved from StorageStack to a new "
            "DataStack, wired with `use(DataStack)`.\n\n"
            "Fix: keep the construct in its stack and share it through the stack's return value "
            "and `use()`; to really move it, migrate the data (or import the retained resource) "
            "deliberately."
        ),
    ),
    "stateful-construct-renamed": CodeInfo(
        "stateful-construct-renamed",
        "warning",
        "A data store's construct id changed: CloudFormation replaces it.",
        doc=(
            "Rule: the construct id (or SST's `cdk.id`) is the source of the CloudFormation "
            "logical id. A new id is a new resource: deploying creates an empty one and deletes "
            "(or orphans) the old one with its data.\n\n"
            "Example: `new Table(stack, \"Notes\")` renamed to `new Table(stack, \"NotesTable\")`.\n\n"
            "Fix: keep the old id (SST v1/v2 constructs accept `cdk: { id: \"Notes\" }` to keep the "
            "CDK id while renaming in code)."
        ),
    ),
    "stateful-construct-replaced": CodeInfo(
        "stateful-construct-replaced",
        "warning",
        "A property change forces CloudFormation to replace a data store.",
        doc=(
            "Rule: some properties cannot change in place (cfn-lint's createOnlyProperties, plus "
            "documented cases such as a DynamoDB table's key schema). Changing one makes "
            "CloudFormation create a new resource and delete (or orphan) the old one with its "
            "data; a resource with a fixed name cannot be replaced at all, so the deploy fails.\n\n"
            "Example: a Table's `primaryIndex.partitionKey` changed from \"userId\" to \"id\", or an "
            "explicit `bucketName` changed.\n\n"
            "Fix: create a new construct next to the old one and migrate the data, or revert."
        ),
    ),
    "stateful-construct-removed": CodeInfo(
        "stateful-construct-removed",
        "warning",
        "A deployed data store is gone from the code.",
        doc=(
            "Rule: deleting the construct deletes the resource and its data on the next deploy "
            "(or orphans it under a RETAIN removal policy). Reported on the stack it was in, or on "
            "the app's entry when the stack went too (that stack then stays deployed until it is "
            "removed).\n\n"
            "Example: `new Bucket(stack, \"Uploads\")` deleted from StorageStack.\n\n"
            "Fix: restore it, or make sure the data is no longer needed (set a RETAIN removal "
            "policy first to keep it)."
        ),
    ),
    "api-endpoint-changed": CodeInfo(
        "api-endpoint-changed",
        "information",
        "An API moved or was renamed: it gets a new URL.",
        doc=(
            "Rule: an Api, WebSocketApi, AppSyncApi or GraphQLApi that moves to another stack or "
            "gets a new id is deployed as a new API with a new endpoint URL; the old one is "
            "deleted. Clients using the old URL break (a custom domain must be moved over).\n\n"
            "Example: `new Api(stack, \"Api\")` moved from ApiStack to a new RestStack.\n\n"
            "Fix: keep the API where it is, or update the clients (use a custom domain for a "
            "stable URL)."
        ),
    ),
    "stack-renamed": CodeInfo(
        "stack-renamed",
        "warning",
        "A stack's id changed: it deploys as a new stack and every resource in it is recreated.",
        doc=(
            "Rule: SST names the CloudFormation stack `{stage}-{app}-{id}`. A new id is a new "
            "stack: deploying creates all of its resources anew (empty tables and buckets, new "
            "API URLs), while the old stack stays deployed until it is removed; fixed resource "
            "names then clash.\n\n"
            "Example: `export function StorageStack` renamed to `export function Storage` (v1/v2), "
            "or `app.stack(Storage, { id: \"data\" })` changed.\n\n"
            "Fix: keep the id (v2: pass the old one as `{ id }`), or plan the migration."
        ),
    ),
}

#: Friendly labels of CloudFormation properties in replacement messages.
_PROP_LABELS = {
    "KeySchema": "the primary key (KeySchema)",
    "AttributeDefinitions (key attribute type)": "a key attribute's type",
    "LocalSecondaryIndexes": "the local secondary indexes",
    "TableName": "the table name",
    "BucketName": "the bucket name",
    "DBClusterIdentifier": "the cluster identifier",
    "DBInstanceIdentifier": "the instance identifier",
    "DatabaseName": "the default database name",
    "DBName": "the database name",
    "Engine": "the database engine",
    "StorageEncrypted": "storage encryption",
    "Name": "the stream name",
    "UsernameAttributes": "the sign-in attributes (UsernameAttributes)",
    "AliasAttributes": "the sign-in aliases (AliasAttributes)",
    "Type": "the resource type",
    "construct": "the construct class (the resource's construct path, so its logical id)",
}


def analyze(ctx: AnalysisContext) -> Iterator[Finding]:
    for app in ctx.snapshot.apps:
        if app.generation == "v3":
            continue
        baseline = ctx.baselines.get(app.root, ctx.baseline)
        if baseline is None:
            continue
        old = baseline.app(app.root)
        if old is None or not old.exists:
            continue
        # The baseline's `setDefaultRemovalPolicy` calls, decided for the stage the way the
        # embedded synth decides them for the templates.
        old = policies_at(old, old.stage or ctx.stage)
        new = app_state(app, cache=ctx.track_cache)
        yield from compare(old, new, baseline.description, ctx.stage)


# ----------------------------------------------------------------------------------------------
# Comparison.
# ----------------------------------------------------------------------------------------------


def _sub(value: Any, stage: str | None) -> Any:
    """Replaces the stage placeholder in (nested) values when the stage is known."""
    if stage is None:
        return value
    if isinstance(value, str):
        return value.replace(STAGE, stage)
    if isinstance(value, dict):
        return {k: _sub(v, stage) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v, stage) for v in value]
    return value


def _phys_stack(app: AppState, s: StackState, stage: str | None) -> str:
    name = s.physical_name or (f"{STAGE}-{app.name}-{s.id}" if app.name else f"{STAGE}-{s.id}")
    return _sub(name, stage)  # type: ignore[no-any-return]


def replacement_causes(o: TrackedConstruct, n: TrackedConstruct, stage: str | None) -> list[str]:
    """The CloudFormation properties whose change (baseline -> now) replaces the resource."""
    from sst_lsp.model.cfn import replacement_causes as cfn_causes

    if o.cfn is None or n.cfn is None:
        return []
    if o.cfn.resource_type != n.cfn.resource_type:
        return ["Type"]
    if _shape(o) != _shape(n):
        return ["construct"]
    if o.cfn.known is None and n.cfn.known is None:
        keys = set(o.cfn.props) | set(n.cfn.props)
    elif o.cfn.known is None:
        keys = set(n.cfn.known or ())
    elif n.cfn.known is None:
        keys = set(o.cfn.known)
    else:
        keys = set(o.cfn.known) & set(n.cfn.known)
    old_p = {k: _sub(v, stage) for k, v in o.cfn.props.items() if k in keys}
    new_p = {k: _sub(v, stage) for k, v in n.cfn.props.items() if k in keys}
    if stage is None:
        # Neither side knows the stage: a name that is stage-dependent on one side only may
        # still be equal for some stage; only compare names both write alike.
        for k in list(keys):
            ov, nv = old_p.get(k), new_p.get(k)
            if isinstance(ov, str) and isinstance(nv, str) and (STAGE in ov) != (STAGE in nv):
                old_p.pop(k, None)
                new_p.pop(k, None)
    if old_p == new_p:
        return []  # Nothing changed (and cfn-lint's schemas need not even be loaded).
    causes = cfn_causes(n.cfn.resource_type, old_p, new_p)
    for rtype, prop in EXTRA_REPLACEMENTS:
        if (rtype == n.cfn.resource_type and prop in keys and prop not in causes
                and old_p.get(prop) != new_p.get(prop)):
            causes.append(prop)
    return causes


def _shape(t: TrackedConstruct) -> str:
    """Where the resource sits below the construct id: SST wraps it (`<id>/Table/Resource`), a
    CDK L2 construct holds it (`<id>/Resource`), an L1 construct is it (`<id>`). Another shape
    is another construct path, so another logical id."""
    if t.origin == "sst":
        return "sst"
    return "l1" if t.kind.startswith("Cfn") else "l2"


#: Replacements neither cfn-lint's schemas nor model/cfn.py's SUPPLEMENT list yet, with
#: CloudFormation's documentation saying "Update requires: Replacement" (to move to SUPPLEMENT).
EXTRA_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbcluster.html#cfn-rds-dbcluster-engine
    ("AWS::RDS::DBCluster", "Engine"),
)


def _pair_stacks(old: AppState, new: AppState) -> tuple[dict[str, str], dict[str, str]]:
    """(aliases, renames): old stack id -> new stack id. An alias is the same CloudFormation
    stack under another id (an explicit, unchanged stack name); a rename is a new stack."""
    removed = [s for s in old.stacks if s not in new.stacks]
    added = [s for s in new.stacks if s not in old.stacks]
    aliases: dict[str, str] = {}
    renames: dict[str, str] = {}
    for o in removed:
        for n in added:
            if n in aliases.values():
                continue
            if _phys_stack(old, old.stacks[o], old.stage) == _phys_stack(new, new.stacks[n], old.stage):
                aliases[o] = n
                break
    removed = [o for o in removed if o not in aliases]
    added = [n for n in added if n not in aliases.values()]
    for o in removed:
        od = old.stacks[o].definition
        if od is None:
            continue
        same = [n for n in added if new.stacks[n].definition == od and n not in renames.values()]
        if len(same) == 1:
            renames[o] = same[0]
    removed = [o for o in removed if o not in renames]
    added = [n for n in added if n not in renames.values()]
    scored = []
    for o in removed:
        a = old.stacks[o].construct_ids
        for n in added:
            b = new.stacks[n].construct_ids
            common = len(a & b)
            if common and common / min(len(a), len(b)) >= 0.5:
                scored.append((-common / min(len(a), len(b)), -common, o, n))
    for _, _, o, n in sorted(scored):
        if o not in renames and n not in renames.values():
            renames[o] = n
    return aliases, renames


def _where(t: TrackedConstruct) -> str:
    return f'stack "{t.stack}"' if t.stack else "its stack"


def _outcome(p: Policy, holds: str) -> str:
    if p.value == "retain":
        return f"orphaned: it stays in the account with {holds}, outside any stack (RETAIN: {p.source})"
    if p.value == "snapshot":
        return f"deleted after a final snapshot (SNAPSHOT: {p.source})"
    if p.value == "destroy":
        return f"deleted with {holds} (DESTROY: {p.source})"
    return f"deleted with {holds}, unless a RETAIN removal policy applies ({p.source})"


def _name(t: TrackedConstruct, stage: str) -> str | None:
    if t.cfn is None:
        return None
    got = t.cfn.physical_name
    return _sub(got, stage) if got else None


def _related(o: TrackedConstruct, desc: str, what: str) -> tuple[Related, ...]:
    if o.path is not None and o.range is not None:
        return (Related(o.path, o.range, f"{what} at {desc}"),)
    return ()


def _stack_related(new: AppState, stack_id: str | None, what: str) -> tuple[Related, ...]:
    s = new.stacks.get(stack_id) if stack_id else None
    if s is not None and s.path is not None and s.range is not None:
        return (Related(s.path, s.range, what),)
    return ()


def compare(old: AppState, new: AppState, desc: str, stage: str = "dev") -> list[Finding]:
    """The findings for an app whose baseline state is `old` and current state `new`."""
    out: list[Finding] = []
    aliases, renames = _pair_stacks(old, new)
    names_stage = old.stage or stage
    for o_id, n_id in renames.items():
        s = new.stacks[n_id]
        if s.path is None or s.range is None:
            continue
        o_phys = _phys_stack(old, old.stacks[o_id], names_stage)
        n_phys = _phys_stack(new, s, names_stage)
        old_s = old.stacks[o_id]
        related = (
            (Related(old_s.path, old_s.range, f'stack "{o_id}" at {desc}'),)
            if old_s.path is not None and old_s.range is not None
            else ()
        )
        out.append(
            Finding(
                s.path, s.range, CODES["stack-renamed"].severity, "stack-renamed",
                f'Stack id changed from "{o_id}" to "{n_id}" (baseline {desc}): SST deploys it as a '
                f'new CloudFormation stack "{n_phys}" and creates every resource in it anew (empty '
                f'tables and buckets, new API URLs); the old stack "{o_phys}" stays deployed until '
                "it is removed, and resources with fixed names clash with its copies.",
                related=related,
                data={"oldStack": o_id, "newStack": n_id, "baseline": desc},
            )
        )

    def norm(stack: str | None) -> str | None:
        return aliases.get(stack, stack) if stack is not None else None

    olds = [o for o in old.constructs if not o.dynamic]
    news = [n for n in new.constructs if not n.dynamic]
    used_o: set[int] = set()
    used_n: set[int] = set()

    # 1. Same family, CDK id and stack.
    by_key: dict[tuple[str, str, str | None], list[int]] = {}
    for i, o in enumerate(olds):
        by_key.setdefault((o.family, o.cdk_id, norm(o.stack)), []).append(i)
    for j, n in enumerate(news):
        cands = by_key.get((n.family, n.cdk_id, n.stack))
        if not cands:
            continue
        o = olds[cands[0]]
        used_o.update(cands)
        used_n.add(j)
        if n.stateful:
            f = _replaced(o, n, desc, stage, old.stage)
            if f is not None:
                out.append(f)

    # 2. Same family and CDK id, another stack: moved.
    for j, n in enumerate(news):
        if j in used_n or n.stack is None:
            continue
        for i, o in enumerate(olds):
            if i in used_o or o.stack is None or o.family != n.family or o.cdk_id != n.cdk_id:
                continue
            used_o.add(i)
            used_n.add(j)
            renamed_to = renames.get(o.stack)
            # A stack that left the app (renamed or deleted) stays deployed: deploys skip it.
            gone = norm(o.stack) not in new.stacks
            f = _moved(o, n, desc, stage, old, new, renamed_to, gone)
            if f is not None:
                out.append(f)
            break

    # 3. Same family and CDK id where a stack is unknown: nothing to say.
    for j, n in enumerate(news):
        if j in used_n:
            continue
        for i, o in enumerate(olds):
            if i not in used_o and o.family == n.family and o.cdk_id == n.cdk_id and (
                o.stack is None or n.stack is None
            ):
                used_o.add(i)
                used_n.add(j)
                break

    # 4. Same family and stack, new id: renamed.
    groups_o: dict[tuple[str, str], list[int]] = {}
    groups_n: dict[tuple[str, str], list[int]] = {}
    for i, o in enumerate(olds):
        stack = norm(o.stack)
        if i not in used_o and stack is not None:
            groups_o.setdefault((o.family, stack), []).append(i)
    for j, n in enumerate(news):
        if j not in used_n and n.stack is not None:
            groups_n.setdefault((n.family, n.stack), []).append(j)
    for key, o_idx in groups_o.items():
        n_idx = groups_n.get(key, [])
        if not n_idx:
            continue
        pairs: list[tuple[int, int]] = []
        for i in list(o_idx):
            for j in list(n_idx):
                if _same_props(olds[i], news[j], old.stage):
                    pairs.append((i, j))
                    o_idx.remove(i)
                    n_idx.remove(j)
                    break
        if len(o_idx) == 1 and len(n_idx) == 1:
            pairs.append((o_idx[0], n_idx[0]))
        for i, j in pairs:
            used_o.add(i)
            used_n.add(j)
            f = _renamed(olds[i], news[j], desc, stage, old.stage)
            if f is not None:
                out.append(f)

    # 5. Data stores left in the baseline only: removed.
    unsure = {(n.family, n.stack) for n in new.constructs if n.dynamic} | {
        (n.family, None) for n in new.constructs if n.stack is None
    }
    for i, o in enumerate(olds):
        if i in used_o or not o.stateful or o.stack is None:
            continue
        stack = norm(o.stack)
        gone = stack not in new.stacks
        target = renames.get(o.stack) if gone else stack
        if (o.family, target) in unsure or (o.family, None) in unsure:
            continue
        f = _removed(o, desc, new, target, gone)
        if f is not None:
            out.append(f)
    # A construct written in several branches pairs once per copy: report each place once.
    seen: set[tuple[str, object, str]] = set()
    unique = []
    for f in out:
        k = (str(f.path), f.range, f.code)
        if k not in seen:
            seen.add(k)
            unique.append(f)
    return unique


def _same_props(o: TrackedConstruct, n: TrackedConstruct, stage: str | None) -> bool:
    """True when the properties both sides know are equal (and some are known)."""
    if o.props is not None and n.props is not None:
        return o.props.to_python() == n.props.to_python()
    if o.cfn is None or n.cfn is None:
        return False
    keys = (set(o.cfn.known) if o.cfn.known is not None else set(o.cfn.props)) & (
        set(n.cfn.known) if n.cfn.known is not None else set(n.cfn.props)
    )
    keys.discard(o.cfn.name_key or "")
    if not keys:
        return False
    return all(_sub(o.cfn.props.get(k), stage) == _sub(n.cfn.props.get(k), stage) for k in keys)


def _noun(t: TrackedConstruct) -> tuple[str, str]:
    return NOUNS.get(t.family, ("resource", "its data"))


def _clash(o: TrackedConstruct, n: TrackedConstruct, stage: str, noun: str, retained: bool) -> str:
    on, nn = _name(o, stage), _name(n, stage)
    if on is None or on != nn:
        return ""
    tail = (
        ", and no deploy removes the old one"
        if retained
        else " (when the new stack deploys before the old one drops it)"
    )
    return f' Both {noun}s are named "{on}": creating the new one fails while the old one exists{tail}.'


def _moved(o: TrackedConstruct, n: TrackedConstruct, desc: str, stage: str, old: AppState, new: AppState,
           renamed_to: str | None, gone: bool) -> Finding | None:
    if n.path is None or n.range is None:
        return None
    noun, holds = _noun(n)
    from_to = f'from stack "{o.stack}" to stack "{n.stack}"'
    if n.is_api:
        domain = " Its custom domain must be moved over to the new API." if n.custom_domain else ""
        how = f" with its stack (renamed to \"{renamed_to}\")" if renamed_to == n.stack else ""
        return Finding(
            n.path, n.range, "information", "api-endpoint-changed",
            f'{n.kind} "{n.id}" moved {from_to}{how} (baseline {desc}): deploying creates a new '
            f"{noun} with a new URL{'' if gone else ' and deletes the old one'}; clients that call "
            f"the old URL break.{domain}",
            related=_related(o, desc, f'{o.kind} "{o.id}" in stack "{o.stack}"'),
            data={"oldStack": o.stack, "newStack": n.stack, "baseline": desc},
        )
    if renamed_to == n.stack:
        what = f'{n.kind} "{n.id}" moved with its stack, renamed from "{o.stack}" to "{n.stack}"'
    else:
        what = f'{n.kind} "{n.id}" moved {from_to}'
    msg = (
        f"{what} (baseline {desc}). Deploying creates a new, empty {noun} in \"{n.stack}\": the data "
        "does not move."
    )
    retained = o.policy.value == "retain"
    if gone or renamed_to == n.stack:
        msg += (
            f' Stack "{o.stack}" is no longer in the app, so deploys leave it deployed with the old '
            f"{noun} and {holds} until the stack is removed."
        )
        retained = True
    else:
        msg += f' The old {noun} in "{o.stack}" is {_outcome(o.policy, holds)}.'
    msg += _clash(o, n, stage, noun, retained)
    related = _related(o, desc, f'{o.kind} "{o.id}" in stack "{o.stack}"') or _stack_related(
        new, o.stack, f'stack "{o.stack}", where the {noun} is deployed'
    )
    return Finding(
        n.path, n.range, "warning", "stateful-construct-moved", msg, related=related,
        data={"oldStack": o.stack, "newStack": n.stack, "baseline": desc, "policy": o.policy.value,
              "logicalId": o.logical_id},
    )


def _renamed(o: TrackedConstruct, n: TrackedConstruct, desc: str, stage: str,
             old_stage: str | None) -> Finding | None:
    if n.path is None or n.range is None:
        return None
    noun, holds = _noun(n)
    if o.id == n.id:
        change = f'{n.kind} "{n.id}": its cdk.id changed from "{o.cdk_id}" to "{n.cdk_id}"'
    else:
        change = f'{n.kind} id changed from "{o.id}" to "{n.id}"'
    if n.is_api:
        domain = " Its custom domain must be moved over to the new API." if n.custom_domain else ""
        return Finding(
            n.path, n.range, "information", "api-endpoint-changed",
            f"{change} in stack \"{n.stack}\" (baseline {desc}): the new id is a new {noun} with a new "
            f"URL, and the old one is deleted; clients that call the old URL break.{domain}",
            related=_related(o, desc, f'{o.kind} "{o.id}"'),
            data={"oldId": o.id, "newId": n.id, "baseline": desc},
        )
    msg = (
        f"{change} in stack \"{n.stack}\" (baseline {desc}): the CloudFormation logical id changes, "
        f"so deploying creates a new, empty {noun} and the old one is {_outcome(o.policy, holds)}."
    )
    msg += _clash(o, n, stage, noun, o.policy.value == "retain")
    return Finding(
        n.path, n.range, "warning", "stateful-construct-renamed", msg,
        related=_related(o, desc, f'{o.kind} "{o.id}"'),
        data={"oldId": o.id, "newId": n.id, "baseline": desc, "policy": o.policy.value,
              "logicalId": o.logical_id},
    )


def _replaced(o: TrackedConstruct, n: TrackedConstruct, desc: str, stage: str,
              old_stage: str | None) -> Finding | None:
    if n.path is None or n.range is None:
        return None
    causes = replacement_causes(o, n, old_stage)
    if not causes:
        return None
    noun, holds = _noun(n)
    labels = [_PROP_LABELS.get(c, c) for c in causes]
    what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    policy = n.policy if n.policy.explicit else o.policy
    on, nn = _name(o, old_stage or stage), _name(n, old_stage or stage)
    if on is not None and on == nn:
        msg = (
            f'Changing {what} replaces {n.kind} "{n.id}" (baseline {desc}), but its name "{on}" stays '
            "the same and CloudFormation cannot replace a resource with a fixed name: the deploy "
            f"fails. With a new name too, it creates a new, empty {noun} and the old one is "
            f"{_outcome(policy, holds)}."
        )
    else:
        msg = (
            f'Changing {what} replaces {n.kind} "{n.id}" (baseline {desc}): CloudFormation creates a '
            f"new, empty {noun} and the old one is {_outcome(policy, holds)}."
        )
    return Finding(
        n.path, n.range, "warning", "stateful-construct-replaced", msg,
        related=_related(o, desc, f'{o.kind} "{o.id}"'),
        data={"causes": causes, "baseline": desc, "policy": policy.value, "logicalId": o.logical_id},
    )


def _removed(o: TrackedConstruct, desc: str, new: AppState, target: str | None, gone: bool) -> Finding | None:
    """Reported on the stack it was in (or the stack that took its place), else on the entry."""
    noun, holds = _noun(o)
    s = new.stacks.get(target) if target else None
    if s is not None and s.path is not None and s.range is not None:
        path, rng = s.path, s.range
    elif new.entry is not None and new.entry_range is not None:
        path, rng = new.entry, new.entry_range
    else:
        return None
    if gone:
        msg = (
            f'{o.kind} "{o.id}" is gone with its stack "{o.stack}" (baseline {desc}): deploys no longer '
            f"touch that stack, so the {noun} stays deployed with {holds} until the stack is removed; "
            f"then it is {_outcome(o.policy, holds)}."
        )
    else:
        msg = (
            f'{o.kind} "{o.id}" of stack "{o.stack}" is gone from the code (baseline {desc}): deploying '
            f"removes it, and the {noun} is {_outcome(o.policy, holds)}."
        )
    return Finding(
        path, rng, "warning", "stateful-construct-removed", msg,
        related=_related(o, desc, f'{o.kind} "{o.id}"'),
        data={"id": o.id, "stack": o.stack, "baseline": desc, "policy": o.policy.value,
              "logicalId": o.logical_id},
    )
