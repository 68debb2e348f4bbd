"""The catalog's entries: one `Spec` per construct class, and the tracked families (layer 0: catalog).

Read `sst_lsp/catalog/__init__.py` for how to add a construct.
"""

from __future__ import annotations

from sst_lsp.catalog.spec import Binding, Family, Naming, Position, Spec

# ----------------------------------------------------------------------------------------------
# Families (baseline/, analyzers/stateful.py).
# ----------------------------------------------------------------------------------------------

FAMILIES: tuple[Family, ...] = (
    Family("dynamodb-table", "AWS::DynamoDB::Table", True, "table", "its items", "Table", "Table", "Table",
           (("cdk", "table"), ("dynamodbTable",)), "retain", "TableName"),
    Family("s3-bucket", "AWS::S3::Bucket", True, "bucket", "its objects", "Bucket", "Bucket", "Bucket",
           (("cdk", "bucket"), ("s3Bucket",)), "retain", "BucketName"),
    Family("rds-cluster", "AWS::RDS::DBCluster", True, "database cluster", "its databases", "RDS", "Cluster",
           "DatabaseCluster", (("cdk", "cluster"), ("rdsServerlessCluster",)), "snapshot", "DBClusterIdentifier"),
    Family("rds-instance", "AWS::RDS::DBInstance", True, "database instance", "its databases", "", "",
           "DatabaseInstance", (), "snapshot", "DBInstanceIdentifier"),
    Family("cognito-userpool", "AWS::Cognito::UserPool", True, "user pool", "its users and their passwords",
           "Cognito", "UserPool", "UserPool", (("cdk", "userPool"), ("cognito", "userPool")), "retain", None),
    # aws-cdk-lib's kinesis.Stream retains since 2.140.0 and was deleted before: unknown here.
    Family("kinesis-stream", "AWS::Kinesis::Stream", True, "stream", "its records", "KinesisStream", "Stream",
           "Stream", (("cdk", "stream"), ("kinesisStream",)), None, "Name"),
    Family("http-api", "AWS::ApiGatewayV2::Api", False, "HTTP API", "its URL", "Api", "Api", "HttpApi"),
    Family("websocket-api", "AWS::ApiGatewayV2::Api", False, "WebSocket API", "its URL", "WebSocketApi", "Api",
           "WebSocketApi"),
    Family("appsync-api", "AWS::AppSync::GraphQLApi", False, "GraphQL API", "its URL", "AppSyncApi", "Api",
           "GraphqlApi"),
    Family("rest-api", "AWS::ApiGateway::RestApi", False, "REST API", "its URL", "ApiGatewayV1Api", "Api", "RestApi"),
)

# ----------------------------------------------------------------------------------------------
# Shared pieces.
# ----------------------------------------------------------------------------------------------

_HTTP_METHODS_GRANT = "execute-api:Invoke"


def _routes(*, server: bool = False) -> tuple[Position, ...]:
    out: tuple[Position, ...] = (Position("routes", prop=("routes",)),)
    if server:
        out += (Position("function", "GraphQL server", prop=("server",)),)
    return out


_ADD_ROUTES = (Position("routes", method="addRoutes"),)


def _prefixed(label: str, cdk_key: str, name_prop: str, *, fifo: bool = False) -> Naming:
    return Naming("prefixed", label, cdk_key, name_prop, fifo)


_ENDPOINT = Naming("endpoint")
_USER_POOL = _prefixed("User pool name", "userPool", "userPoolName")
_TRIGGERS = (
    Position("functions", "trigger", prop=("triggers",)),
    Position("functions", "trigger", prop=("cognito", "triggers")),
)
_TABLE_KEYS = (("partitionKey", "sortKey"),
               (("globalIndexes", ("partitionKey", "sortKey")), ("secondaryIndexes", ("partitionKey", "sortKey")),
                ("localIndexes", ("sortKey",))))

# ----------------------------------------------------------------------------------------------
# SST v0-v2 (`@serverless-stack/resources`, `sst/constructs`).
# ----------------------------------------------------------------------------------------------

