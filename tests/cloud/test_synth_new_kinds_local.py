"""The apps of the WebSocketApi, Script, EventBus, RDS and Auth synth tests, synthesized by the
embedded synth and deployed to a moto server on 127.0.0.1 with `--local` semantics: their
templates deploy (custom resources, which moto cannot run, are set aside by the local
adaptations and noted).

The EventBus app deploys because of one adaptation: moto answers `Ref` of an EventBus with its
model object (an HTTP 500 on a rule's `EventBusName`), so the local template asks for
`Fn::GetAtt [Bus, Name]`, the same value on AWS (`local_compat.REF_AS_NAME_TYPES`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from asmkit import ScriptedReporter

from sst_lsp.cloud import ops
from sst_lsp.cloud.deploy import DeployOptions, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint
from tests.cloud.test_synth_coverage import APPS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("name", "app", "stacks"), [
    ("chat-v2", "chat", ["Storage", "Chat"]),
    ("migrate-v2", "migrate", ["Database", "Setup"]),
    ("orders-bus-v2", "orders", ["Jobs", "Orders"]),
    ("ledger-rds-v2", "ledger", ["Database", "Ledger"]),
    ("login-auth-v2", "login", ["Web"]),
])
def test_app_deploys_to_the_local_endpoint(moto: LocalEndpoint, tmp_path: Path, name: str, app: str,
                                           stacks: list[str]) -> None:
    root = tmp_path / name
    shutil.copytree(APPS / name, root)
    synth = ops.synth(ops.find_app(root), "dev", out_dir=root / "cdk.out")
    assert synth.ok and synth.skipped == [], (synth.error, synth.skipped)
    rep = ScriptedReporter()
    result = deploy_assembly(synth.out_dir, "dev", app, DeployOptions(connection=moto.connection(), yes=True,
                                                                      outputs_root=root), rep)
    assert result.status == "deployed", result.message
    assert [(s.stack, s.stack_status) for s in result.stacks] == [(f"dev-{app}-{s}", "CREATE_COMPLETE") for s in stacks]
