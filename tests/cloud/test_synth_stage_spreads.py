"""The embedded synth reads what the code says for the stage it synthesizes, or says why not.

SST runs the stack code for one stage, so a conditional spread (`...(isProd ? { memorySize: 2048 }
: {})`, `...(app.stage === "prod" && { ... })`) sets its keys at one stage and not at another, and
`${app.stage}-notes` is one name per stage. Function sizes and durations are read as SST v1/v2
read them (Function.ts `normalizeMemorySize`/`normalizeTimeout`, util/size.ts, util/duration.ts).
What cannot be read (a condition on `process.env`, a CDK `Duration` where SST takes none, a
variable we cannot see into) leaves the construct out with its reason, never SST's default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.model.types import App
from tests.cloud.test_synth_coverage import lint_errors, load, template

pytestmark = pytest.mark.slow

_CONFIG = """import { SSTConfig } from "sst";
import { Data } from "./stacks/Data";
import { Jobs } from "./stacks/Jobs";

export default {
  config(_input) {
    return { name: "spready", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs18.x" });
    app.stack(Data).stack(Jobs);
  },
} satisfies SSTConfig;
"""

_DATA = """import { StackContext } from "sst/constructs";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Duration } from "aws-cdk-lib";

export function Data({ stack, app }: StackContext) {
  const { stage } = app;
  const prefix = `${stage}-spready`;
  const ledger = new dynamodb.Table(stack, "Ledger", {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    tableName: `${app.stage}-notes`,
    ...(app.stage === "prod" ? { pointInTimeRecovery: true } : {}),
  });
  new sqs.Queue(stack, "Work", {
    queueName: prefix + "-jobs",
    ...(stack.stage !== "prod" && { retentionPeriod: Duration.days(1) }),
  });
  return { ledger };
}
"""

_JOBS = """import { Api, Function, StackContext } from "sst/constructs";

const shared = { timeout: "30 seconds", memorySize: "512 MB" } as const;