_SST: tuple[Spec, ...] = (
    Spec("sst", "Function", props=(Position("function", "Function"),), naming=Naming("function"),
         builder="function",
         binding=Binding(("functionName", "functionName"), "lambda:*", bind_grants=True)),
    Spec("sst", "Api", props=_routes(), methods=_ADD_ROUTES, route_grammar="http", default_route=True,
         route_function_ids=True, family="http-api", naming=_ENDPOINT, builder="api",
         binding=Binding(("url", "url"), _HTTP_METHODS_GRANT)),
    Spec("sst", "HttpApi", props=_routes(), methods=_ADD_ROUTES, route_grammar="http", default_route=True,
         route_function_ids=True, family="http-api", naming=_ENDPOINT),
    # v1's GraphQLApi: an Api whose `GET`/`POST {rootPath}` routes share one function.
    Spec("sst", "GraphQLApi", props=_routes(server=True), methods=_ADD_ROUTES, route_grammar="http",
         family="http-api", naming=_ENDPOINT, builder="graphql",
         binding=Binding(("url", "url"), _HTTP_METHODS_GRANT)),
    Spec("sst", "ApiGatewayV1Api", props=_routes(), methods=_ADD_ROUTES, route_grammar="rest",
         route_function_ids=True, family="rest-api", naming=_ENDPOINT),
    Spec("sst", "WebSocketApi", props=_routes(), methods=_ADD_ROUTES, route_grammar="websocket",
         default_route=True, family="websocket-api", naming=_ENDPOINT,
         builder="websocket", binding=Binding(("url", "url"), "execute-api:ManageConnections", bind_grants=True)),
    Spec("sst", "AppSyncApi", props=(Position("appsync"),),
         methods=(Position("resolvers", method="addResolvers"), Position("data_sources", method="addDataSources")),
         route_grammar="appsync", family="appsync-api", builder="appsync", binding=Binding(("url", "url"))),
    Spec("sst", "Cron", props=(Position("function", "Cron job", prop=("job",)),), builder="cron"),
    Spec("sst", "Queue", props=(Position("function", "Queue consumer", prop=("consumer",)),),
         methods=(Position("function", "Queue consumer", method="addConsumer"),),
         naming=_prefixed("Queue name", "queue", "queueName", fifo=True), builder="queue",
         binding=Binding(("queueUrl", "queueUrl"), "sqs:*", bind_grants=True)),
    Spec("sst", "Topic", props=(Position("functions", "Topic subscriber", prop=("subscribers",)),),
         methods=(Position("functions", "Topic subscriber", method="addSubscribers"),),
         naming=_prefixed("Topic name", "topic", "topicName"), builder="topic",
         binding=Binding(("topicArn", "topicArn"), "sns:*", bind_grants=True)),
    Spec("sst", "Bucket", props=(Position("functions", "Bucket notification", prop=("notifications",)),),
         methods=(Position("functions", "Bucket notification", method="addNotifications"),),
         family="s3-bucket", outlives_deploy=True, naming=Naming("bucket"), builder="bucket",
         binding=Binding(("bucketName", "bucketName"), "s3:*", bind_grants=True)),
    Spec("sst", "EventBus", props=(Position("rules", prop=("rules",)),),
         methods=(Position("rules", method="addRules"), Position("functions", "rule target", method="addTargets"),
                  Position("event_subscribe", method="subscribe")),
         builder="eventbus", binding=Binding(("eventBusName", "eventBusName"), "events:*", bind_grants=True)),
    Spec("sst", "KinesisStream", props=(Position("functions", "KinesisStream consumer", prop=("consumers",)),),
         methods=(Position("functions", "KinesisStream consumer", method="addConsumers"),),
         family="kinesis-stream", outlives_deploy=True, builder="kinesis",
         binding=Binding(("streamName", "streamName"), "kinesis:*", bind_grants=True)),
    Spec("sst", "Table", props=(Position("functions", "Table consumer", prop=("consumers",)),),
         methods=(Position("functions", "Table consumer", method="addConsumers"),),
         family="dynamodb-table", outlives_deploy=True, naming=_prefixed("Table name", "table", "tableName"),
         builder="table", binding=Binding(("tableName", "tableName"), "dynamodb:*", bind_grants=True),
         table_keys=_TABLE_KEYS),
    # v1.16+/v2 `Auth` (SST's own auth): `authenticator` is a FunctionDefinition; v0/v1's Auth is
    # v2's Cognito (a user pool).
    Spec("sst", "Auth", props=(Position("function", "Auth authenticator", prop=("authenticator",)), *_TRIGGERS),
         family="cognito-userpool", family_absent_in=("v2",), family_v0_requires="cognito",
         outlives_deploy=True, naming=_USER_POOL, builder="cognito", builder_in=(("v2", "sst_auth"),)),
    Spec("sst", "Cognito", props=_TRIGGERS, family="cognito-userpool", outlives_deploy=True, naming=_USER_POOL,
         builder="cognito"),
    Spec("sst", "Script", props=tuple(Position("function", f"Script {k}", prop=(k,))
                                      for k in ("onCreate", "onUpdate", "onDelete")),
         builder="script"),
    Spec("sst", "Job", props=(Position("function", "Job", requires="handler"),)),
    # SST's RDS: a ServerlessCluster in a VPC of its own (`new ec2.Vpc(this, "vpc")`, no lookup).
    Spec("sst", "RDS", family="rds-cluster", outlives_deploy=True, builder="rds",
         binding=Binding(("clusterArn", "clusterArn"), "rds-data:*", bind_grants=True,
                         more_variables=(("secretArn", "secretArn"), ("defaultDatabaseName", "defaultDatabaseName")))),
    Spec("sst", "Config.Secret", builder="secret", binding=Binding(binding_class="Secret")),
    Spec("sst", "Config.Parameter", builder="config_parameter",
         binding=Binding(("value", "value"), binding_class="Parameter")),
    # Frontend sites: they need the app's own build (and SST's deploy custom resources).
    *(Spec("sst", kind, site=True) for kind in (
        "StaticSite", "NextjsSite", "ReactStaticSite", "ViteStaticSite", "RemixSite", "AstroSite", "SolidStartSite",
        "SvelteKitSite", "NuxtSite", "SsrSite", "Nextjs13Site")),
)

