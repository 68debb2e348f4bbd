"""The catalog's record types and queries (layer 0: catalog; pure data, stdlib only).

`entries.py` holds the data; this module says what a record means and answers the questions the
other layers ask (`spec_for`, `prop_positions`, `method_positions`, `route_grammar`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Where a construct class comes from, as `model.types.Construct.origin` records it: "sst"
#: (v0-v2 `@serverless-stack/resources` and `sst/constructs`), "sst3" (v3 `sst.aws.*`), or the
#: CDK module of a raw CDK class ("aws-dynamodb", "aws-s3", ...).
Origin = str

#: How a construct's route keys are parsed (`analyzers/structure.py`) and completed.
RouteGrammar = Literal["http", "rest", "websocket", "appsync", "none"]

#: What a handler position holds.
#:
#: - "function": one FunctionDefinition (a handler string, `{ handler }` props, `{ function }`).
#: - "functions": a map (v1+) or array (v0) of FunctionDefinitions, labelled `label "name"` /
#:   `label #n`.
#: - "routes": a routes map, each value a FunctionDefinition labelled `route "KEY"`.
#: - "appsync": AppSync props, `dataSources` (labelled `data source "name"`) and `resolvers`
#:   (labelled `resolver "Type field"`; a value naming a data source is no handler).
#: - "resolvers" / "data_sources": the argument of `addResolvers` / `addDataSources`, read as
#:   the "appsync" shape holding only that map.
#: - "rules": EventBus rules, each rule's `targets` a "functions" map labelled
#:   `rule "name" target`.
#: - "event_subscribe": v2 `bus.subscribe([scope,] "type" | ["types"], target, props?)`: the
#:   argument after the first string (or array of strings) is a FunctionDefinition labelled
#:   `subscriber "type"`.
#: - "route": v3 `.route(key, handler)`: argument 0 is the route key, 1 the handler
#:   (labelled `route "KEY"`, or `route` for a computed key); at least two arguments.
#: - "subscriber": v3 `.subscribe(handler, args?)`, or `.subscribe(name, handler, args?)` for
#:   the kinds whose spec has `named_subscribe` (see `model/handler_sites.py: named_subscribe`):
#:   labelled `subscriber "name"` or `subscriber`.
#: - "notifications": v3 `.notify({ notifications: [...] })`: each item a FunctionDefinition
#:   labelled `notification "name"` (its `name`) or `notification #n`.
Shape = Literal[
    "function", "functions", "routes", "appsync", "resolvers", "data_sources", "rules",
    "event_subscribe", "route", "subscriber", "notifications",
]


@dataclass(frozen=True, slots=True)
class Position:
    """A place a construct takes handlers: a prop path of its props, or a method's argument."""

    shape: Shape
    #: The handler's position label (`HandlerRef.position`) or its prefix for the map shapes
    #: ("Queue consumer", "Topic subscriber" -> `Topic subscriber "name"`); "" where the shape
    #: makes the label itself (routes, resolvers, rules, v3 methods).
    label: str = ""
    #: The prop path below the construct's props; () is the props object itself (a Function's
    #: props are its FunctionDefinition). For a method, the path below its argument (v3
    #: `api.addDataSource({ name, lambda })`: `("lambda",)`); () is the argument itself.
    prop: tuple[str, ...] = ()
    #: Read when `prop` is absent (v3 Cron: `job`, else `function`).
    fallback: tuple[str, ...] = ()
    #: Only when this prop is present (v1/v2 Job: `handler`).
    requires: str | None = None
    #: The method (`addRoutes`, `route`, ...); None for a prop position.
    method: str | None = None
    #: Which argument holds the value: an index, or "last" (v1/v2 `add*` methods take the scope
    #: first and the value last: `api.addRoutes(stack, {...})`). The method shapes "route",
    #: "subscriber", "notifications" and "event_subscribe" read their arguments themselves.
    arg: int | Literal["last"] = "last"
    #: The key of the value (the props, or the method's argument) whose string names the
    #: handler: the label is then `label "name"` (`addDataSource({ name: "ds", ... })` ->
    #: `data source "ds"`), or `label` when the name is not a string. None: the label as is.
    name_key: str | None = None
    #: The value may be an existing function's ARN (v3 `FunctionArn`: a string starting with
    #: `arn:`), which is no handler.
    takes_arn: bool = False


