"""Embedded synth of EventBus method calls and of Cron jobs that are Function constructs.

Fidelity, read from SST v2's `packages/sst/src/constructs/EventBus.ts` and `Cron.ts`:
- `addRules(scope, rules)` creates `events.Rule(scope, ruleKey)` named
  `{stage}-{app}-{ruleKey}` on the bus, and each function target
  `Fn.fromDefinition(scope, "Target_{busId}_{ruleKey}_{targetName}", ..., defaults.function)`:
  with `stack` as the scope both sit in the stack, not in the bus;
- `addTargets(scope, ruleKey, targets)` adds to an existing rule (the functions in `scope`), and
  "Cannot find the rule" otherwise;
- a target is a Queue (or `{ type: "queue", queue }`), else a function definition: a handler
  string, FunctionProps, `{ type: "function", function }`, or a Function construct, which SST
  uses as it is and refuses when the bus has `defaults.function`;
- `subscribe(type, target)` creates the function `{name}` in the bus, where `name` is the type
  with every character other than a letter or `_` made `_`, plus `_1`, and the rule
  `{name}_rule` (`detailType: [type]`) with the target `{name}_target`; the function is handed
  to that target as a Function construct, so a bus with `defaults.function` makes SST throw;
  `retries` go through SST's retrier function, which stays left out;
- `Cron` with `job: fn` or `job: { function: fn }` targets the Function construct itself.
Logical ids come from the construct paths with CDK's own rule (`cdk_logical_id`, checked
against SST v1.18.4's reference template in test_synth_coverage.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.cloud.synth_spec import app_to_spec
from tests.cloud.test_synth_coverage import APPS, cdk_logical_id, expect_tree, lint_errors, load, template

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "orders-bus-v2"), "dev", tmp_path_factory.mktemp("orders") / "out")


def resources(tpl: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = tpl["Resources"]
    return out


def test_orders_is_modeled_in_full_and_lint_clean(orders: SynthResult) -> None:
    assert orders.skipped == []
    assert orders.warnings == []
    assert [s.id for s in orders.stacks] == ["Jobs", "Orders"]
    for s in orders.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_added_rules_targets_and_subscribers_follow_sst_paths(orders: SynthResult) -> None:
    expect_tree(template(orders, "Orders"), "dev-orders-Orders", {
        "Bus/EventBus/Resource": "AWS::Events::EventBus",
        # From the props: in the bus.
        "Bus/placed/Resource": "AWS::Events::Rule",
        "Bus/Target_Bus_placed_charge/Resource": "AWS::Lambda::Function",
        # `bus.addRules(stack, ...)` and `bus.addTargets(stack, ...)`: in the stack.
        "shipped/Resource": "AWS::Events::Rule",
        "Target_Bus_shipped_notify/Resource": "AWS::Lambda::Function",
        "Target_Bus_shipped_refund/Resource": "AWS::Lambda::Function",
        "Target_Bus_placed_audit/Resource": "AWS::Lambda::Function",
        "Internal/EventBus/Resource": "AWS::Events::EventBus",
        # `internal.subscribe("user.signed-up", ...)`: in the bus.
        "Internal/user_signed_up_1_rule/Resource": "AWS::Events::Rule",
        "Internal/user_signed_up_1/Resource": "AWS::Lambda::Function",
        "everything/Resource": "AWS::Events::Rule",
        "Internal/report_ready_1_rule/Resource": "AWS::Events::Rule",
    })
    res = resources(template(orders, "Orders"))
    # A Function construct as a target (or a subscriber) is used as it is: no Target_ function.
    paths = {r["Metadata"]["aws:cdk:path"] for r in res.values()}
    assert not any("Target_Internal" in p or "report_ready_1/" in p for p in paths)


def test_rule_names_patterns_and_target_order(orders: SynthResult) -> None:
    res = resources(template(orders, "Orders"))

    def rule(path: str) -> dict[str, Any]:
        props: dict[str, Any] = res[cdk_logical_id(path)]["Properties"]
        return props

    def arn(path: str) -> Any:
        return {"Fn::GetAtt": [cdk_logical_id(path), "Arn"]}

    bus = {"Ref": cdk_logical_id("Bus/EventBus/Resource")}
    placed = rule("Bus/placed/Resource")
    assert placed["Name"] == "dev-orders-placed" and placed["EventBusName"] == bus
    # addTargets appends to the rule of the props, after its own targets.
    assert [t["Arn"] for t in placed["Targets"]] == [arn("Bus/Target_Bus_placed_charge/Resource"),
                                                     arn("Target_Bus_placed_audit/Resource")]
    shipped = rule("shipped/Resource")
    assert shipped["Name"] == "dev-orders-shipped" and shipped["EventBusName"] == bus
    assert shipped["EventPattern"] == {"source": ["shop.orders"], "detail-type": ["order.shipped"]}
    assert [t["Arn"] for t in shipped["Targets"]] == [arn("Target_Bus_shipped_notify/Resource"),
                                                      arn("Target_Bus_shipped_refund/Resource"),
                                                      arn("Refunds/Queue/Resource")]
    signed = rule("Internal/user_signed_up_1_rule/Resource")
    assert signed["Name"] == "dev-orders-user_signed_up_1_rule"
    assert signed["EventBusName"] == {"Ref": cdk_logical_id("Internal/EventBus/Resource")}
    assert signed["EventPattern"] == {"detail-type": ["user.signed-up"]}
    assert signed["Targets"][0]["Arn"] == arn("Internal/user_signed_up_1/Resource")
    report = rule("Internal/report_ready_1_rule/Resource")
    assert report["Targets"][0]["Arn"] == arn("AuditLog/Resource")
    everything = rule("everything/Resource")
    assert everything["EventBusName"] == {"Ref": cdk_logical_id("Internal/EventBus/Resource")}
    # The Jobs stack's digest function, through `use(Jobs)`, is an import.
    assert [t["Arn"] for t in everything["Targets"]] == [
        arn("AuditLog/Resource"), arn("Refunds/Queue/Resource"),
        {"Fn::ImportValue": "dev-orders-Jobs:ExportsOutputFnGetAttDigest81A2F27AArnF845CD9D"}]
    # Each function target gets EventBridge's invoke permission, in the rule.
    perms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert {json.dumps(p["FunctionName"], sort_keys=True) for p in perms
            if p["SourceArn"] == arn("everything/Resource")} == {
        json.dumps(arn("AuditLog/Resource"), sort_keys=True),
        json.dumps({"Fn::ImportValue": "dev-orders-Jobs:ExportsOutputFnGetAttDigest81A2F27AArnF845CD9D"},
                   sort_keys=True)}
    assert all(p["Principal"] == "events.amazonaws.com" for p in perms)


def test_bus_defaults_reach_the_rule_targets_it_creates(orders: SynthResult) -> None:
    res = resources(template(orders, "Orders"))

    def fn(path: str) -> dict[str, Any]:
        props: dict[str, Any] = res[cdk_logical_id(path)]["Properties"]
        return props

    assert fn("Bus/Target_Bus_placed_charge/Resource")["Timeout"] == 20
    assert fn("Target_Bus_shipped_notify/Resource")["Timeout"] == 20
    assert fn("Target_Bus_placed_audit/Resource")["Timeout"] == 20
    refund = fn("Target_Bus_shipped_refund/Resource")
    assert refund["Timeout"] == 20 and refund["MemorySize"] == 256
    assert fn("Internal/user_signed_up_1/Resource")["Timeout"] == 10


def test_cron_jobs_that_are_function_constructs(orders: SynthResult) -> None:
    jobs = resources(template(orders, "Jobs"))
    for cron, fn in (("DailyDigest", "Digest"), ("NightlyCleanup", "Cleanup")):
        rule = jobs[cdk_logical_id(f"{cron}/Rule/Resource")]["Properties"]
        assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [cdk_logical_id(f"{fn}/Resource"), "Arn"]}
        assert not any(r["Metadata"]["aws:cdk:path"].startswith(f"dev-orders-Jobs/{cron}/Job")
                       for r in jobs.values())
    daily = jobs[cdk_logical_id("DailyDigest/Rule/Resource")]["Properties"]
    assert daily["ScheduleExpression"] == "rate(1 day)"
    assert jobs[cdk_logical_id("Digest/Resource")]["Properties"]["Timeout"] == 60


def write_v2(root: Path, body: str, *, imports: str = "EventBus, Function, Queue, StackContext") -> Any:
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "fn.ts").write_text("export const main = async () => ({});\n")
    (root / "package.json").write_text('{"name": "cov", "devDependencies": {"sst": "^2.40.0"}}')
    (root / "sst.config.ts").write_text(
        'import { SSTConfig } from "sst";\nimport { S } from "./stacks/S";\n'
        'export default {\n  config() { return { name: "cov", region: "us-east-1" }; },\n'
        '  stacks(app) {\n    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });\n    app.stack(S);\n  },\n'
        "} satisfies SSTConfig;\n"
    )
    (root / "stacks" / "S.ts").write_text(
        f'import {{ {imports} }} from "sst/constructs";\n'
        f"export function S({{ stack }}: StackContext) {{\n{body}\n}}\n"
    )
    return load(root)


def test_what_sst_refuses_or_the_synth_leaves_out_says_why(tmp_path: Path) -> None:
    app = write_v2(tmp_path / "app", """
  const fn = new Function(stack, "Fn", { handler: "src/fn.main" });
  const bus = new EventBus(stack, "Bus", {
    defaults: { function: { timeout: 20 } },
    rules: { a: { pattern: { source: ["a"] }, targets: { t: "src/fn.main" } } },
  });
  bus.addRules(stack, { a: { pattern: { source: ["again"] }, targets: { u: "src/fn.main" } } });
  bus.addTargets(stack, "missing", { v: "src/fn.main" });
  bus.addTargets(stack, "a", { t: "src/fn.main", w: fn });
  bus.subscribe("placed", "src/fn.main");
  const plain = new EventBus(stack, "Plain");
  plain.subscribe("retried", "src/fn.main", { retries: 3 });
  plain.subscribe(["x", "y"], "src/fn.main");