# ----------------------------------------------------------------------------------------------
# SST v3 (`sst.aws.*`).
# ----------------------------------------------------------------------------------------------

#: v3 `.route(...)`, `.subscribe(...)`, `.notify(...)` and Cron's `function` take a handler, FunctionArgs
#: or an existing function's ARN (`Input<string | FunctionArgs | FunctionArn>` in SST's components).
_V3_ROUTE = (Position("route", method="route", takes_arn=True),)


def _v3_named(label: str, method: str, *prop: str, arn: bool = False) -> Position:
    """A method taking one args object whose `name` names the function at `prop`."""
    return Position("function", label, prop=prop, method=method, arg=0, name_key="name", takes_arn=arn)

_PULUMI = Naming("pulumi")

_SST3: tuple[Spec, ...] = (
    Spec("sst3", "Function", props=(Position("function", "Function"),), naming=_PULUMI),
    Spec("sst3", "Cron", props=(Position("function", "Cron job", prop=("job",), fallback=("function",), takes_arn=True),),
         naming=_PULUMI),
    Spec("sst3", "CognitoUserPool", props=(Position("functions", "trigger", prop=("triggers",)),), naming=_PULUMI),
    # `authenticator` (SST 3.0-3.2), renamed `issuer` later: both a handler or FunctionArgs.
    Spec("sst3", "Auth", props=tuple(Position("function", f"Auth {k}", prop=(k,))
                                     for k in ("authenticator", "issuer")), naming=_PULUMI),
    Spec("sst3", "Realtime", props=(Position("function", "Realtime authorizer", prop=("authorizer",)),),
         naming=_PULUMI),
    # `api.addAuthorizer({ name, lambda: { function } })` (v2), `{ name, tokenFunction | requestFunction }` (v1).
    Spec("sst3", "ApiGatewayV2", methods=(*_V3_ROUTE, _v3_named("authorizer", "addAuthorizer", "lambda", "function")),
         route_grammar="http", default_route=True, naming=_PULUMI),
    Spec("sst3", "ApiGatewayV1", methods=(*_V3_ROUTE, _v3_named("authorizer", "addAuthorizer", "tokenFunction"),
                                          _v3_named("authorizer", "addAuthorizer", "requestFunction")),
         route_grammar="rest", naming=_PULUMI),
    # `api.addDataSource({ name, lambda })`: a handler, FunctionArgs or a function's ARN.
    Spec("sst3", "AppSync", methods=(_v3_named("data source", "addDataSource", "lambda", arn=True),), naming=_PULUMI),
    Spec("sst3", "ApiGatewayWebSocket", methods=_V3_ROUTE, route_grammar="websocket", default_route=True,
         naming=_PULUMI),
    # `subscribe(name, subscriber, args?)` since SST 3.3; Queue, Realtime and Bucket keep
    # `subscribe(subscriber, args?)`.
    Spec("sst3", "SnsTopic", named_subscribe=True, naming=_PULUMI),
    Spec("sst3", "Bus", named_subscribe=True, naming=_PULUMI),
    Spec("sst3", "Dynamo", named_subscribe=True, naming=_PULUMI,
         table_keys=(("hashKey", "rangeKey"), (("globalIndexes", ("hashKey", "rangeKey")),
                                               ("localIndexes", ("rangeKey",))))),
    Spec("sst3", "KinesisStream", named_subscribe=True, naming=_PULUMI),
    Spec("sst3", "Queue", naming=_PULUMI),
    Spec("sst3", "Bucket", naming=_PULUMI),
)

