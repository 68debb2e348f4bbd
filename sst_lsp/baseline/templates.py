"""Baselines made of CloudFormation templates (layer 3: baseline): `assembly:PATH` (a cloud
assembly on disk: SST v1's `.build/cdk.out`, v2's `.sst/dist`, sst-lsp's own synth output) and
`stage:NAME` (the templates of a deployed stage, read by the cloud layer and handed in as plain
data: this module never talks to AWS).

A template does not name constructs, but every resource CDK writes carries its construct path
(`aws:cdk:path` metadata in the template, or `aws:cdk:logicalId` entries in the manifest):
`<stack>/<id>/<inner>/Resource` is an SST construct `<id>` (inner "Table", "Bucket", ...),
`<stack>/<id>/Resource` a CDK L2 construct and `<stack>/<id>` an L1 one. Anything nested deeper
belongs to a construct sst-lsp does not model and is not tracked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sst_lsp import catalog
from sst_lsp.baseline.kinds import NAME_KEYS, TEMPLATE_SHAPES
from sst_lsp.baseline.state import AppState, CfnView, Policy, StackState, TrackedConstruct
from sst_lsp.model.cfn import resources_of

#: Templates larger than this are not read (CloudFormation's own limit is 1 MB; CDK's S3 upload
#: path allows more, but a baseline does not need a giant one).
MAX_TEMPLATE_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    """A baseline cannot be read; the message is for the user."""


class TemplateStack(Protocol):
    """One deployed or synthesized stack: what the cloud layer's `DeployedStack` provides."""

    @property
    def name(self) -> str: ...

    @property
    def template(self) -> Mapping[str, Any]: ...

    @property
    def tags(self) -> Mapping[str, str]: ...


@dataclass
class AssemblyStack:
    name: str
    template: Mapping[str, Any]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: Logical id -> construct path, from the manifest's `aws:cdk:logicalId` metadata.
    paths: dict[str, str] = field(default_factory=dict)
    #: Top-level construct ids from tree.json, when the assembly has one.
    tree_ids: frozenset[str] = frozenset()


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise BaselineError(f"{path} is too large to read")
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8", errors="replace"))
    except FileNotFoundError as e:
        raise BaselineError(f"{path} does not exist") from e
    except (OSError, ValueError) as e:
        raise BaselineError(f"{path} cannot be read: {e}") from e


def find_manifest(path: Path) -> Path:
    """The manifest.json of an assembly given as its directory or the manifest itself."""
    if path.is_file():
        return path
    if (path / "manifest.json").is_file():
        return path / "manifest.json"
    if path.is_dir():
        raise BaselineError(f"{path} holds no manifest.json: not a cloud assembly")
    raise BaselineError(f"{path} does not exist")


def read_assembly(path: Path) -> list[AssemblyStack]:
    """The stacks of a cloud assembly (nested assemblies are not followed)."""
    manifest_path = find_manifest(path)
    directory = manifest_path.parent
    manifest = _read_json(manifest_path)
    artifacts = manifest.get("artifacts") if isinstance(manifest, Mapping) else None
    if not isinstance(artifacts, Mapping):
        raise BaselineError(f"{manifest_path} has no artifacts: not a cloud assembly manifest")
    tree_ids: dict[str, frozenset[str]] = {}
    for art in artifacts.values():
        if isinstance(art, Mapping) and art.get("type") == "cdk:tree":
            tree_file = (art.get("properties") or {}).get("file")
            if isinstance(tree_file, str):
                try:
                    tree_ids = _tree_top_ids(_read_json(directory / tree_file))
                except BaselineError:
                    tree_ids = {}
    stacks: list[AssemblyStack] = []
    for art_id, art in artifacts.items():
        if not isinstance(art, Mapping) or art.get("type") != "aws:cloudformation:stack":
            continue
        props = art.get("properties") if isinstance(art.get("properties"), Mapping) else {}
        assert isinstance(props, Mapping)
        tfile = props.get("templateFile")
        if not isinstance(tfile, str):
            continue
        template = _read_json(directory / tfile)
        if not isinstance(template, Mapping):
            raise BaselineError(f"{directory / tfile} is not a CloudFormation template")
        name = props.get("stackName") if isinstance(props.get("stackName"), str) else str(art_id)
        tags = props.get("tags") if isinstance(props.get("tags"), Mapping) else {}
        assert isinstance(tags, Mapping)
        paths: dict[str, str] = {}
        meta = art.get("metadata")
        if isinstance(meta, Mapping):
            for cpath, entries in meta.items():
                for e in entries if isinstance(entries, list) else ():
                    if isinstance(e, Mapping) and e.get("type") == "aws:cdk:logicalId" and isinstance(
                        e.get("data"), str
                    ):
                        paths[str(e["data"])] = str(cpath).lstrip("/")
        stacks.append(
            AssemblyStack(
                name=str(name),
                template=template,
                tags={str(k): str(v) for k, v in tags.items()},
                paths=paths,
                tree_ids=tree_ids.get(str(art_id), tree_ids.get(str(name), frozenset())),
            )
        )
    if not stacks:
        raise BaselineError(f"{manifest_path} names no CloudFormation stack")
    return stacks


def _tree_top_ids(tree: Any) -> dict[str, frozenset[str]]:
    """Stack construct id -> the ids of its top-level constructs, from tree.json."""
    out: dict[str, frozenset[str]] = {}
    root = tree.get("tree") if isinstance(tree, Mapping) else None
    children = root.get("children") if isinstance(root, Mapping) else None
    if not isinstance(children, Mapping):
        return out
    for sid, node in children.items():
        kids = node.get("children") if isinstance(node, Mapping) else None
        if isinstance(kids, Mapping):
            out[str(sid)] = frozenset(str(k) for k in kids)
    return out