@dataclass(frozen=True, slots=True)
class Naming:
    """How a construct's physical name is decided (what hovers and inlay hints show)."""

    #: "prefixed": SST's `app.logicalPrefixedName(id)` = `{stage}-{app}-{id}` unless
    #: `cdk.{cdk_key}.{name_prop}` says otherwise; "bucket": SST's Bucket (v2's `name`, else
    #: `cdk.bucket.bucketName`, else generated); "function": `functionName`, else generated from
    #: the stack name and logical id; "endpoint": an API whose URL API Gateway generates;
    #: "prop": a raw CDK class named by its `name_prop`, else by CloudFormation; "pulumi": v3,
    #: named at deploy; "none": nothing to show.
    rule: Literal["prefixed", "bucket", "function", "endpoint", "prop", "pulumi", "none"] = "none"
    label: str = ""
    cdk_key: str = ""
    name_prop: str = ""
    #: A FIFO queue (`cdk.queue.fifo: true`) gets `.fifo` after the prefixed name.
    fifo_suffix: bool = False


@dataclass(frozen=True, slots=True)
class Family:
    """What a tracked construct's main resource is, independent of how it is written."""

    name: str  # "dynamodb-table", "http-api", ...
    resource_type: str  # the main resource's CloudFormation type
    #: True when the resource holds data (a rename or move loses it); False for APIs (their URL).
    stateful: bool
    #: How messages name the resource and what a replacement loses.
    noun: str
    holds: str
    #: How the resource sits in a template: the SST kind, the SST inner construct id (`<id>/<inner>/
    #: Resource`) and the CDK L2 kind; "" where SST has no such construct.
    sst_kind: str = ""
    sst_inner: str = ""
    cdk_kind: str = ""
    #: Where SST takes the wrapped CDK construct's props (v1/v2, then v0).
    sst_inner_props: tuple[tuple[str, ...], ...] = ()
    #: aws-cdk-lib's default removal policy for the L2 construct (None: none, or unknown).
    cdk_default_policy: Literal["retain", "snapshot", "destroy"] | None = None
    #: The CloudFormation property holding the physical name (None: no such name).
    name_key: str | None = None
    #: The value may be an existing function's ARN (v3 `FunctionArn`: a string starting with
    #: `arn:`), which is no handler.
    takes_arn: bool = False


@dataclass(frozen=True, slots=True)
class Binding:
    """What binding a construct to a function gives it (SST v1.18 bindings, the embedded synth)."""

    #: (binding variable, SSM parameter) the construct exposes.
    variable: tuple[str, str] | None = None
    #: The IAM action its `permissions` entry grants (the resources come from the builder).
    grant_action: str | None = None
    #: True when the binding also grants (the same statement as `permissions`).
    bind_grants: bool = False
    #: The class name bindings use (`SST_{class}_{prop}_{id}`): the kind, or e.g. "Secret".
    binding_class: str | None = None
    #: Further (variable, attribute) pairs, for a construct that exposes several (an RDS cluster).
    more_variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Spec:
    """Everything the project knows about one construct class."""

    origin: Origin
    kind: str
    #: Handler positions in the constructor's props.
    props: tuple[Position, ...] = ()
    #: Handler positions in method calls on the construct.
    methods: tuple[Position, ...] = ()
    route_grammar: RouteGrammar = "none"
    #: Route-key completion offers `$default` (with the grammar's words).
    default_route: bool = False
    #: Route functions get `{id}Lambda{METHOD}{path}` logical ids (hover shows an example).
    route_function_ids: bool = False
    #: v3 `.subscribe(name, handler)`: the subscriber may be named first (SST 3.3+).
    named_subscribe: bool = False
    #: The tracked family (baseline, stateful analyzer); None: not tracked.
    family: str | None = None
    #: Generations where the construct holds no family resource (v2's Auth is functions only).
    family_absent_in: tuple[str, ...] = ()
    #: In v0, tracked only with this prop present (v0's Auth makes a user pool only with `cognito`).
    family_v0_requires: str | None = None
    #: The CloudFormation type when it differs from the family's (TableV2: a GlobalTable).
    resource_type: str | None = None
    #: Its data outlives a deploy: renaming it in the editor warns (matched by kind name).
    outlives_deploy: bool = False
    naming: Naming = Naming()
    #: The embedded synth's builder (a key of `cloud/synth_embedded.py: _BUILDERS`); None: not
    #: built there.
    builder: str | None = None
    #: (generation, builder) where that generation's class of this name is another construct
    #: (v2's `Auth` is SST's own auth, v1's the user pool v2 calls `Cognito`).
    builder_in: tuple[tuple[str, str], ...] = ()
    binding: Binding = Binding()
    #: Why the embedded synth cannot build it, in any generation ("it needs SST's custom resource
    #: handler ..."); None: built when it has a builder.
    synth_unsupported: str | None = None
    #: (generation, why) pairs where the embedded synth cannot build it although it has a builder.
    synth_unsupported_in: tuple[tuple[str, str], ...] = ()
    #: A frontend site (it needs the app's own build).
    site: bool = False
    #: Keys of a DynamoDB table's primary index and its index props, as (keys, ((index prop,
    #: keys it names), ...)), for `table-index-field-missing`.
    table_keys: tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]] | None = None

    @property
    def key(self) -> tuple[Origin, str]:
        return (self.origin, self.kind)