#: Methods extraction reads on every v3 component, whatever its kind (`.subscribe(...)` and
#: `.notify({...})`), as `model/handler_sites.py` reads them.
ANY_KIND = "*"
_SST3_ANY = Spec("sst3", ANY_KIND, methods=(Position("subscriber", method="subscribe", takes_arn=True),
                                           Position("notifications", method="notify", takes_arn=True)),
                 naming=_PULUMI)

# ----------------------------------------------------------------------------------------------
# Raw CDK classes, keyed by their module.
# ----------------------------------------------------------------------------------------------


def _cdk(module: str, kind: str, family: str | None, *, named: tuple[str, str] | None = None,
         outlives: bool = False, resource_type: str | None = None, built: bool = False) -> Spec:
    """A raw CDK class; `built`: the embedded synth builds it from its literal props (builder "cdk")."""
    naming = Naming("prop", named[0], name_prop=named[1]) if named is not None else Naming()
    return Spec(module, kind, family=family, naming=naming, outlives_deploy=outlives, resource_type=resource_type,
                builder="cdk" if built else None)


_CDK: tuple[Spec, ...] = (
    _cdk("aws-dynamodb", "Table", "dynamodb-table", named=("Table name", "tableName"), outlives=True, built=True),
    _cdk("aws-dynamodb", "TableV2", "dynamodb-table", named=("Table name", "tableName"),
         resource_type="AWS::DynamoDB::GlobalTable"),
    _cdk("aws-dynamodb", "CfnTable", "dynamodb-table", outlives=True),
    _cdk("aws-dynamodb", "CfnGlobalTable", "dynamodb-table", resource_type="AWS::DynamoDB::GlobalTable"),
    _cdk("aws-s3", "Bucket", "s3-bucket", named=("Bucket name", "bucketName"), outlives=True, built=True),
    _cdk("aws-s3", "CfnBucket", "s3-bucket", outlives=True),
    _cdk("aws-rds", "DatabaseCluster", "rds-cluster", outlives=True),
    _cdk("aws-rds", "DatabaseClusterFromSnapshot", "rds-cluster"),
    _cdk("aws-rds", "ServerlessCluster", "rds-cluster"),
    _cdk("aws-rds", "ServerlessClusterFromSnapshot", "rds-cluster"),
    _cdk("aws-rds", "CfnDBCluster", "rds-cluster"),
    _cdk("aws-rds", "DatabaseInstance", "rds-instance", outlives=True),
    _cdk("aws-rds", "DatabaseInstanceFromSnapshot", "rds-instance"),
    _cdk("aws-rds", "DatabaseInstanceReadReplica", "rds-instance"),
    _cdk("aws-rds", "CfnDBInstance", "rds-instance"),
    _cdk("aws-cognito", "UserPool", "cognito-userpool", named=("User pool name", "userPoolName"), outlives=True),
    _cdk("aws-cognito", "CfnUserPool", "cognito-userpool"),
    _cdk("aws-kinesis", "Stream", "kinesis-stream", named=("Stream name", "streamName"), outlives=True),
    _cdk("aws-kinesis", "CfnStream", "kinesis-stream"),
    _cdk("aws-sqs", "Queue", None, named=("Queue name", "queueName"), built=True),
    _cdk("aws-sns", "Topic", None, named=("Topic name", "topicName"), built=True),
    _cdk("aws-lambda", "Function", None, named=("Function name", "functionName"), built=True),
)

SPECS: tuple[Spec, ...] = (*_SST, *_SST3, _SST3_ANY, *_CDK)

# ----------------------------------------------------------------------------------------------
# What handler code reads (model/handler_code.py).
# ----------------------------------------------------------------------------------------------

#: SST v1/v2 proxies of `sst/node/*` (`@serverless-stack/node/*` in v1): each proxy's name, the
#: construct kinds its properties read (`Table.Notes` reads the Table "Notes"), and the
#: properties it has whatever is bound (`Config.APP`, `Config.STAGE`).
NODE_PROXIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    *((k, (k,), ()) for k in (
        "Api", "ApiGatewayV1Api", "AppSyncApi", "WebSocketApi", "Bucket", "EventBus", "Function", "Job",
        "KinesisStream", "Queue", "RDS", "Service", "StaticSite", "ReactStaticSite", "ViteStaticSite", "RemixSite",
        "NextjsSite", "AstroSite", "SolidStartSite", "SvelteKitSite", "Table", "Topic", "Cognito", "Auth")),
    # `Config` merges the bound `Config.Secret`s and `Config.Parameter`s.
    ("Config", ("Config.Secret", "Config.Parameter", "Secret", "Parameter"), ("APP", "STAGE")),
)
#: Names v3's `Resource` (from `sst`) always has, whatever is linked.
RESOURCE_ALWAYS: tuple[str, ...] = ("App",)
