"""Embedded synth of SST v2's WebSocketApi.

Fidelity, read from SST v2's `packages/sst/src/constructs/WebSocketApi.ts` (and
`util/apiGatewayV2AccessLog.ts`, `Stack.ts`):
- `{id}/Api`: apigatewayv2.WebSocketApi named `{stage}-{app}-{id}`;
- `{id}/APIGatewayCloudWatchRolePolicy` (apigateway:GET/PATCH on the account, iam:CreateRole/
  PassRole/AttachRolePolicy on `apigateway-cloudwatch-logs-role`), attached to the stack's
  `CustomResourceHandler`, and `{id}/APIGatewayCloudWatchRole` (`Custom::APIGatewayCloudWatchRole`
  with roleName/roleArn), which the stage depends on;
- `{id}/Stage`: the stage named after the SST stage, auto-deployed, with the access log
  `{id}/LogGroup` (`/aws/vendedlogs/apis/{stage}-{app}-{id}-{apiId}/{stage}`) in SST's
  WebSocket format;
- each route: the function `{routeKey}` (in the construct, or in the `addRoutes` scope), the
  route `Route_{routeKey}` with the integration `Integration_{routeKey}`; `$connect` has its
  authorization type set explicitly; every route function may `execute-api:ManageConnections`
  on `{apiId}/*/*/@connections/*`;
- binding: `url` (the stage's wss:// URL) and the same ManageConnections grant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.cloud.synth_embedded import CUSTOM_RESOURCE_HANDLER_CODE, WEBSOCKET_ACCESS_LOG_FORMAT
from sst_lsp.cloud.synth_spec import app_to_spec
from tests.cloud.test_synth_coverage import APPS, cdk_logical_id, expect_tree, lint_errors, load, template
from tests.cloud.test_synth_eventbus import write_v2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "chat-v2"), "dev", tmp_path_factory.mktemp("chat") / "out")


def res(result: SynthResult, path: str) -> dict[str, Any]:
    r: dict[str, Any] = template(result, "Chat")["Resources"][cdk_logical_id(path)]
    return r


def connections_arn() -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":execute-api:eu-west-1:", {"Ref": "AWS::AccountId"},
                              ":", {"Ref": cdk_logical_id("Socket/Api/Resource")}, "/*/*/@connections/*"]]}


def test_chat_is_modeled_in_full_and_lint_clean(chat: SynthResult) -> None:
    assert chat.skipped == []
    assert chat.warnings == []
    for s in chat.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_websocket_tree_follows_sst(chat: SynthResult) -> None:
    expect_tree(template(chat, "Chat"), "dev-chat-Chat", {
        "Socket/Api/Resource": "AWS::ApiGatewayV2::Api",
        "Socket/APIGatewayCloudWatchRolePolicy/Resource": "AWS::IAM::Policy",
        "Socket/APIGatewayCloudWatchRole/Default": "Custom::APIGatewayCloudWatchRole",
        "Socket/Stage/Resource": "AWS::ApiGatewayV2::Stage",
        "Socket/LogGroup/Resource": "AWS::Logs::LogGroup",
        "CustomResourceHandler/Resource": "AWS::Lambda::Function",
        "Socket/Parameter_url/Resource": "AWS::SSM::Parameter",
        **{f"Socket/{k}/Resource": "AWS::Lambda::Function" for k in ("$connect", "$disconnect", "$default", "sendMessage")},
        **{f"Socket/Route_{k}/Resource": "AWS::ApiGatewayV2::Route"
           for k in ("$connect", "$disconnect", "$default", "sendMessage")},
        **{f"Socket/Route_{k}/Integration_{k}/Resource": "AWS::ApiGatewayV2::Integration"
           for k in ("$connect", "$disconnect", "$default", "sendMessage")},
        # `api.addRoutes(stack, ...)`: in the stack.
        "typing/Resource": "AWS::Lambda::Function",
        "Route_typing/Resource": "AWS::ApiGatewayV2::Route",
        "Route_typing/Integration_typing/Resource": "AWS::ApiGatewayV2::Integration",
    })
    # SST's logical ids for the names CDK derives (`$` is dropped).
    assert cdk_logical_id("Socket/$connect/Resource").startswith("Socketconnect")
    api = res(chat, "Socket/Api/Resource")["Properties"]
    assert api["Name"] == "dev-chat-Socket" and api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_stage_waits_for_the_cloudwatch_role_and_logs_in_sst_format(chat: SynthResult) -> None:
    stage = res(chat, "Socket/Stage/Resource")
    assert stage["DependsOn"] == [cdk_logical_id("Socket/APIGatewayCloudWatchRole/Default")]
    props = stage["Properties"]
    assert props["StageName"] == "dev" and props["AutoDeploy"] is True
    assert props["AccessLogSettings"] == {
        "DestinationArn": {"Fn::GetAtt": [cdk_logical_id("Socket/LogGroup/Resource"), "Arn"]},
        "Format": WEBSOCKET_ACCESS_LOG_FORMAT,
    }
    assert '"status":$context.status,' in WEBSOCKET_ACCESS_LOG_FORMAT
    assert res(chat, "Socket/LogGroup/Resource")["Properties"]["LogGroupName"] == {
        "Fn::Join": ["", ["/aws/vendedlogs/apis/dev-chat-Socket-", {"Ref": cdk_logical_id("Socket/Api/Resource")}, "/dev"]]}
    role = res(chat, "Socket/APIGatewayCloudWatchRole/Default")
    assert role["DependsOn"] == [cdk_logical_id("Socket/APIGatewayCloudWatchRolePolicy/Resource")]
    assert role["Properties"]["ServiceToken"] == {"Fn::GetAtt": [cdk_logical_id("CustomResourceHandler/Resource"), "Arn"]}
    assert role["Properties"]["roleName"] == "apigateway-cloudwatch-logs-role"
    policy = res(chat, "Socket/APIGatewayCloudWatchRolePolicy/Resource")["Properties"]
    assert policy["Roles"] == [{"Ref": cdk_logical_id("CustomResourceHandler/ServiceRole/Resource")}]
    assert [st["Action"] for st in policy["PolicyDocument"]["Statement"]] == [
        ["apigateway:GET", "apigateway:PATCH"], ["iam:CreateRole", "iam:PassRole", "iam:AttachRolePolicy"]]
    handler = res(chat, "CustomResourceHandler/Resource")["Properties"]
    assert handler["Handler"] == "index.handler" and handler["Timeout"] == 900 and handler["MemorySize"] == 1024
    assert handler["Code"]["ZipFile"] == CUSTOM_RESOURCE_HANDLER_CODE
    # The stand-in does what SST's handler does for this resource, and answers every other one.
    for call in ("GetAccountCommand", "CreateRoleCommand", "AttachRolePolicyCommand", "UpdateAccountCommand",
                 "AmazonAPIGatewayPushToCloudWatchLogs", '"SUCCESS"'):
        assert call in CUSTOM_RESOURCE_HANDLER_CODE


def test_routes_integrations_auth_defaults_and_permissions(chat: SynthResult) -> None:
    connect = res(chat, "Socket/Route_$connect/Resource")["Properties"]
    assert connect["RouteKey"] == "$connect" and connect["AuthorizationType"] == "NONE"
    assert connect["Target"] == {"Fn::Join": ["", ["integrations/", {
        "Ref": cdk_logical_id("Socket/Route_$connect/Integration_$connect/Resource")}]]}
    # Other routes keep CDK's own (NONE): SST sets the type on `$connect` only.
    assert res(chat, "Socket/Route_sendMessage/Resource")["Properties"]["AuthorizationType"] == "NONE"
    integration = res(chat, "Socket/Route_sendMessage/Integration_sendMessage/Resource")["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    tpl = template(chat, "Chat")["Resources"]
    perms = [r for r in tpl.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert len(perms) == 5 and all(p["Properties"]["Principal"] == "apigateway.amazonaws.com" for p in perms)
    # The construct's `defaults.function` reaches every route, the props' own values win.
    for key in ("Socket/$connect", "Socket/$default", "typing"):
        props = res(chat, f"{key}/Resource")["Properties"]
        assert props["Timeout"] == 15
        assert "SST_Table_tableName_Connections" in props["Environment"]["Variables"]
    assert res(chat, "Socket/$default/Resource")["Properties"]["MemorySize"] == 256
    for key in ("Socket/$connect", "typing"):
        statements = res(chat, f"{key}/ServiceRole/DefaultPolicy/Resource")["Properties"]["PolicyDocument"]["Statement"]
        assert {"Action": "execute-api:ManageConnections", "Effect": "Allow", "Resource": connections_arn()} in statements


def test_binding_gives_the_url_and_the_manage_connections_grant(chat: SynthResult) -> None:
    url = {"Fn::Join": ["", ["wss://", {"Ref": cdk_logical_id("Socket/Api/Resource")}, ".execute-api.eu-west-1.",
                             {"Ref": "AWS::URLSuffix"}, "/dev"]]}
    env = res(chat, "Broadcast/Resource")["Properties"]["Environment"]["Variables"]
    assert env["SST_WebSocketApi_url_Socket"] == url
    statements = res(chat, "Broadcast/ServiceRole/DefaultPolicy/Resource")["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "execute-api:ManageConnections", "Effect": "Allow", "Resource": connections_arn()} in statements
    assert res(chat, "Socket/Parameter_url/Resource")["Properties"]["Value"] == url
    assert template(chat, "Chat")["Outputs"]["SocketUrl"]["Value"] == url


def test_iam_authorizer_function_routes_and_access_log_options(tmp_path: Path) -> None:
    app = write_v2(tmp_path / "app", """
  const onConnect = new Function(stack, "OnConnect", { handler: "src/fn.main" });
  new WebSocketApi(stack, "Ws", {
    authorizer: "iam",
    accessLog: { retention: "one_week" },
    routes: { $connect: onConnect, $default: { function: onConnect } },
  });
  new WebSocketApi(stack, "Quiet", { accessLog: false, routes: { $default: "src/fn.main" } });
