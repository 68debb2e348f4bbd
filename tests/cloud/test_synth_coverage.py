"""Embedded synth coverage beyond the first constructs: Config, EventBus, KinesisStream, Cognito
(v1's Auth), Queue/Cron prop forms, outputs of construct attributes, `setDefaultRemovalPolicy`.

Fidelity: the construct paths below are read from SST's construct sources (v2
packages/sst/src/constructs/*.ts, v1 packages/resources/src/*.ts): `EventBus` creates
`events.EventBus(this, "EventBus")`, a rule `events.Rule(scope, ruleKey)` and a target function
`Target_{id}_{ruleKey}_{targetName}`; `KinesisStream` a `Stream` and `Consumer_{id}_{name}`;
`Cognito` a `UserPool`, `UserPoolClient`, `IdentityPool`, `IdentityPoolAuthRole`,
`IdentityPoolUnauthRole`, `IdentityPoolRoleAttachment` and one function per trigger named by its
key; `Config.Parameter` the binding parameter `Parameter_value`; `Config.Secret` nothing.
The logical id of each is derived from its path with CDK's own rule (`cdk_logical_id`, checked
against SST v1.18.4's reference template), so the exact ids SST would give are asserted.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.cloud.synth_spec import app_to_spec
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App
from tests.helpers.policy_app import app_before_move, stateful_after_move

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "synth_data"
APPS = DATA / "apps"


def load(root: Path) -> App:
    [app] = WorkspaceIndex([root]).snapshot().apps
    return app


def template(result: SynthResult, stack_id: str) -> dict[str, Any]:
    s = result.stack(stack_id)
    assert s is not None, [x.id for x in result.stacks]
    data: dict[str, Any] = json.loads(s.template_path.read_text())
    return data


def lint_errors(path: Path) -> list[str]:
    from cfnlint import ManualArgs
    from cfnlint.api import lint

    matches = lint(path.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]


def cdk_logical_id(path: str) -> str:
    """CDK's logical id for a construct path below its stack (makeUniqueId: `Default` hidden,
    an md5 of the components, the human part without `Resource` and repeated components)."""
    parts = [p for p in path.split("/") if p != "Default"]
    digest = hashlib.md5("/".join(parts).encode()).hexdigest()[:8].upper()
    human: list[str] = []
    for p in parts:
        if not human or human[-1] != p:
            human.append(p)
    return "".join(re.sub(r"[^A-Za-z0-9]", "", p) for p in human if p != "Resource") + digest


def test_cdk_logical_id_rule_matches_sst_reference() -> None:
    ref = json.loads((DATA / "reference" / "dev-rest-api-python-MyStack.template.json").read_text())
    for lid, res in ref["Resources"].items():
        path = res["Metadata"]["aws:cdk:path"].split("/", 1)[1]
        if lid != "StackMetadata":  # a CfnResource with an overridden logical id
            assert cdk_logical_id(path) == lid, path


def expect_tree(tpl: dict[str, Any], stack: str, expected: dict[str, str]) -> None:
    """Each SST path exists with SST's logical id and resource type."""
    for path, rtype in expected.items():
        lid = cdk_logical_id(path)
        assert lid in tpl["Resources"], (path, lid, sorted(tpl["Resources"]))
        res = tpl["Resources"][lid]
        assert res["Type"] == rtype, path
        assert res["Metadata"]["aws:cdk:path"] == f"{stack}/{path}"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "shop-v2"), "dev", tmp_path_factory.mktemp("shop") / "out")


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "notes-auth-v1"), "dev", tmp_path_factory.mktemp("notes") / "out")


# ----------------------------------------------------------------------------------------------
# A v2 app: Config, EventBus, KinesisStream, Cognito with triggers, auth-role grants.


def test_shop_is_modeled_in_full_and_lint_clean(shop: SynthResult) -> None:
    assert shop.skipped == []
    assert [s.id for s in shop.stacks] == ["Secrets", "Events", "AuthStack", "ApiStack", "Graph"]
    for s in shop.stacks:
        assert lint_errors(s.template_path) == [], s.name
    assert shop.warnings == []


