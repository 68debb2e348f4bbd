"""A deploy certain to fail is refused before it starts (issue 11): the judgement itself (pure),
and on the engine against moto (a Table moved to another stack with its name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asmkit as k
import pytest
from asmkit import APP, TABLE, ScriptedReporter, data_stack, options

from sst_lsp.cloud.deploy import certain_failures, deploy_assembly
from sst_lsp.cloud.local import LocalEndpoint


def tpl(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def named_table(key: str = "pk", policy: str | None = None, name: str = TABLE) -> dict[str, Any]:
    return k.table(name, key=key, policy=policy)


def test_a_named_resource_replaced_under_the_same_name() -> None:
    views = {"dev-notes-Data": (tpl(Notes=named_table("pk")), tpl(Notes=named_table("id")))}
    [problem] = certain_failures(views, ["dev-notes-Data"])
    assert problem.startswith("dev-notes-Data: AWS::DynamoDB::Table Notes is replaced (changed")
    assert f'keeps its name "{TABLE}"' in problem and "cannot replace a custom-named resource" in problem
    # A new name with the new key: CloudFormation creates the new table first, then deletes the old.
    renamed = {"dev-notes-Data": (tpl(Notes=named_table("pk")), tpl(Notes=named_table("id", name="dev-notes-Notes2")))}
    assert certain_failures(renamed, ["dev-notes-Data"]) == []
    # Without an explicit name there is nothing to collide with.
    anonymous = {"dev-notes-Data": (tpl(Notes=k.table(key="pk")), tpl(Notes=k.table(key="id")))}
    assert certain_failures(anonymous, ["dev-notes-Data"]) == []


@pytest.mark.parametrize(
    ("policy", "order", "fails"),
    [
        pytest.param("Retain", ["dev-notes-Data", "dev-notes-Api"], True, id="retained-old-keeps-the-name"),
        pytest.param(None, ["dev-notes-Data", "dev-notes-Api"], False, id="deleted-first"),
        pytest.param(None, ["dev-notes-Api", "dev-notes-Data"], True, id="joined-stack-deploys-first"),
    ],
)
def test_a_named_resource_moved_to_another_stack(policy: str | None, order: list[str], fails: bool) -> None:
    views = {
        "dev-notes-Data": (tpl(Notes=named_table(policy=policy)), tpl(Q=k.queue())),
        "dev-notes-Api": (tpl(Q=k.queue()), tpl(Q=k.queue(), Notes=named_table())),
    }
    problems = certain_failures(views, order)
    if not fails:
        assert problems == []
        return
    [problem] = problems
    assert problem.startswith(
        f'AWS::DynamoDB::Table Notes moves from dev-notes-Data to dev-notes-Api with the same name "{TABLE}"'
    )


@pytest.mark.slow
def test_the_engine_refuses_a_move_onto_a_name_still_taken(moto: LocalEndpoint, tmp_path: Path) -> None:
    tags = {"sst:app": APP, "sst:stage": "dev"}
    v1 = k.write_assembly(tmp_path / "v1", [data_stack(policy="Retain"), k.StackSpec("dev-notes-Web", {"Q": k.queue()}, tags=tags)])
    assert deploy_assembly(v1, "dev", APP, options(moto, tmp_path), ScriptedReporter()).status == "deployed"
    web = k.StackSpec("dev-notes-Web", {"Q": k.queue(), "Notes": k.table(TABLE)}, tags=tags)
    v2 = k.write_assembly(tmp_path / "v2", [data_stack(table=False, queue=True), web])
    rep = ScriptedReporter(confirm="Deploy anyway")
    result = deploy_assembly(v2, "dev", APP, options(moto, tmp_path, allow_data_loss=True), rep)
    assert result.status == "refused"
    assert result.message.startswith("Refused: this deploy cannot succeed, so nothing was changed:")
    assert "the old one is retained (DeletionPolicy Retain)" in result.message
    assert [s.status for s in result.stacks] == ["skipped", "skipped"]
    assert rep.questions == [], "nothing to consent to: it cannot work"