""", imports="Function, StackContext, WebSocketApi")
    result = synth_app(app, "dev", tmp_path / "out")
    assert result.skipped == []
    tpl = template(result, "S")["Resources"]
    connect = tpl[cdk_logical_id("Ws/Route_$connect/Resource")]["Properties"]
    assert connect["AuthorizationType"] == "AWS_IAM"
    target = tpl[cdk_logical_id("Ws/Route_$connect/Integration_$connect/Resource")]["Properties"]["IntegrationUri"]
    assert cdk_logical_id("OnConnect/Resource") in str(target)
    assert not any(r["Metadata"]["aws:cdk:path"].startswith("dev-cov-S/Ws/$") for r in tpl.values())
    assert tpl[cdk_logical_id("Ws/LogGroup/Resource")]["Properties"]["RetentionInDays"] == 7
    assert cdk_logical_id("Quiet/LogGroup/Resource") not in tpl
    assert "AccessLogSettings" not in tpl[cdk_logical_id("Quiet/Stage/Resource")]["Properties"]
    # One CustomResourceHandler per stack, however many WebSocketApis.
    assert [r["Type"] for r in tpl.values()].count("Custom::APIGatewayCloudWatchRole") == 2
    assert sum(1 for r in tpl.values() if r["Metadata"]["aws:cdk:path"] == "dev-cov-S/CustomResourceHandler/Resource") == 1
    assert lint_errors(result.stacks[0].template_path) == []


def test_what_stays_out_says_why(tmp_path: Path) -> None:
    app = write_v2(tmp_path / "app", """
  const fn = new Function(stack, "Fn", { handler: "src/fn.main" });
  new WebSocketApi(stack, "Domain", { customDomain: "ws.example.com", routes: { $default: "src/fn.main" } });
  new WebSocketApi(stack, "Lambda", { authorizer: { type: "lambda", function: fn }, routes: { $default: "src/fn.main" } });
  new WebSocketApi(stack, "Own", { cdk: { webSocketApi: {} }, routes: { $default: "src/fn.main" } });
  new WebSocketApi(stack, "Defaults", { defaults: { function: { timeout: 3 } }, routes: { $connect: fn, $default: "src/fn.main" } });
""", imports="Function, StackContext, WebSocketApi")
    spec = app_to_spec(app, "dev")
    reasons = {(s["kind"], s["id"]): s["reason"] for s in spec["skipped"]}
    assert "Route 53" in reasons[("WebSocketApi", "Domain")]
    assert "Lambda authorizer" in reasons[("WebSocketApi", "Lambda")]
    assert reasons[("WebSocketApi", "Own")] == "`cdk.webSocketApi` is not modeled"
    assert "defaults.function" in reasons[("WebSocketApi route", "Defaults/$connect")]
    [ws] = [c for c in spec["stacks"][0]["constructs"] if c["kind"] == "WebSocketApi"]
    assert [r["key"] for r in ws["routes"]] == ["$default"]


def test_v1_websocket_api_stays_out(tmp_path: Path) -> None:
    from tests.cloud.test_synth_coverage import write_app

    app = write_app(tmp_path / "app", "", '  new sst.WebSocketApi(stack, "Chat", { routes: { $connect: "src/fn.main" } });')
    [skip] = [s for s in app_to_spec(app, "dev")["skipped"] if s["id"] == "Chat"]
    assert "only SST v2's WebSocketApi" in skip["reason"]