export function Jobs({ stack, app }: StackContext) {
  const isProd = app.stage === "prod";
  new Function(stack, "Report", {
    handler: "packages/functions/src/report.handler",
    ...shared,
    ...(isProd ? { memorySize: 2048 } : {}),
    ...(app.stage === "prod" && { timeout: "1 minute" }),
    environment: { QUEUE: `${stack.stage}-jobs`, MODE: isProd ? "live" : "test" },
  });
  new Function(stack, "Admin", {
    handler: "packages/functions/src/report.handler",
    ...(isProd ? { memorySize: "2 GB", timeout: 120, runtime: "nodejs20.x" } : { memorySize: 256, timeout: "15 Seconds" }),
  });
  new Api(stack, "Api", {
    routes: {
      "GET /": "packages/functions/src/report.handler",
      ...(isProd ? {} : { "GET /debug": "packages/functions/src/debug.handler" }),
    },
  });
}
"""


def _write(root: Path, data: str = _DATA, jobs: str = _JOBS) -> App:
    (root / "stacks").mkdir(parents=True)
    fn = root / "packages" / "functions" / "src"
    fn.mkdir(parents=True)
    (fn / "report.ts").write_text("export const handler = async () => ({ ok: true });\n")
    (fn / "debug.ts").write_text("export const handler = async () => ({ debug: true });\n")
    (root / "package.json").write_text('{"name": "spready", "private": true}\n')
    (root / "sst.config.ts").write_text(_CONFIG)
    (root / "stacks" / "Data.ts").write_text(data)
    (root / "stacks" / "Jobs.ts").write_text(jobs)
    return load(root)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthResult]:
    root = tmp_path_factory.mktemp("spready") / "app"
    app = _write(root)
    return {stage: synth_app(app, stage, root.parent / f"out-{stage}") for stage in ("dev", "prod")}


def _of_type(result: SynthResult, stack: str, rtype: str) -> list[dict[str, Any]]:
    return [r for r in template(result, stack)["Resources"].values() if r["Type"] == rtype]


def _functions(result: SynthResult) -> dict[str, dict[str, Any]]:
    """The Jobs stack's functions by the handler file they ship (SST's `Handler` string)."""
    out = {}
    for r in _of_type(result, "Jobs", "AWS::Lambda::Function"):
        props = r["Properties"]
        out[props.get("Description") or props["Handler"] + str(props.get("MemorySize"))] = props
    return out


def test_both_stages_are_modeled_in_full_and_lint_clean(both: dict[str, SynthResult]) -> None:
    for stage, result in both.items():
        assert result.skipped == [], stage
        for s in result.stacks:
            assert lint_errors(s.template_path) == [], (stage, s.name)


def test_conditional_spreads_in_function_props_follow_the_stage(both: dict[str, SynthResult]) -> None:
    got = {}
    for stage, result in both.items():
        fns = [r["Properties"] for r in _of_type(result, "Jobs", "AWS::Lambda::Function")
               if "QUEUE" in r["Properties"].get("Environment", {}).get("Variables", {})]
        [report] = fns
        env = report["Environment"]["Variables"]
        got[stage] = (report["MemorySize"], report["Timeout"], env["QUEUE"], env["MODE"])
    # `...shared` then the spreads: a key a spread sets at that stage wins, as in JS.
    assert got == {"dev": (512, 30, "dev-jobs", "test"), "prod": (2048, 60, "prod-jobs", "live")}


def test_a_ternary_spread_setting_the_same_keys_in_both_branches(both: dict[str, SynthResult]) -> None:
    sizes = {}
    for stage, result in both.items():
        sizes[stage] = sorted((r["Properties"]["MemorySize"], r["Properties"]["Timeout"])
                              for r in _of_type(result, "Jobs", "AWS::Lambda::Function")
                              if "QUEUE" not in r["Properties"].get("Environment", {}).get("Variables", {})
                              and r["Properties"]["Handler"].endswith("report.handler"))
    # Admin: "2 GB" / 120 at prod, 256 / "15 Seconds" (toCdkDuration lower-cases the unit) at dev;
    # the Api's "GET /" function keeps SST's defaults (1024 MB, 10 s).
    assert sizes == {"dev": [(256, 15), (1024, 10)], "prod": [(1024, 10), (2048, 120)]}
    runtimes = {stage: sorted(r["Properties"]["Runtime"] for r in _of_type(result, "Jobs", "AWS::Lambda::Function"))
                for stage, result in both.items()}
    # The runtime a prod-only spread sets; the app's default elsewhere.
    assert runtimes == {"dev": ["nodejs18.x"] * 4, "prod": ["nodejs18.x", "nodejs18.x", "nodejs20.x"]}


def test_a_route_in_a_spread_exists_only_at_the_stages_that_run_it(both: dict[str, SynthResult]) -> None:
    routes = {stage: sorted(r["Properties"]["RouteKey"] for r in _of_type(result, "Jobs", "AWS::ApiGatewayV2::Route"))
              for stage, result in both.items()}
    assert routes == {"dev": ["GET /", "GET /debug"], "prod": ["GET /"]}


def test_handler_checks_still_see_every_branch(tmp_path: Path) -> None:
    # The editor and `check` check the handlers of every branch, whatever the stage.
    app = _write(tmp_path / "app")
    handlers = sorted(h.handler for h in app.handlers if h.construct_id == "Api")
    assert handlers == ["packages/functions/src/debug.handler", "packages/functions/src/report.handler"]


def test_names_built_from_the_stage(both: dict[str, SynthResult]) -> None:
    for stage, result in both.items():
        [table] = _of_type(result, "Data", "AWS::DynamoDB::Table")
        [queue] = _of_type(result, "Data", "AWS::SQS::Queue")
        assert table["Properties"]["TableName"] == f"{stage}-notes"
        assert queue["Properties"]["QueueName"] == f"{stage}-spready-jobs"
        pitr = table["Properties"].get("PointInTimeRecoverySpecification")
        assert pitr == ({"PointInTimeRecoveryEnabled": True} if stage == "prod" else None)
        assert queue["Properties"].get("MessageRetentionPeriod") == (None if stage == "prod" else 86400)


# ----------------------------------------------------------------------------------------------
# What cannot be read is left out with its reason.


def _reasons(app: App, stage: str, out: Path) -> dict[tuple[str, str], str]:
    result = synth_app(app, stage, out)
    return {(s.kind, s.id): s.reason for s in result.skipped}


_SPREAD = "its props spread a value under a condition that cannot be evaluated statically"
_DURATION = ("timeout is a CDK Duration (`cdk.Duration.minutes(1)`): SST's Function takes a number of seconds or a "
             'string like "30 seconds" (its synth fails on a Duration)')
_SIZE = ("memorySize is a CDK Size (`Size.mebibytes(512)`): SST's Function takes a number of MB or a string like "
         '"512 MB" (its synth fails on a Size)')


@pytest.mark.parametrize(("prop", "reason"), [
    ("...(process.env.BIG ? { memorySize: 2048 } : {})", f"{_SPREAD} (`process.env.BIG ? {{ memorySize: 2048 }} : {{}}`)"),
    ('...(process.env.CI === "1" && { timeout: 60 })', f'{_SPREAD} (`process.env.CI === "1" && {{ timeout: 60 }}`)'),
    ("timeout: cdk.Duration.minutes(1)", _DURATION),
    ("memorySize: Size.mebibytes(512)", _SIZE),
    ('memorySize: "512MB"', 'memorySize "512MB" is not a size SST reads ("<n> MB" or "<n> GB"; SST fails on it)'),
    ('timeout: "30 secs"', 'timeout "30 secs" is not a duration SST reads ("<n> seconds", "<n> minutes", ...)'),
    ("timeout: settings.timeout", "timeout cannot be evaluated statically (`settings.timeout`)"),
])
def test_unreadable_function_props_leave_the_function_out(tmp_path: Path, prop: str, reason: str) -> None:
    jobs = ('import { Function, StackContext } from "sst/constructs";\n'
            'import * as cdk from "aws-cdk-lib";\nimport { Size } from "aws-cdk-lib";\n'
            'import { settings } from "./settings";\n'
            "export function Jobs({ stack }: StackContext) {\n"
            f'  new Function(stack, "Report", {{ handler: "packages/functions/src/report.handler", {prop} }});\n'
            '  new Function(stack, "Other", { handler: "packages/functions/src/report.handler", timeout: 5 });\n}\n')
    app = _write(tmp_path / "app", jobs=jobs)
    (app.root / "stacks" / "settings.ts").write_text("export const settings = JSON.parse(process.env.S ?? '{}');\n")
    for stage in ("dev", "prod"):
        reasons = _reasons(app, stage, tmp_path / f"out-{stage}")
        assert reasons.get(("Function", "Report")) == reason, stage
        assert ("Function", "Other") not in reasons


def test_a_cdk_duration_is_read_where_sst_took_one(tmp_path: Path) -> None:
    # SST v0's Function (packages/resources, CDK v1): `timeout?: number | cdk.Duration`.
    from sst_lsp.cloud.synth_spec import _first_duration
    from sst_lsp.model.types import Entry, Value
    from sst_lsp.syntax.text import Pos, TextRange

    r = TextRange(Pos(0, 0), Pos(0, 1))
    layer = Value("object", r, entries=(Entry("timeout", r, Value("unknown", r, text="cdk.Duration.minutes(2)")),))
    assert _first_duration([layer], "timeout", 10, "v0") == 120
    assert isinstance(_first_duration([layer], "timeout", 10, "v2"), str)


def test_a_construct_spread_under_an_unknown_condition_is_left_out(tmp_path: Path) -> None:
    data = _DATA.replace('...(app.stage === "prod" ? { pointInTimeRecovery: true } : {})',
                         '...(process.env.PITR ? { pointInTimeRecovery: true } : {})')
    app = _write(tmp_path / "app", data=data)
    for stage in ("dev", "prod"):
        reasons = _reasons(app, stage, tmp_path / f"out-{stage}")
        assert reasons[("Table", "Ledger")] == f"{_SPREAD} (`process.env.PITR ? {{ pointInTimeRecovery: true }} : {{}}`)"
        assert ("Queue", "Work") not in reasons


def test_a_conditional_spread_a_helper_returns_is_left_out_not_defaulted(tmp_path: Path) -> None:
    # The evaluator keeps what a helper returns only when it is one value (a choice it returns
    # stays unknown, so that handler checks are unchanged): the function is left out, not
    # built with SST's 1024 MB.
    jobs = ('import { Function, StackContext } from "sst/constructs";\nimport { sized } from "./sizes";\n'
            "export function Jobs({ stack, app }: StackContext) {\n"
            '  new Function(stack, "Report", { handler: "packages/functions/src/report.handler", ...sized(app) });\n}\n')
    app = _write(tmp_path / "app", jobs=jobs)
    (app.root / "stacks" / "sizes.ts").write_text(
        'export function sized(app) {\n  return app.stage === "prod" ? { memorySize: 2048 } : { memorySize: 128 };\n}\n')
    app = load(app.root)
    for stage in ("dev", "prod"):
        assert _reasons(app, stage, tmp_path / f"out-{stage}") == {("Function", "Report"): (
            "props: this object spreads a value (or has a computed key) that cannot be evaluated statically")}


def test_an_unreadable_authorizer_leaves_the_route_out_not_open(tmp_path: Path) -> None:
    # Read as SST's default ("none"), the route would be open to everyone.
    jobs = ('import { Api, StackContext } from "sst/constructs";\n'
            "export function Jobs({ stack }: StackContext) {\n"
            '  new Api(stack, "Api", { routes: {\n'
            '    "GET /": "packages/functions/src/report.handler",\n'
            '    "GET /admin": { function: "packages/functions/src/debug.handler", authorizer: process.env.AUTH },\n'
            "  } });\n}\n")
    app = _write(tmp_path / "app", jobs=jobs)
    result = synth_app(app, "dev", tmp_path / "out")
    assert {(s.kind, s.id): s.reason for s in result.skipped} == {
        ("Api route", "Api/GET /admin"): "authorizer cannot be evaluated statically (`process.env.AUTH`)"}
    routes = [r["Properties"]["RouteKey"] for r in _of_type(result, "Jobs", "AWS::ApiGatewayV2::Route")]
    assert routes == ["GET /"]


def test_props_with_keys_hidden_behind_a_spread_are_left_out(tmp_path: Path) -> None:
    # `...tuning` may set memorySize, timeout, anything: SST's defaults are not what the code says.
    jobs = ('import { Function, StackContext } from "sst/constructs";\n'
            "const tuning = JSON.parse(process.env.TUNING ?? '{}');\n"
            "export function Jobs({ stack }: StackContext) {\n"
            '  new Function(stack, "Report", { handler: "packages/functions/src/report.handler", ...tuning });\n'
            '  new Function(stack, "Other", { handler: "packages/functions/src/report.handler", timeout: 5 });\n}\n')
    app = _write(tmp_path / "app", jobs=jobs)
    reasons = _reasons(app, "prod", tmp_path / "out")
    assert reasons == {("Function", "Report"): "props: this object spreads a value (or has a computed key) that "
                                               "cannot be evaluated statically"}


def test_an_unreadable_default_runtime_is_not_replaced_by_the_default_one(tmp_path: Path) -> None:
    app = _write(tmp_path / "app", jobs='import { Function, StackContext } from "sst/constructs";\n'
                 "export function Jobs({ stack }: StackContext) {\n"
                 '  stack.setDefaultFunctionProps({ runtime: process.env.RUNTIME });\n'
                 '  new Function(stack, "Report", { handler: "packages/functions/src/report.handler" });\n}\n')
    assert _reasons(app, "dev", tmp_path / "out") == {
        ("Function", "Report"): "runtime cannot be evaluated statically (`process.env.RUNTIME`)"}


def test_default_function_props_it_cannot_read_leave_the_functions_out(tmp_path: Path) -> None:
    # SST v1/v2 take a callback too (`typeof per === "function"`): its props are not SST's defaults.
    app = _write(tmp_path / "app", jobs='import { Function, StackContext } from "sst/constructs";\n'
                 "export function Jobs({ stack }: StackContext) {\n"
                 '  new Function(stack, "Report", { handler: "packages/functions/src/report.handler" });\n}\n')
    (app.root / "sst.config.ts").write_text(_CONFIG.replace(
        'app.setDefaultFunctionProps({ runtime: "nodejs18.x" });',
        'app.setDefaultFunctionProps({ runtime: "nodejs18.x" });\n'
        '    app.setDefaultFunctionProps((stack) => ({ timeout: stack.stage === "prod" ? 30 : 5 }));'))
    app = load(app.root)
    assert _reasons(app, "dev", tmp_path / "out") == {("Function", "Report"): (
        'the default function props cannot be evaluated statically (`(stack) => ({ timeout: stack.stage === "prod" ? '
        '30 : 5 })`)')}


def test_a_route_whose_handler_is_a_choice_on_the_stage_ships_that_stages_handler(tmp_path: Path) -> None:
    jobs = ('import { Api, StackContext } from "sst/constructs";\n'
            "export function Jobs({ stack, app }: StackContext) {\n"
            '  new Api(stack, "Api", { routes: {\n'
            '    "GET /v": stack.stage === "prod" ? "packages/functions/src/report.handler" : '
            '"packages/functions/src/debug.handler",\n'
            '    "GET /l": app.local ? "packages/functions/src/debug.handler" : "packages/functions/src/report.handler",\n'
            "  } });\n}\n")
    app = _write(tmp_path / "app", jobs=jobs)
    got = {}
    for stage in ("dev", "prod"):
        result = synth_app(app, stage, tmp_path / f"out-{stage}")
        assert result.skipped == [], stage
        got[stage] = sorted(r["Properties"]["Handler"] for r in _of_type(result, "Jobs", "AWS::Lambda::Function"))
    # A deploy is not `sst start`: `app.local` is false.
    # (v2's `Handler` is relative to the handler's package.)
    assert got == {"dev": ["functions/src/debug.handler", "functions/src/report.handler"],
                   "prod": ["functions/src/report.handler", "functions/src/report.handler"]}


def test_function_options_it_cannot_read_leave_the_function_out(tmp_path: Path) -> None:
    # Built without its functionName, the function would get another name (a replacement).
    jobs = ('import { Function, StackContext } from "sst/constructs";\n'
            "export function Jobs({ stack, app }: StackContext) {\n"
            '  new Function(stack, "Report", { handler: "packages/functions/src/report.handler",\n'
            "    functionName: process.env.FN_NAME });\n"
            '  new Function(stack, "Named", { handler: "packages/functions/src/report.handler",\n'
            "    functionName: `${app.stage}-named` });\n}\n")
    app = _write(tmp_path / "app", jobs=jobs)
    result = synth_app(app, "prod", tmp_path / "out")
    assert {(s.kind, s.id): s.reason for s in result.skipped} == {
        ("Function", "Report"): "functionName cannot be evaluated statically (`process.env.FN_NAME`)"}
    [fn] = _of_type(result, "Jobs", "AWS::Lambda::Function")
    assert fn["Properties"]["FunctionName"] == "prod-named"
