"""Embedded synth of SST v2's own `Auth` (packages/sst/src/constructs/Auth.ts, before `future/auth`).

Fidelity, read from SST's source:
- `new Auth(stack, id, { authenticator })` is a plain construct with a `CloudFrontInvalidatorPolicy`
  (ssm:GetParameter/PutParameter/DeleteParameter on `parameter/*`) attached to the stack's
  `CustomResourceHandler` role, and `StackMetadata`, a `Custom::AuthKeys` served by that handler
  with `publicPath`/`privatePath` = `/sst/{app}/{stage}/Auth/{id}/{publicKey,privateKey}`, which
  depends on the policy;
- `auth.attach(scope, { api, prefix = "/auth" })` adds `ANY {prefix}/{proxy+}` and `GET {prefix}`
  to the Api through `api.addRoutes(scope, ...)` (so `Lambda_{METHOD}_{path}` and `Route_...` sit
  in `scope`) with the authenticator and `authorizer: "none"`; each gets `SST_Auth_prefix_{id}`,
  `SST_Auth_publicKey_{id}`, `SST_Auth_privateKey_{id}` and ssm:GetParameters on
  `/sst/{app}/{stage}/Auth/{id}/*`; the first attach writes the `prefix` parameter;
- `injectConfig` binds every route function of the attached Api to the Auth (`api.getFunction(route)`,
  a Function construct behind a route too): `SST_Auth_publicKey_{id}` and ssm:GetParameters on the
  public key's parameter.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from tests.cloud.test_synth_coverage import APPS, cdk_logical_id, expect_tree, lint_errors, load, template

pytestmark = pytest.mark.slow

_PLACEHOLDER = "__FETCH_FROM_SSM__"


@pytest.fixture(scope="module")
def login(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "login-auth-v2"), "dev", tmp_path_factory.mktemp("login") / "out")


def _ssm(path: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ssm:us-east-1:", {"Ref": "AWS::AccountId"},
                              f":parameter{path}"]]}


def _statements(tpl: dict[str, Any], fn_path: str) -> list[Any]:
    policy = tpl["Resources"][cdk_logical_id(f"{fn_path}/ServiceRole/DefaultPolicy/Resource")]
    out: list[Any] = policy["Properties"]["PolicyDocument"]["Statement"][1:]  # after X-Ray's
    return out


def test_login_is_modeled_in_full_and_lint_clean(login: SynthResult) -> None:
    assert login.skipped == []
    assert login.warnings == []
    assert lint_errors(login.stacks[0].template_path) == []


def test_auth_keys_resource_and_routes_follow_sst_paths(login: SynthResult) -> None:
    tpl = template(login, "Web")
    expect_tree(tpl, "dev-login-Web", {
        "Login/CloudFrontInvalidatorPolicy/Resource": "AWS::IAM::Policy",
        "Login/StackMetadata/Default": "Custom::AuthKeys",
        "Login/prefix/Resource": "AWS::SSM::Parameter",
        "CustomResourceHandler/Resource": "AWS::Lambda::Function",
        # `auth.attach(stack, ...)`: the authenticator's routes sit in the stack.
        "Lambda_ANY_--login--{proxy+}/Resource": "AWS::Lambda::Function",
        "Route_ANY_--login--{proxy+}/Resource": "AWS::ApiGatewayV2::Route",
        "Lambda_GET_--login/Resource": "AWS::Lambda::Function",
        "Route_GET_--login/Resource": "AWS::ApiGatewayV2::Route",
        "Api/Lambda_GET_--me/Resource": "AWS::Lambda::Function",
    })
    res = tpl["Resources"]
    keys = res[cdk_logical_id("Login/StackMetadata/Default")]
    assert keys["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": [cdk_logical_id("CustomResourceHandler/Resource"), "Arn"]},
        "publicPath": "/sst/login/dev/Auth/Login/publicKey", "privatePath": "/sst/login/dev/Auth/Login/privateKey"}
    assert keys["DependsOn"] == [cdk_logical_id("Login/CloudFrontInvalidatorPolicy/Resource")]
    policy = res[cdk_logical_id("Login/CloudFrontInvalidatorPolicy/Resource")]["Properties"]
    assert policy["Roles"] == [{"Ref": cdk_logical_id("CustomResourceHandler/ServiceRole/Resource")}]
    assert policy["PolicyDocument"]["Statement"] == [{
        "Action": ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"], "Effect": "Allow",
        "Resource": _ssm("/*")}]
    prefix = res[cdk_logical_id("Login/prefix/Resource")]["Properties"]
    assert (prefix["Name"], prefix["Value"]) == ("/sst/login/dev/Auth/Login/prefix", "/login")
    for path, key in (("ANY_--login--{proxy+}", "ANY /login/{proxy+}"), ("GET_--login", "GET /login")):
        route = res[cdk_logical_id(f"Route_{path}/Resource")]["Properties"]
        assert (route["RouteKey"], route["AuthorizationType"]) == (key, "NONE")


def test_authenticator_and_route_functions_get_sst_bindings(login: SynthResult) -> None:
    res = template(login, "Web")["Resources"]
    for path in ("Lambda_ANY_--login--{proxy+}", "Lambda_GET_--login"):
        props = res[cdk_logical_id(f"{path}/Resource")]["Properties"]
        # The authenticator's own props, over the Api's defaults (timeout 20).
        assert (props["MemorySize"], props["Timeout"]) == (512, 20)
        env = props["Environment"]["Variables"]
        assert {k: v for k, v in env.items() if k.startswith("SST_Auth")} == {
            "SST_Auth_prefix_Login": "/login", "SST_Auth_publicKey_Login": _PLACEHOLDER,
            "SST_Auth_privateKey_Login": _PLACEHOLDER}
        assert _statements({"Resources": res}, path) == [
            {"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": _ssm("/sst/login/dev/Auth/Login/*")},
            {"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": _ssm("/sst/login/dev/Auth/Login/publicKey")},
        ]
    me = res[cdk_logical_id("Api/Lambda_GET_--me/Resource")]["Properties"]
    assert me["Environment"]["Variables"]["SST_Auth_publicKey_Login"] == _PLACEHOLDER
    assert "SST_Auth_privateKey_Login" not in me["Environment"]["Variables"]
    assert _statements({"Resources": res}, "Api/Lambda_GET_--me") == [
        {"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": _ssm("/sst/login/dev/Auth/Login/publicKey")}]
    # `GET /session` is the Function construct `session`: SST binds that function itself.
    session = res[cdk_logical_id("Session/Resource")]["Properties"]
    assert session["Environment"]["Variables"]["SST_Auth_publicKey_Login"] == _PLACEHOLDER
    assert _statements({"Resources": res}, "Session") == [
        {"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": _ssm("/sst/login/dev/Auth/Login/publicKey")}]


def test_unattached_auth_and_cognito_props(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(APPS / "login-auth-v2", root)
    stack = root / "stacks" / "Web.ts"
    stack.write_text(stack.read_text().replace('  auth.attach(stack, { api, prefix: "/login" });\n', "")
                     .replace("  stack.addOutputs", '  new Auth(stack, "Old", { login: ["email"] });\n  stack.addOutputs'))
    result = synth_app(load(root), "dev", tmp_path / "out")
    assert [(s.kind, s.id) for s in result.skipped] == [("Auth", "Old")]
    assert "renamed to Cognito" in result.skipped[0].reason
    res = template(result, "Web")["Resources"]
    # Not attached: the keys, no prefix parameter, no routes, no binding.
    assert cdk_logical_id("Login/StackMetadata/Default") in res
    assert cdk_logical_id("Login/prefix/Resource") not in res
    assert not any("login" in lid.lower() and "Lambda" in lid for lid in res)
    me = res[cdk_logical_id("Api/Lambda_GET_--me/Resource")]["Properties"]
    assert "SST_Auth_publicKey_Login" not in me["Environment"]["Variables"]