# ----------------------------------------------------------------------------------------------
# Templates -> app state.
# ----------------------------------------------------------------------------------------------

_FAMILIES_BY_TYPE: dict[str, str] = catalog.family_for_type()
#: The L2 class of a resource type that is not its family's (a GlobalTable is a TableV2).
_L2_BY_TYPE: dict[str, str] = {
    s.resource_type: s.kind for s in catalog.SPECS if s.resource_type is not None and not s.kind.startswith("Cfn")
}

_MODULES = {
    "DynamoDB": "aws-dynamodb", "S3": "aws-s3", "RDS": "aws-rds", "Cognito": "aws-cognito",
    "Kinesis": "aws-kinesis", "ApiGatewayV2": "aws-apigatewayv2", "AppSync": "aws-appsync",
    "ApiGateway": "aws-apigateway",
}



def _policy(resource: Mapping[str, Any]) -> Policy:
    dp = resource.get("DeletionPolicy")
    if dp in ("Retain", "RetainExceptOnCreate"):
        return Policy("retain", f"the baseline's DeletionPolicy {dp}")
    if dp == "Snapshot":
        return Policy("snapshot", "the baseline's DeletionPolicy Snapshot")
    if dp in (None, "Delete"):
        return Policy("destroy", "the baseline's DeletionPolicy Delete" if dp else "the baseline's template "
                      "(no DeletionPolicy)")
    return Policy(None, "the baseline's DeletionPolicy (not a constant)")


def split_stack_name(name: str, tags: Mapping[str, str], app_name: str | None) -> tuple[str, str | None]:
    """(stack id, stage) of a CloudFormation stack name `{stage}-{app}-{id}`."""
    stage = tags.get("sst:stage")
    app = tags.get("sst:app") or app_name
    if stage and app and name.startswith(catalog.stack_prefix(stage, app)):
        return name[len(stage) + len(app) + 2:], stage
    if app:
        i = name.find(f"-{app}-")
        if i > 0:
            return name[i + len(app) + 2:], stage or name[:i]
    return name, stage


def _track(rtype: str, resource: Mapping[str, Any], rest: list[str], stack_id: str, logical_id: str) -> (
        TrackedConstruct | None):
    family = _FAMILIES_BY_TYPE.get(rtype)
    if family is None or not rest:
        return None
    props = resource.get("Properties") if isinstance(resource.get("Properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    if rtype == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType") == "WEBSOCKET":
        family = "websocket-api"
    sst_kind, sst_inner, l2_kind = TEMPLATE_SHAPES[family]
    module = _MODULES.get(rtype.split("::")[1], "template")
    if len(rest) == 3 and rest[2] == "Resource" and sst_inner and rest[1] == sst_inner:
        kind, origin = sst_kind, "sst"
    elif len(rest) == 2 and rest[1] == "Resource":
        kind, origin = _L2_BY_TYPE.get(rtype, l2_kind), module
    elif len(rest) == 1:
        kind, origin = "Cfn" + rtype.split("::")[-1], module
    else:
        return None
    cfn_props = dict(props)
    for key in ("DBClusterIdentifier", "DBInstanceIdentifier"):
        if isinstance(cfn_props.get(key), str):
            cfn_props[key] = cfn_props[key].lower()
    stateful = catalog.family(family).stateful
    return TrackedConstruct(
        family=family,
        kind=kind,
        origin=origin,
        id=rest[0],
        cdk_id=rest[0],
        stack=stack_id,
        cfn=CfnView(rtype, cfn_props, None, NAME_KEYS.get(rtype)) if stateful else None,
        policy=_policy(resource) if stateful else Policy(None, "unknown"),
        logical_id=logical_id,
    )


def state_from_templates(
    root: Path, app_name: str | None, stacks: Iterable[TemplateStack | AssemblyStack]
) -> AppState:
    """The state of the app at `root` from its stacks' templates."""
    stack_states: dict[str, StackState] = {}
    tracked: list[TrackedConstruct] = []
    stage: str | None = None
    for st in stacks:
        tags = dict(st.tags or {})
        sid, st_stage = split_stack_name(st.name, tags, app_name)
        stage = stage or st_stage
        paths = st.paths if isinstance(st, AssemblyStack) else {}
        top_ids: set[str] = set(st.tree_ids) if isinstance(st, AssemblyStack) else set()
        for lid, res in resources_of(st.template).items():
            meta = res.get("Metadata")
            cpath = meta.get("aws:cdk:path") if isinstance(meta, Mapping) else None
            if not isinstance(cpath, str):
                cpath = paths.get(lid)
            if not isinstance(cpath, str):
                continue
            segs = [s for s in cpath.split("/") if s]
            rest = segs[1:]
            if not rest:
                continue
            top_ids.add(rest[0])
            rtype = res.get("Type")
            if isinstance(rtype, str):
                t = _track(rtype, res, rest, sid, lid)
                if t is not None:
                    tracked.append(t)
        top_ids.discard("CDKMetadata")
        stack_states[sid] = StackState(id=sid, construct_ids=frozenset(top_ids), physical_name=st.name)
    return AppState(root=root, name=app_name, stacks=stack_states, constructs=tuple(tracked), stage=stage)


def stacks_for_app(stacks: list[AssemblyStack], app_name: str | None, only_app: bool) -> list[AssemblyStack]:
    """The stacks of an assembly that belong to the app named `app_name`."""
    mine = []
    for st in stacks:
        tagged = st.tags.get("sst:app")
        if tagged is not None:
            if tagged == app_name:
                mine.append(st)
        elif app_name and f"-{app_name}-" in st.name or only_app:
            mine.append(st)
    return mine