""")
    spec = app_to_spec(app, "dev")
    reasons = {(s["kind"], s["id"]): s["reason"] for s in spec["skipped"]}
    assert reasons[("EventBus rule", "Bus/a")] == 'A rule already exists for "a"'
    assert reasons[("EventBus addTargets", "Bus/missing")] == 'Cannot find the rule "missing" in the "Bus" EventBus.'
    assert reasons[("EventBus target", "Bus/a/t")] == 'A target with name "t" already exists in rule "a"'
    assert "defaults.function" in reasons[("EventBus target", "Bus/a/w")]
    # subscribe hands the Function it made to the rule with the bus's defaults: SST throws.
    assert "defaults.function" in reasons[("EventBus subscribe", "Bus: subscribe(placed)")]
    assert "retrier" in reasons[("EventBus subscribe", "Plain: subscribe(retried)")]
    assert "list of event types" in reasons[("EventBus subscribe", "Plain: subscribe(...)")]
    # Each left-out call is listed once (not again for the handler inside it).
    assert not any("cannot be evaluated statically" in s["reason"] for s in spec["skipped"]), spec["skipped"]
    [bus, plain] = [c for c in spec["stacks"][0]["constructs"] if c["kind"] == "EventBus"]
    assert plain["rules"] == [] and plain["functions"] == []
    # Nothing SST would refuse is built: one rule, one target, one function.
    assert [(r["key"], [t["name"] for t in r["targets"]]) for r in bus["rules"]] == [("a", ["t"])]
    assert [f["id"] for f in bus["functions"]] == ["Target_Bus_a_t"]
    result = synth_app(app, "dev", tmp_path / "out")
    assert lint_errors(result.stacks[0].template_path) == []


def test_subscribe_is_v2_only(tmp_path: Path) -> None:
    from tests.cloud.test_synth_coverage import write_app

    app = write_app(tmp_path / "app", "", """
  const bus = new sst.EventBus(stack, "Bus");
  bus.subscribe("x", "src/fn.main");
  bus.addRules(stack, { r: { pattern: { source: ["x"] }, targets: { t: "src/fn.main" } } });
""")
    spec = app_to_spec(app, "dev")
    reasons = {(s["kind"], s["id"]): s["reason"] for s in spec["skipped"]}
    assert "SST v2's" in reasons[("EventBus subscribe", "Bus: subscribe(x)")]
    assert ("EventBus function", 'Bus: subscriber "x"') not in reasons
    # v1's addRules is modeled.
    [bus] = spec["stacks"][0]["constructs"]
    assert [r["key"] for r in bus["rules"]] == ["r"]
    assert [f["id"] for f in bus["functions"]] == ["Target_Bus_r_t"]