def test_shop_construct_trees_and_logical_ids_follow_sst_sources(shop: SynthResult) -> None:
    expect_tree(template(shop, "Secrets"), "dev-shop-Secrets", {
        "SUPPORT_EMAIL/Parameter_value/Resource": "AWS::SSM::Parameter",
    })
    expect_tree(template(shop, "Events"), "dev-shop-Events", {
        "Bus/EventBus/Resource": "AWS::Events::EventBus",
        "Bus/orderPlaced/Resource": "AWS::Events::Rule",
        "Bus/orderShipped/Resource": "AWS::Events::Rule",
        "Bus/Target_Bus_orderPlaced_charge/Resource": "AWS::Lambda::Function",
        "Bus/Target_Bus_orderShipped_notify/Resource": "AWS::Lambda::Function",
        "Bus/Parameter_eventBusName/Resource": "AWS::SSM::Parameter",
        "Clicks/Stream/Resource": "AWS::Kinesis::Stream",
        "Clicks/Consumer_Clicks_aggregate/Resource": "AWS::Lambda::Function",
        "Clicks/Parameter_streamName/Resource": "AWS::SSM::Parameter",
        "BUS_NAME/Parameter_value/Resource": "AWS::SSM::Parameter",
        "DeadLetters/Queue/Resource": "AWS::SQS::Queue",
    })
    expect_tree(template(shop, "AuthStack"), "dev-shop-AuthStack", {
        "Auth/UserPool/Resource": "AWS::Cognito::UserPool",
        "Auth/UserPoolClient/Resource": "AWS::Cognito::UserPoolClient",
        "Auth/IdentityPool": "AWS::Cognito::IdentityPool",
        "Auth/IdentityPoolAuthRole/Resource": "AWS::IAM::Role",
        "Auth/IdentityPoolUnauthRole/Resource": "AWS::IAM::Role",
        "Auth/IdentityPoolRoleAttachment": "AWS::Cognito::IdentityPoolRoleAttachment",
        "Auth/preSignUp/Resource": "AWS::Lambda::Function",
        "Auth/postConfirmation/Resource": "AWS::Lambda::Function",
    })
    expect_tree(template(shop, "ApiStack"), "dev-shop-ApiStack", {
        "Checkout/Resource": "AWS::Lambda::Function",
        "Auth-Auth-dev-shop-ApiStack-AuthRole/Resource": "AWS::IAM::Policy",
    })
    # Secrets create nothing in CloudFormation (`sst secrets set` writes them to SSM).
    assert not any("STRIPE_KEY" in r["Metadata"]["aws:cdk:path"] for r in template(shop, "Secrets")["Resources"].values())


def test_shop_config_bindings_and_grants(shop: SynthResult) -> None:
    secrets, api = template(shop, "Secrets"), template(shop, "ApiStack")
    param = secrets["Resources"][cdk_logical_id("SUPPORT_EMAIL/Parameter_value/Resource")]["Properties"]
    assert param["Name"] == "/sst/shop/dev/Parameter/SUPPORT_EMAIL/value"
    assert param["Value"] == "support@example.com"
    fn = api["Resources"][cdk_logical_id("Checkout/Resource")]["Properties"]
    env = fn["Environment"]["Variables"]
    assert env["SST_Secret_value_STRIPE_KEY"] == "__FETCH_FROM_SSM__"
    assert env["SST_Parameter_value_SUPPORT_EMAIL"] == "support@example.com"
    assert "Fn::ImportValue" in env["SST_EventBus_eventBusName_Bus"]
    assert "Fn::ImportValue" in env["SST_KinesisStream_streamName_Clicks"]
    policy = api["Resources"][cdk_logical_id("Checkout/ServiceRole/DefaultPolicy/Resource")]["Properties"]
    st = {json.dumps(s["Action"]): s["Resource"] for s in policy["PolicyDocument"]["Statement"]}
    ssm = json.dumps(st['"ssm:GetParameters"'])
    assert "parameter/sst/shop/dev/Secret/STRIPE_KEY/value" in ssm
    assert "parameter/sst/shop/.fallback/Secret/STRIPE_KEY/value" in ssm
    assert '"events:*"' in st and '"kinesis:*"' in st
    # A Parameter whose value is another construct's attribute.
    events = template(shop, "Events")
    bus_name = events["Resources"][cdk_logical_id("BUS_NAME/Parameter_value/Resource")]["Properties"]
    assert bus_name["Value"] == {"Ref": cdk_logical_id("Bus/EventBus/Resource")}


