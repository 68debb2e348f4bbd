"""The embedded synth decides props that depend on the stage for the stage it synthesizes.

SST runs an app's stack code once per stage, so `autoPause: stack.stage !== "prod"`,
`removalPolicy: app.stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY` or
`memorySize: isProd ? 2048 : 512` (through a constant, with `{ stack, app }` destructured from
the StackContext) each have one value per stage; the same app synthesized for "dev" and "prod"
gives different templates. A condition on something else (`process.env.X`) cannot be decided:
what needs it is left out with its reason, as before (model/stage_values.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from sst_lsp.cloud.synth_spec import app_to_spec
from sst_lsp.model.types import App
from tests.cloud.test_synth_coverage import cdk_logical_id, load, template

pytestmark = pytest.mark.slow

_CONFIG = """import { SSTConfig } from "sst";
import { Data } from "./stacks/Data";
import { Jobs } from "./stacks/Jobs";

export default {
  config(_input) {
    return { name: "stagey", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x", timeout: app.stage === "prod" ? 30 : 10 });
    app.stack(Data).stack(Jobs);
  },
} satisfies SSTConfig;
"""

_DATA = """import { RDS, StackContext } from "sst/constructs";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { RemovalPolicy } from "aws-cdk-lib";

export function Data({ stack, app }: StackContext) {
  const isProd = app.stage === "prod";
  const db = new RDS(stack, "Db", {
    engine: "postgresql13.9",
    defaultDatabaseName: "stagey",
    scaling: {
      autoPause: stack.stage !== "prod",
      minCapacity: "ACU_2",
      maxCapacity: isProd ? "ACU_8" : "ACU_2",
    },
  });
  const ledger = new dynamodb.Table(stack, "Ledger", {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    removalPolicy: app.stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    pointInTimeRecovery: isProd && !app.local,
  });
  return { db, ledger };
}
"""

_JOBS = """import { Function, StackContext, use } from "sst/constructs";
import { Data } from "./Data";

export function Jobs({ stack, app }: StackContext) {
  const { ledger } = use(Data);
  new Function(stack, "Report", {
    handler: "packages/functions/src/report.handler",
    memorySize: app.stage === "prod" ? 2048 : 512,
    environment: { LOG_LEVEL: stack.stage === "prod" || stack.stage === "staging" ? "warn" : "debug" },
    permissions: [ledger],
  });
}
"""


def _write(root: Path, data: str = _DATA, jobs: str = _JOBS) -> App:
    (root / "stacks").mkdir(parents=True)
    fn = root / "packages" / "functions" / "src"
    fn.mkdir(parents=True)
    (fn / "report.ts").write_text("export const handler = async () => ({ ok: true });\n")
    (root / "package.json").write_text('{"name": "stagey", "private": true}\n')
    (root / "sst.config.ts").write_text(_CONFIG)
    (root / "stacks" / "Data.ts").write_text(data)
    (root / "stacks" / "Jobs.ts").write_text(jobs)
    return load(root)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthResult]:
    root = tmp_path_factory.mktemp("stagey") / "app"
    app = _write(root)
    return {stage: synth_app(app, stage, root.parent / f"out-{stage}") for stage in ("dev", "prod")}


def _resource(result: SynthResult, stack: str, path: str) -> dict[str, Any]:
    res: dict[str, Any] = template(result, stack)["Resources"][cdk_logical_id(path)]
    return res


def test_both_stages_are_modeled_in_full(both: dict[str, SynthResult]) -> None:
    for stage, result in both.items():
        assert result.skipped == [], stage


def test_rds_auto_pause_and_capacity_follow_the_stage(both: dict[str, SynthResult]) -> None:
    dev = _resource(both["dev"], "Data", "Db/Cluster/Resource")["Properties"]["ScalingConfiguration"]
    prod = _resource(both["prod"], "Data", "Db/Cluster/Resource")["Properties"]["ScalingConfiguration"]
    assert dev == {"AutoPause": True, "MinCapacity": 2, "MaxCapacity": 2, "SecondsUntilAutoPause": 300}
    assert prod == {"AutoPause": False, "MinCapacity": 2, "MaxCapacity": 8}


def test_table_deletion_policy_follows_the_stage(both: dict[str, SynthResult]) -> None:
    dev = _resource(both["dev"], "Data", "Ledger/Resource")
    prod = _resource(both["prod"], "Data", "Ledger/Resource")
    assert (dev["DeletionPolicy"], dev["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert (prod["DeletionPolicy"], prod["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # `isProd && !app.local`: a deploy is not `sst start`.
    assert dev["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}
    assert prod["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_function_props_and_app_defaults_follow_the_stage(both: dict[str, SynthResult]) -> None:
    got = {}
    for stage, result in both.items():
        [fn] = [r for r in template(result, "Jobs")["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        props = fn["Properties"]
        got[stage] = (props["MemorySize"], props["Timeout"], props["Environment"]["Variables"]["LOG_LEVEL"])
    assert got == {"dev": (512, 10, "debug"), "prod": (2048, 30, "warn")}


def test_a_condition_on_something_else_stays_left_out(tmp_path: Path) -> None:
    data = _DATA.replace('autoPause: stack.stage !== "prod"', 'autoPause: process.env.PAUSE === "1"')
    jobs = _JOBS.replace('memorySize: app.stage === "prod" ? 2048 : 512',
                         'memorySize: stack.stage === "prod" && process.env.BIG ? 2048 : 512')
    app = _write(tmp_path / "app", data, jobs)
    for stage in ("dev", "prod"):
        spec = app_to_spec(app, stage)
        [ledger] = [c for s in spec["stacks"] for c in s["constructs"] if c["id"] == "Ledger"]
        assert ledger["props"]["removalPolicy"] == {"$ref": "RemovalPolicy.RETAIN" if stage == "prod"
                                                    else "RemovalPolicy.DESTROY"}
    dev = synth_app(app, "dev", tmp_path / "out-dev")
    prod = synth_app(app, "prod", tmp_path / "out-prod")
    reasons = {stage: {(s.kind, s.id): s.reason for s in r.skipped} for stage, r in (("dev", dev), ("prod", prod))}
    # The cluster's autoPause reads the environment whatever the stage.
    for stage in ("dev", "prod"):
        assert reasons[stage][("RDS", "Db")] == 'scaling.autoPause cannot be evaluated statically (`process.env.PAUSE === "1"`)'
    # `stack.stage === "prod" && process.env.BIG`: false at dev, undecidable at prod.
    assert ("Function", "Report") not in reasons["dev"]
    assert reasons["prod"][("Function", "Report")] == (
        'memorySize cannot be evaluated statically (`stack.stage === "prod" && process.env.BIG ? 2048 : 512`)')


# ----------------------------------------------------------------------------------------------
# The model's decision itself (model/stage_values.py), on values the evaluator read.


def _props(tmp_path: Path, stack_body: str) -> tuple[App, Any]:
    data = ('import { Queue, StackContext } from "sst/constructs";\n'
            f"export function Data({{ stack, app }}: StackContext) {{\n{stack_body}\n  return {{}};\n}}\n")
    app = _write(tmp_path / "app", data, "export function Jobs() {}\n")
    [q] = [c for c in app.constructs if c.id == "Q"]
    return app, q.props


def test_stage_mode_and_local_are_decided_by_the_pure_function(tmp_path: Path) -> None:
    from sst_lsp.model.stage_values import StageFacts, decide

    _, props = _props(tmp_path, """
  const { stage } = app;
  const PROD = "prod";
  const live = stage === PROD || stack.stage === "staging";
  new Queue(stack, "Q", { cdk: { queue: {
    fifo: live,
    deliveryDelay: app.mode === "dev" ? 0 : 5,
    queueName: !app.local ? `q-${PROD}` : "local",
    maxMessageSizeBytes: live && process.env.BIG ? 1024 : 2048,
  } } });""")

    def read(stage: str | StageFacts) -> dict[str, Any]:
        got = decide(props, stage)
        assert got is not None
        q = got.get("cdk").get("queue")  # type: ignore[union-attr]
        return {e.key: e.value.value if e.value.kind != "unknown" else "?" for e in q.entries}

    assert read("dev") == {"fifo": False, "deliveryDelay": 5.0, "queueName": "q-prod", "maxMessageSizeBytes": 2048.0}
    assert read("staging") == {"fifo": True, "deliveryDelay": 5.0, "queueName": "q-prod", "maxMessageSizeBytes": "?"}
    assert read(StageFacts("dev", mode="dev", local=True)) == {
        "fifo": False, "deliveryDelay": 0.0, "queueName": "local", "maxMessageSizeBytes": 2048.0}
    # Without a stage nothing on it is decided; the mode and `app.local` still are.
    assert read(StageFacts(None)) == {"fifo": "?", "deliveryDelay": 5.0, "queueName": "q-prod",
                                      "maxMessageSizeBytes": "?"}


def test_removal_policy_under_a_constant_on_the_stage(tmp_path: Path) -> None:
    config = _CONFIG.replace("app.stack(Data)", 'const isProd = app.stage === "prod";\n'
                             '    if (!isProd) app.setDefaultRemovalPolicy("destroy");\n    app.stack(Data)')
    app = _write(tmp_path / "app", "export function Data() {}\n", "export function Jobs() {}\n")
    (app.root / "sst.config.ts").write_text(config)
    app = load(app.root)
    assert [s.get("removal_policy") for s in app_to_spec(app, "dev")["stacks"]] == ["destroy", "destroy"]
    assert [s.get("removal_policy") for s in app_to_spec(app, "prod")["stacks"]] == [None, None]
    assert not any("setDefaultRemovalPolicy" in w for w in app_to_spec(app, "prod")["warnings"])


def test_spreads_and_names_on_the_stage_are_decided_by_the_pure_function(tmp_path: Path) -> None:
    from sst_lsp.model.stage_values import StageFacts, decide, dropped, undecided

    _, props = _props(tmp_path, """
  const { stage } = app;
  new Queue(stack, "Q", { cdk: { queue: {
    queueName: stage + "-q",
    ...(app.stage === "prod" || { fifo: true }),
    ...(stage === "prod" ? { ...(app.local ? {} : { deliveryDelay: 5 }) } : {}),
  } } });""")

    def read(stage: str | StageFacts) -> dict[str, Any]:
        got = decide(props, stage)
        assert got is not None
        q = got.get("cdk").get("queue")  # type: ignore[union-attr]
        return {e.key: e.value.value if e.value.kind != "unknown" else "?" for e in q.entries}

    assert read("dev") == {"queueName": "dev-q", "fifo": True}
    assert read("prod") == {"queueName": "prod-q", "deliveryDelay": 5.0}
    assert read(StageFacts("prod", local=True)) == {"queueName": "prod-q"}
    # Without a stage the spreads stay undecided, and say where they are.
    assert undecided(decide(props, StageFacts(None))) == 'app.stage === "prod" || { fifo: true }'
    assert undecided(decide(props, "dev")) is None
    # What a stage drops is where the values were written (the handlers found there are not built).
    assert len(dropped(props, "dev")) == 1 and len(dropped(props, "prod")) == 1