def test_shop_event_bus_rules_targets_and_defaults(shop: SynthResult) -> None:
    events = template(shop, "Events")["Resources"]
    placed = events[cdk_logical_id("Bus/orderPlaced/Resource")]["Properties"]
    assert placed["Name"] == "dev-shop-orderPlaced"
    assert placed["EventBusName"] == {"Ref": cdk_logical_id("Bus/EventBus/Resource")}
    assert placed["EventPattern"] == {"source": ["shop.orders"], "detail-type": ["order.placed"]}
    # Targets in the order the rule lists them: the function, then the queue.
    arns = [t["Arn"] for t in placed["Targets"]]
    assert arns == [{"Fn::GetAtt": [cdk_logical_id("Bus/Target_Bus_orderPlaced_charge/Resource"), "Arn"]},
                    {"Fn::GetAtt": [cdk_logical_id("DeadLetters/Queue/Resource"), "Arn"]}]
    shipped = events[cdk_logical_id("Bus/orderShipped/Resource")]["Properties"]
    assert shipped["EventPattern"]["detail"] == {"status": ["shipped"]}
    charge = events[cdk_logical_id("Bus/Target_Bus_orderPlaced_charge/Resource")]["Properties"]
    notify = events[cdk_logical_id("Bus/Target_Bus_orderShipped_notify/Resource")]["Properties"]
    # The bus's `defaults.function` reaches every target; the target's own props win.
    assert charge["Timeout"] == 20 and (notify["Timeout"], notify["MemorySize"]) == (20, 256)
    assert charge["Environment"]["Variables"]["SST_Secret_value_STRIPE_KEY"] == "__FETCH_FROM_SSM__"
    mapping = [r for r in events.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert [m["Properties"]["StartingPosition"] for m in mapping] == ["LATEST"]


def test_shop_cognito_pool_triggers_identity_pool_and_cross_stack_grant(shop: SynthResult) -> None:
    auth = template(shop, "AuthStack")["Resources"]
    pool = auth[cdk_logical_id("Auth/UserPool/Resource")]
    assert pool["Properties"]["UserPoolName"] == "dev-shop-Auth"
    assert pool["Properties"]["UsernameAttributes"] == ["email"]
    assert pool["Properties"]["UsernameConfiguration"] == {"CaseSensitive": False}
    triggers = pool["Properties"]["LambdaConfig"]
    assert triggers["PreSignUp"] == {"Fn::GetAtt": [cdk_logical_id("Auth/preSignUp/Resource"), "Arn"]}
    assert triggers["PostConfirmation"] == {"Fn::GetAtt": [cdk_logical_id("Auth/postConfirmation/Resource"), "Arn"]}
    assert auth[cdk_logical_id("Auth/postConfirmation/Resource")]["Properties"]["Timeout"] == 30
    identity = auth[cdk_logical_id("Auth/IdentityPool")]["Properties"]
    assert identity["IdentityPoolName"] == "dev-shop-Auth" and identity["AllowUnauthenticatedIdentities"] is True
    [provider] = identity["CognitoIdentityProviders"]
    assert provider["ClientId"] == {"Ref": cdk_logical_id("Auth/UserPoolClient/Resource")}
    role = auth[cdk_logical_id("Auth/IdentityPoolAuthRole/Resource")]["Properties"]
    cond = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert cond["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": "authenticated"}
    # `auth.attachPermissionsForAuthUsers(stack, [api, "s3"])` from another stack: a policy in
    # that stack, attached to the imported auth role (SST's Cognito.attachPermissionsForUsers).
    api = template(shop, "ApiStack")["Resources"]
    grant = api[cdk_logical_id("Auth-Auth-dev-shop-ApiStack-AuthRole/Resource")]["Properties"]
    actions = [s["Action"] for s in grant["PolicyDocument"]["Statement"]]
    assert actions == ["execute-api:Invoke", "s3:*"]
    assert "Fn::ImportValue" in grant["Roles"][0]


def test_shop_appsync_schema_data_sources_and_resolvers(shop: SynthResult) -> None:
    """SST's AppSyncApi: `Api` from the schema file, a Lambda data source `Lambda_{key}`, a
    DynamoDB one, and a resolver with an inline function gets `Lambda_{type}_{field}` and
    its data source `LambdaDS_{type}_{field}`; resolvers are `{type}{field}Resolver`."""
    tpl = template(shop, "Graph")
    expect_tree(tpl, "dev-shop-Graph", {
        "Graph/Api/Resource": "AWS::AppSync::GraphQLApi",
        "Graph/Api/Schema": "AWS::AppSync::GraphQLSchema",
        "Graph/Api/orderFns/Resource": "AWS::AppSync::DataSource",
        "Graph/Lambda_orderFns/Resource": "AWS::Lambda::Function",
        "Graph/Api/ordersTable/Resource": "AWS::AppSync::DataSource",
        "Graph/Api/QuerylistOrdersResolver/Resource": "AWS::AppSync::Resolver",
        "Graph/Api/QuerygetOrderResolver/Resource": "AWS::AppSync::Resolver",
        "Graph/Lambda_Mutation_createOrder/Resource": "AWS::Lambda::Function",
        "Graph/Api/LambdaDS_Mutation_createOrder/Resource": "AWS::AppSync::DataSource",
        "Graph/Api/MutationcreateOrderResolver/Resource": "AWS::AppSync::Resolver",
        "Graph/Parameter_url/Resource": "AWS::SSM::Parameter",
    })
    res = tpl["Resources"]
    api = res[cdk_logical_id("Graph/Api/Resource")]["Properties"]
    assert (api["Name"], api["XrayEnabled"]) == ("dev-shop-Graph", True)
    schema = res[cdk_logical_id("Graph/Api/Schema")]["Properties"]["Definition"]
    assert schema == (APPS / "shop-v2" / "packages" / "graphql" / "schema.graphql").read_text()
    get = res[cdk_logical_id("Graph/Api/QuerygetOrderResolver/Resource")]["Properties"]
    assert get["ResponseMappingTemplate"] == "$util.toJson($ctx.result)"
    assert get["DataSourceName"] == "ordersTable"
    assert tpl["Outputs"]["GraphUrl"]["Value"] == {"Fn::GetAtt": [cdk_logical_id("Graph/Api/Resource"), "GraphQLUrl"]}


def test_shop_api_authorizers(shop: SynthResult) -> None:
    """SST's Api.addAuthorizers: a user pool (JWT) authorizer from the Cognito construct and a
    Lambda authorizer; `defaults.authorizer` and its scopes reach every route but the one
    that says `authorizer: "none"`."""
    api = template(shop, "ApiStack")["Resources"]
    expect_tree(template(shop, "ApiStack"), "dev-shop-ApiStack", {
        "Api/Api/jwt/Resource": "AWS::ApiGatewayV2::Authorizer",
        "Api/Api/partner/Resource": "AWS::ApiGatewayV2::Authorizer",
        "PartnerAuthorizer/Resource": "AWS::Lambda::Function",
    })
    jwt = api[cdk_logical_id("Api/Api/jwt/Resource")]["Properties"]
    assert jwt["AuthorizerType"] == "JWT" and jwt["Name"] == "jwt"
    issuer = json.dumps(jwt["JwtConfiguration"]["Issuer"])
    assert "https://cognito-idp.us-east-1.amazonaws.com/" in issuer and "AuthUserPool" in issuer
    assert "AuthUserPoolClient" in json.dumps(jwt["JwtConfiguration"]["Audience"])
    partner = api[cdk_logical_id("Api/Api/partner/Resource")]["Properties"]
    assert (partner["AuthorizerType"], partner["EnableSimpleResponses"], partner["AuthorizerResultTtlInSeconds"]) \
        == ("REQUEST", True, 0)
    assert "PartnerAuthorizer" in json.dumps(partner["AuthorizerUri"])

    def route(path: str) -> dict[str, Any]:
        props: dict[str, Any] = api[cdk_logical_id(f"Api/Route_{path}/Resource")]["Properties"]
        return props

    orders = route("GET_--orders")
    assert (orders["AuthorizationType"], orders["AuthorizationScopes"]) == ("JWT", ["orders/read"])
    assert orders["AuthorizerId"] == {"Ref": cdk_logical_id("Api/Api/jwt/Resource")}
    assert route("GET_--health")["AuthorizationType"] == "NONE"
    assert route("POST_--partner--orders")["AuthorizationType"] == "CUSTOM"
    assert "AuthorizationScopes" not in route("POST_--partner--orders")


def test_unknown_or_dynamic_authorizers_leave_their_routes_out(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  new sst.Api(stack, "Api", {
    authorizers: { custom: { type: "jwt", jwt: { issuer: issuerFor(stack), audience: ["x"] } } },
    routes: {
      "GET /a": { authorizer: "missing", function: "src/fn.main" },
      "GET /b": { authorizer: "custom", function: "src/fn.main" },
      "GET /c": "src/fn.main",
    },
  });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    reasons = {s.id: s.reason for s in result.skipped}
    assert reasons["Api/GET /a"] == 'Cannot find authorizer "missing"'
    # The issuer is a call: the route is left out, never built open.
    assert "Api/GET /b" in reasons
    routes = [r for r in template(result, "S")["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert [r["Properties"]["RouteKey"] for r in routes] == ["GET /c"]


def test_shop_outputs_of_construct_attributes(shop: SynthResult) -> None:
    events, auth, api = (template(shop, s)["Outputs"] for s in ("Events", "AuthStack", "ApiStack"))
    bus = cdk_logical_id("Bus/EventBus/Resource")
    assert events["BusName"]["Value"] == {"Ref": bus}
    assert events["BusArn"]["Value"] == {"Fn::GetAtt": [bus, "Arn"]}
    assert events["StreamName"]["Value"] == {"Ref": cdk_logical_id("Clicks/Stream/Resource")}
    assert events["DeadLetterUrl"]["Value"] == {"Ref": cdk_logical_id("DeadLetters/Queue/Resource")}
    assert auth["UserPoolId"]["Value"] == {"Ref": cdk_logical_id("Auth/UserPool/Resource")}
    assert auth["UserPoolClientId"]["Value"] == {"Ref": cdk_logical_id("Auth/UserPoolClient/Resource")}
    assert auth["IdentityPoolId"]["Value"] == {"Ref": cdk_logical_id("Auth/IdentityPool")}
    assert api["CheckoutName"]["Value"] == {"Ref": cdk_logical_id("Checkout/Resource")}
    assert "ApiUrl" in api and "ApiEndpoint" not in api


# ----------------------------------------------------------------------------------------------
# `app.setDefaultRemovalPolicy` reaches the templates (SST's App.applyRemovalPolicy).


def test_destroy_default_reaches_every_resource_and_empties_buckets(notes: SynthResult) -> None:
    for s in notes.stacks:
        for lid, res in template(notes, s.id)["Resources"].items():
            assert (res.get("DeletionPolicy"), res.get("UpdateReplacePolicy")) == ("Delete", "Delete"), lid
    storage = template(notes, "StorageStack")["Resources"]
    # SST's App copies CDK's auto-delete for buckets when the default is "destroy".
    expect_tree(template(notes, "StorageStack"), "dev-notes-auth-StorageStack", {
        "Uploads/Bucket/Resource": "AWS::S3::Bucket",
        "Uploads/Bucket/AutoDeleteObjectsCustomResource/Default": "Custom::S3AutoDeleteObjects",
        "Uploads/Bucket/Policy/Resource": "AWS::S3::BucketPolicy",
    })
    assert any(r["Type"] == "AWS::Lambda::Function" and "AutoDeleteObjects" in lid for lid, r in storage.items())
    for s in notes.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_editor_and_template_agree_on_the_removal_policy(shop: SynthResult) -> None:
    """The stateful warnings read `app.setDefaultRemovalPolicy` from the entry file; the
    template a dev deploy sends carries the same policy."""
    from sst_lsp.baseline.kinds import app_default_policy
    from sst_lsp.syntax.parser import parse

    entry = APPS / "shop-v2" / "sst.config.ts"
    editor = app_default_policy(parse(entry.read_text(), "typescript"), "dev")
    assert editor is not None and editor.value == "destroy"
    queue = template(shop, "Events")["Resources"][cdk_logical_id("DeadLetters/Queue/Resource")]
    pool = template(shop, "AuthStack")["Resources"][cdk_logical_id("Auth/UserPool/Resource")]
    assert queue["DeletionPolicy"] == pool["DeletionPolicy"] == "Delete"


_GUARDED = '    if (app.stage !== "prod") {\n      app.setDefaultRemovalPolicy("destroy");\n    }'


@pytest.mark.parametrize(("entry", "storage", "stage", "deletion"), [
    pytest.param('    app.setDefaultRemovalPolicy("destroy");', "", "prod", "Delete", id="unconditional"),
    pytest.param(_GUARDED, "", "dev", "Delete", id="not-prod-on-dev"),
    pytest.param(_GUARDED, "", "prod", "Retain", id="not-prod-on-prod"),
    pytest.param('    if (process.env.CI) app.setDefaultRemovalPolicy("destroy");', "", "dev", "Retain",
                 id="undecidable"),
    pytest.param("", '  stack.setDefaultRemovalPolicy("destroy");', "dev", "Delete", id="stack-level"),
])
def test_moved_table_warning_agrees_with_the_template(tmp_path: Path, entry: str, storage: str, stage: str,
                                                      deletion: str) -> None:
    """What the editor says of a table moved out of Storage (deleted or orphaned) is what the
    template of Storage, synthesized for the same stage before the move, does with it."""
    root = tmp_path / "app"
    app, old = app_before_move(root, entry, storage)
    result = synth_app(app, stage, tmp_path / "out")
    table = template(result, "Storage")["Resources"][cdk_logical_id("Notes/Table/Resource")]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (deletion, deletion)

    got = stateful_after_move(root, entry, storage, stage, old)
    [moved] = [f for f in got if f.code == "stateful-construct-moved"]
    assert {"Delete": "destroy", "Retain": "retain"}[deletion] == moved.data["policy"]
    if deletion == "Delete":
        assert 'The old table in "Storage" is deleted with its items (DESTROY: ' in moved.message
    else:
        assert 'The old table in "Storage" is orphaned: it stays in the account with its items' in moved.message
    if "process.env.CI" in entry:
        # The template leaves the call out, with a warning; the editor says the same.
        assert any("setDefaultRemovalPolicy left out" in w and "sst.config.ts:11" in w for w in result.warnings)
        assert "setDefaultRemovalPolicy at sst.config.ts:11 (under `process.env.CI`) is left out" in moved.message


def test_production_stage_keeps_each_resources_own_policy(tmp_path: Path) -> None:
    # notes-auth-v1: `app.setDefaultRemovalPolicy(app.stage === "prod" ? "retain" : "destroy")`;
    # shop-v2: `if (app.stage !== "prod") app.setDefaultRemovalPolicy("destroy")`.
    shop = app_to_spec(load(APPS / "shop-v2"), "prod")
    assert all("removal_policy" not in st for st in shop["stacks"])
    assert {st.get("removal_policy") for st in app_to_spec(load(APPS / "shop-v2"), "pr-12")["stacks"]} == {"destroy"}
    result = synth_app(load(APPS / "notes-auth-v1"), "prod", tmp_path / "out")
    storage = template(result, "StorageStack")["Resources"]
    assert storage[cdk_logical_id("Notes/Table/Resource")]["DeletionPolicy"] == "Retain"
    assert storage[cdk_logical_id("Uploads/Bucket/Resource")]["DeletionPolicy"] == "Retain"
    assert not any(r["Type"] == "Custom::S3AutoDeleteObjects" for r in storage.values())


def write_app(root: Path, entry_body: str, stack_body: str) -> App:
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "fn.ts").write_text("export const main = async () => ({});\n")
    (root / "sst.json").write_text('{"name": "cov", "region": "us-east-1", "main": "stacks/index.ts"}')
    (root / "stacks" / "index.ts").write_text(
        'import { S } from "./S";\nexport default function main(app) {\n'
        f'  app.setDefaultFunctionProps({{ runtime: "nodejs22.x" }});\n{entry_body}\n  app.stack(S);\n}}\n'
    )
    (root / "stacks" / "S.ts").write_text(
        'import * as sst from "@serverless-stack/resources";\n'
        'import { Config } from "@serverless-stack/resources";\n'
        'import { Duration } from "aws-cdk-lib";\n'
        f"export function S({{ stack, app }}: sst.StackContext) {{\n{stack_body}\n}}\n"
    )
    return load(root)


def test_removal_policy_forms(tmp_path: Path) -> None:
    unknown = write_app(tmp_path / "a", '  if (process.env.CI) app.setDefaultRemovalPolicy("destroy");',
                        '  new sst.Queue(stack, "Q");')
    spec = app_to_spec(unknown, "dev")
    assert "removal_policy" not in spec["stacks"][0]
    assert any("setDefaultRemovalPolicy left out" in w and "index.ts:4" in w for w in spec["warnings"])
    on_stack = write_app(tmp_path / "b", "", '  stack.setDefaultRemovalPolicy(RemovalPolicy.DESTROY);\n'
                                            '  new sst.Queue(stack, "Q");')
    assert app_to_spec(on_stack, "dev")["stacks"][0]["removal_policy"] == "destroy"
    local = write_app(tmp_path / "c", '  app.setDefaultRemovalPolicy(app.local ? "destroy" : "retain");', "")
    assert app_to_spec(local, "dev")["stacks"][0]["removal_policy"] == "retain"


# ----------------------------------------------------------------------------------------------
# A v1 app: Auth (the Cognito tree), Config via `config`, Queue and Cron prop forms.


def test_notes_is_modeled_in_full(notes: SynthResult) -> None:
    assert notes.skipped == []
    # An iam.PolicyStatement handed to attachPermissionsForAuthUsers is named, not dropped silently.
    assert notes.warnings == [("auth.attachPermissionsForAuthUsers: permissions entry 2 left out: "
                               "it cannot be evaluated statically")]
    expect_tree(template(notes, "AuthStack"), "dev-notes-auth-AuthStack", {
        "Auth/UserPool/Resource": "AWS::Cognito::UserPool",
        "Auth/UserPoolClient/Resource": "AWS::Cognito::UserPoolClient",
        "Auth/IdentityPool": "AWS::Cognito::IdentityPool",
        "Auth/IdentityPoolRoleAttachment": "AWS::Cognito::IdentityPoolRoleAttachment",
    })
    auth = template(notes, "AuthStack")
    # From the Auth's own stack, the grant goes onto the auth role's policy.
    role_policy = auth["Resources"][cdk_logical_id("Auth/IdentityPoolAuthRole/DefaultPolicy/Resource")]["Properties"]
    actions = [st["Action"] for st in role_policy["PolicyDocument"]["Statement"]]
    assert actions[-1] == "execute-api:Invoke"
    assert auth["Outputs"]["Region"]["Value"] == "us-east-1"  # `app.region`
    api = template(notes, "ApiStack")
    env = api["Resources"][cdk_logical_id("Api/Lambda_POST_--billing/Resource")]["Properties"]["Environment"]
    # v1's `config: [...]` binds like `bind`.
    assert env["Variables"]["SST_Secret_value_STRIPE_SECRET_KEY"] == "__FETCH_FROM_SSM__"
    assert "Fn::ImportValue" in env["Variables"]["SST_Parameter_value_TABLE_NAME"]
    assert api["Outputs"]["ApiId"]["Value"] == {"Ref": "ApiCD79AAA0"}


def test_notes_queue_options_and_cron_job_forms(notes: SynthResult) -> None:
    jobs = template(notes, "JobsStack")["Resources"]
    queue = jobs[cdk_logical_id("Exports/Queue/Resource")]["Properties"]
    assert queue["VisibilityTimeout"] == 360
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [cdk_logical_id("Failed/Queue/Resource"), "Arn"]},
                                      "maxReceiveCount": 3}
    [mapping] = [r["Properties"] for r in jobs.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["BatchSize"] == 5 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # `job: digest` targets the Function construct itself; no Job function is made.
    daily = jobs[cdk_logical_id("DailyDigest/Rule/Resource")]["Properties"]
    assert daily["Targets"][0]["Arn"] == {"Fn::GetAtt": [cdk_logical_id("Digest/Resource"), "Arn"]}
    assert not any(p.startswith("DailyDigest/Job") for p in (r["Metadata"]["aws:cdk:path"].split("/", 1)[1]
                                                               for r in jobs.values()))
    cleanup = jobs[cdk_logical_id("Cleanup/Rule/Resource")]["Properties"]
    assert cleanup["Description"] == "Removes expired exports"
    assert jobs[cdk_logical_id("Cleanup/Job/Resource")]["Properties"]["MemorySize"] == 512


# ----------------------------------------------------------------------------------------------
# What stays out is listed, with its reason.


def test_a_stack_of_secrets_only_gets_a_placeholder(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", '  new Config.Secret(stack, "API_KEY");')
    assert [c["kind"] for c in app_to_spec(app, "dev")["stacks"][0]["constructs"]] == ["Config.Secret"]
    result = synth_app(app, "dev", tmp_path / "out")
    assert result.skipped == []
    assert result.warnings == ["stack S has no modeled resources: it holds a placeholder"]
    assert lint_errors(result.stacks[0].template_path) == []


def test_left_out_forms_are_listed_with_reasons(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  const bus = new sst.EventBus(stack, "Bus", {
    rules: { r: { pattern: { source: ["x"] }, targets: { t: { function: "src/fn.main", cdk: { target: {} } } } } },
  });
  bus.addRules(props.scope, { later: { pattern: { source: ["y"] }, targets: { t: "src/fn.main" } } });
  new sst.Queue(stack, "Encrypted", { cdk: { queue: { encryption: QueueEncryption.KMS } } });
  new sst.Queue(stack, "Slow", { cdk: { queue: { visibilityTimeout: timeoutFor("slow") } } });
  new sst.Cron(stack, "Nightly", { schedule: "rate(1 day)", job: { function: "src/fn.main", cdk: { target: {} } } });
  new sst.StaticSite(stack, "Web", { path: "web" });
  new sst.KinesisStream(stack, "Raw", { cdk: { stream: { shardCount: 4 } } });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    reasons = {(s.kind, s.id): s.reason for s in result.skipped}
    assert reasons[("EventBus target", "Bus/r/t")] == "`cdk.target` options are not modeled"
    assert "addRules" in reasons[("EventBus function", 'Bus: rule "later" target "t"')]
    assert reasons[("Queue", "Encrypted")] == "`cdk.queue.encryption` is not modeled"
    assert reasons[("Queue", "Slow")] == "`cdk.queue.visibilityTimeout` cannot be evaluated statically"
    assert reasons[("Cron", "Nightly")] == "the job's `cdk.target` options are not modeled"
    assert "frontend site" in reasons[("StaticSite", "Web")]
    assert reasons[("KinesisStream", "Raw")] == "`cdk.stream` options are not modeled"
    tpl = template(result, "S")
    assert cdk_logical_id("Bus/EventBus/Resource") in tpl["Resources"]
    assert lint_errors(result.stacks[0].template_path) == []


def test_v2_auth_is_built_beside_cognito(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(APPS / "shop-v2", root)
    stack = root / "stacks" / "AuthStack.ts"
    stack.write_text(stack.read_text().replace('import { Cognito, StackContext } from "sst/constructs";',
                                               'import { Auth, Cognito, StackContext } from "sst/constructs";')
                     .replace("  stack.addOutputs({", '  new Auth(stack, "Login", { authenticator: { handler: '
                              '"packages/functions/src/auth/preSignUp.handler" } });\n  stack.addOutputs({'))
    spec = app_to_spec(load(root), "dev")
    assert not any(s["id"] in ("Login", "Auth") for s in spec["skipped"])
    built = {c["id"]: c.get("builder") for st in spec["stacks"] for c in st["constructs"] if c["kind"] == "Auth"}
    # v2's Auth is SST's own auth (test_synth_auth.py), never a user pool; `Cognito` stays one.
    assert built == {"Login": "sst_auth"}


def test_consumer_options_and_notification_filters(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  const worker = new sst.Function(stack, "Worker", { handler: "src/fn.main" });
  const uploads = new sst.Queue(stack, "Uploads", { consumer: worker });
  new sst.Table(stack, "Events", {
    fields: { pk: "string" },
    primaryIndex: { partitionKey: "pk" },
    stream: "new_image",
    consumers: {
      archive: {
        function: "src/fn.main",
        cdk: { eventSource: { batchSize: 10, startingPosition: StartingPosition.TRIM_HORIZON } },
      },
      audit: worker,
    },
  });
  new sst.Bucket(stack, "Photos", {
    notifications: {
      resize: { function: "src/fn.main", events: ["object_created"], filters: [{ prefix: "raw/" }, { suffix: ".jpg" }] },
      enqueue: { type: "queue", queue: uploads },
    },
  });
  new sst.Topic(stack, "Alerts", {
    subscribers: {
      pager: { function: "src/fn.main", cdk: { subscription: { filterPolicy: { level: critical } } } },
      log: "src/fn.main",
      backlog: { queue: uploads, cdk: { subscription: { rawMessageDelivery: true } } },
      fanout: uploads,
      other: subscriberFor("x"),
    },
  });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    reasons = {s.id: s.reason for s in result.skipped}
    assert reasons == {
        "Alerts/Subscriber_Alerts_pager": "`cdk.subscription` options (filter policies) are not modeled",
        "Alerts/backlog": "`cdk.subscription` options (filter policies) are not modeled",
        "Alerts/other": "it cannot be evaluated statically",
    }
    res = template(result, "S")["Resources"]
    mappings = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 3  # the archive consumer; the Worker function for the table and the queue
    archive = next(m for m in mappings if m.get("BatchSize") == 10)
    assert archive["StartingPosition"] == "TRIM_HORIZON"
    worker_fn = {"Ref": cdk_logical_id("Worker/Resource")}
    assert sorted(json.dumps(m["EventSourceArn"]) for m in mappings if m["FunctionName"] == worker_fn) == sorted(
        [json.dumps({"Fn::GetAtt": [cdk_logical_id("Events/Table/Resource"), "StreamArn"]}),
         json.dumps({"Fn::GetAtt": [cdk_logical_id("Uploads/Queue/Resource"), "Arn"]})])
    [notes] = [r["Properties"] for r in res.values() if r["Type"] == "Custom::S3BucketNotifications"]
    [config] = notes["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"},
                                                        {"Name": "suffix", "Value": ".jpg"}]}}
    # `{ type: "queue", queue }`: an SQS destination for both default events.
    queues = notes["NotificationConfiguration"]["QueueConfigurations"]
    assert [q["Events"] for q in queues] == [["s3:ObjectCreated:*"], ["s3:ObjectRemoved:*"]]
    assert [r["Type"] for r in res.values()].count("AWS::SNS::Subscription") == 2  # log and fanout
    assert lint_errors(result.stacks[0].template_path) == []


def test_function_layers_by_arn(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  const sharp = LayerVersion.fromLayerVersionArn(stack, "Sharp", "arn:aws:lambda:us-east-1:123456789012:layer:sharp:3");
  stack.setDefaultFunctionProps({ layers: ["arn:aws:lambda:us-east-1:123456789012:layer:otel:7"] });
  new sst.Function(stack, "Thumbs", { handler: "src/fn.main", layers: [sharp] });
  new sst.Function(stack, "Built", { handler: "src/fn.main", layers: [new LayerVersion(stack, "Own", { code })] });
  new sst.WebSocketApi(stack, "Chat", { routes: { $connect: "src/fn.main" } });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    reasons = {s.id: s.reason for s in result.skipped}
    assert "layers other than ARNs" in reasons["Built"]
    assert "only SST v2's WebSocketApi" in reasons["Chat"]
    fn = template(result, "S")["Resources"][cdk_logical_id("Thumbs/Resource")]["Properties"]
    # Stack defaults first, then the function's own (SST concatenates layers).
    assert fn["Layers"] == ["arn:aws:lambda:us-east-1:123456789012:layer:otel:7",
                            "arn:aws:lambda:us-east-1:123456789012:layer:sharp:3"]
    assert lint_errors(result.stacks[0].template_path) == []


def test_notes_graphql_api_shares_one_function_for_get_and_post(notes: SynthResult) -> None:
    """SST v1's GraphQLApi: an Api with `GET /` and `POST /` routes over one function and one
    integration (GraphQLApi.ts overrides createFunctionIntegration)."""
    tpl = template(notes, "GraphStack")
    expect_tree(tpl, "dev-notes-auth-GraphStack", {
        "Graph/Api/Resource": "AWS::ApiGatewayV2::Api",
        "Graph/Lambda_GET_--/Resource": "AWS::Lambda::Function",
        "Graph/Route_GET_--/Integration_GET_--/Resource": "AWS::ApiGatewayV2::Integration",
        "Graph/Route_GET_--/Resource": "AWS::ApiGatewayV2::Route",
        "Graph/Route_POST_--/Resource": "AWS::ApiGatewayV2::Route",
        "Graph/Parameter_url/Resource": "AWS::SSM::Parameter",
    })
    res = tpl["Resources"]
    assert [r["Type"] for r in res.values()].count("AWS::Lambda::Function") == 1
    assert [r["Type"] for r in res.values()].count("AWS::ApiGatewayV2::Integration") == 1
    post = res[cdk_logical_id("Graph/Route_POST_--/Resource")]["Properties"]
    assert cdk_logical_id("Graph/Route_GET_--/Integration_GET_--/Resource") in json.dumps(post["Target"])
    param = res[cdk_logical_id("Graph/Parameter_url/Resource")]["Properties"]
    assert param["Name"] == "/sst/notes-auth/dev/GraphQLApi/Graph/url"
    assert tpl["Outputs"]["GraphUrl"]["Value"] == {"Fn::GetAtt": [cdk_logical_id("Graph/Api/Resource"), "ApiEndpoint"]}


def test_function_options_and_what_is_left_out(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  const hook = new sst.Function(stack, "Hook", {
    handler: "src/fn.main",
    functionName: "cov-hook",
    architecture: "arm_64",
    url: true,
    description: "Incoming webhooks",
    reservedConcurrentExecutions: 5,
    diskSize: "1 GB",
    vpc: props.vpc,
  });
  stack.addOutputs({ HookUrl: hook.url });
""")
    result = synth_app(app, "dev", tmp_path / "out")
    assert result.skipped == []
    # A prop the embedded synth cannot set is named, never dropped silently.
    assert result.warnings == ["function Hook: `vpc` is not modeled by the embedded synth (left out)"]
    tpl = template(result, "S")
    expect_tree(tpl, "dev-cov-S", {"Hook/Resource": "AWS::Lambda::Function",
                                   "Hook/FunctionUrl/Resource": "AWS::Lambda::Url"})
    fn = tpl["Resources"][cdk_logical_id("Hook/Resource")]["Properties"]
    assert (fn["FunctionName"], fn["Architectures"], fn["Description"]) == ("cov-hook", ["arm64"], "Incoming webhooks")
    assert fn["ReservedConcurrentExecutions"] == 5 and fn["EphemeralStorage"] == {"Size": 1024}
    url = tpl["Resources"][cdk_logical_id("Hook/FunctionUrl/Resource")]["Properties"]
    assert url["AuthType"] == "NONE" and url["Cors"]["AllowOrigins"] == ["*"]
    assert tpl["Outputs"]["HookUrl"]["Value"] == {"Fn::GetAtt": [cdk_logical_id("Hook/FunctionUrl/Resource"), "FunctionUrl"]}
    assert lint_errors(result.stacks[0].template_path) == []


def test_the_spec_and_the_engine_model_the_same_kinds() -> None:
    from sst_lsp.cloud import synth_embedded, synth_spec

    assert synth_spec.MODELED_KINDS == synth_embedded.MODELED_KINDS


def test_app_and_stack_default_function_props_reach_every_function(tmp_path: Path) -> None:
    """SST copies the app's default function props into each stack before the stack's own;
    `addDefaultFunctionEnv/Permissions` push one more layer each."""
    app = write_app(tmp_path / "app", """
  app.setDefaultFunctionProps({ timeout: 30, environment: { LOG_LEVEL: "info" } });
  app.addDefaultFunctionEnv({ REGION_HINT: "use1" });
  app.addDefaultFunctionPermissions(["ses"]);""", """
  stack.addDefaultFunctionEnv({ LOG_LEVEL: "debug" });
  new sst.Function(stack, "Mailer", { handler: "src/fn.main", memorySize: 256 });""")
    result = synth_app(app, "dev", tmp_path / "out")
    res = template(result, "S")["Resources"]
    fn = res[cdk_logical_id("Mailer/Resource")]["Properties"]
    assert (fn["Timeout"], fn["MemorySize"]) == (30, 256)
    env = fn["Environment"]["Variables"]
    assert (env["LOG_LEVEL"], env["REGION_HINT"]) == ("debug", "use1")
    policy = res[cdk_logical_id("Mailer/ServiceRole/DefaultPolicy/Resource")]["Properties"]
    assert any(s["Action"] == "ses:*" for s in policy["PolicyDocument"]["Statement"])
