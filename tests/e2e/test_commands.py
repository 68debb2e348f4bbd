"""Server commands end to end: the cloud commands against a moto server on 127.0.0.1 (slow:
real aws-cdk-lib synth in the server's warm worker), with work-done progress and questions
through window/showMessageRequest; bad arguments answered with clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from sst_lsp.cloud.local import LocalEndpoint
from tests.e2e.conftest import TIMEOUT, start, wait_until


@pytest.fixture(scope="module")
def moto_server() -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture
def moto_url(moto_server: LocalEndpoint) -> str:
    """A freshly reset moto server's URL (each test deploys into an empty account)."""
    moto_server.reset()
    return moto_server.endpoint_url


def complete_app(workspace: Path) -> Path:
    """The SST v1 app with every handler present (synth bundles what the handlers name).

    The v1 app, not the v2 one: v2 constructs add `AWS::SSM::Parameter`s with a Tags map, on
    which moto's CloudFormation answers HTTP 500.
    """
    legacy = workspace / "legacy"
    nightly = legacy / "services" / "functions" / "nightly.py"
    nightly.write_text(nightly.read_text(encoding="utf-8") + "\n\ndef run(event, context):\n    return None\n", encoding="utf-8")
    return legacy


async def run(client: LanguageClient, command: str, arg: Any) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=[arg]))


@pytest.mark.slow
async def test_deploy_diff_synth_remove_against_moto(client: LanguageClient, workspace: Path, moto_url: str) -> None:
    app_dir = complete_app(workspace)
    await start(client, [app_dir], configuration={"aws": {"endpointUrl": moto_url, "region": "us-east-1"}, "stage": "e2e"})
    # Say yes to every question (the bootstrap of the fresh moto account, the removal).
    client.message_answer = "first"  # type: ignore[attr-defined]
    deployed = await run(client, "sst.deploy", {"stage": "e2e"})
    assert deployed["status"] == "deployed", deployed
    assert {s["stack"] for s in deployed["stacks"]} == {"e2e-legacy-Jobs"}
    # The deploy ran behind a work-done progress that began and ended.
    kinds = [[v.kind for v in reports] for token, reports in client.progress_reports.items() if str(token).startswith("sst-cmd-")]
    assert any(k and k[0] == "begin" and k[-1] == "end" for k in kinds), client.progress_reports

    diff = await run(client, "sst.diff", {"stage": "e2e"})
    assert diff["status"] == "ok", diff
    assert "e2e-legacy-Jobs" in diff["text"]
    assert diff["hasChanges"] is False

    synth = await run(client, "sst.synth", {"stage": "e2e"})
    assert synth["status"] == "ok", synth
    (app,) = synth["apps"]
    assert {s["name"] for s in app["stacks"]} == {"e2e-legacy-Jobs"}
    assert Path(app["outDir"], "manifest.json").is_file()

    stages = await run(client, "sst.listStages", {})
    assert stages["current"] == "e2e"

    removed = await run(client, "sst.remove", {"stage": "e2e"})
    assert removed["status"] == "removed", removed


@pytest.mark.slow
async def test_synth_then_deploy_in_one_server(client: LanguageClient, workspace: Path, moto_url: str) -> None:
    app_dir = complete_app(workspace)
    await start(client, [app_dir], configuration={"aws": {"endpointUrl": moto_url}})
    client.message_answer = "first"  # type: ignore[attr-defined]
    # The warm synth worker synthesizes the same stage twice: the second synth (the deploy's)
    # must stage its assets again into the cleared output folder.
    assert (await run(client, "sst.synth", {"stage": "twice"}))["status"] == "ok"
    deployed = await run(client, "sst.deploy", {"stage": "twice"})
    assert deployed["status"] == "deployed", deployed


@pytest.mark.slow
async def test_protected_stage_asks_and_cancel_refuses(client: LanguageClient, workspace: Path, moto_url: str) -> None:
    app_dir = complete_app(workspace)
    await start(client, [app_dir], configuration={"aws": {"endpointUrl": moto_url}, "protectedStages": ["live"]})
    client.message_answer = "Cancel"  # type: ignore[attr-defined]
    got = await run(client, "sst.deploy", {"stage": "live"})
    assert got["status"] in ("refused", "cancelled"), got
    asked = client.message_requests  # type: ignore[attr-defined]
    protected = [m for m in asked if "live" in m.message]
    assert protected, [m.message for m in asked]
    assert [a.title for a in protected[0].actions or []] == ["Yes, live", "Cancel"]


async def test_bad_command_arguments(client: LanguageClient, workspace: Path) -> None:
    await start(client, [workspace / "notes"])
    with pytest.raises(Exception, match="stage"):
        await run(client, "sst.deploy", {"stage": ""})
    with pytest.raises(Exception, match="one argument object"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="sst.diff", arguments=[]))
    with pytest.raises(Exception, match="invalid argument"):
        await run(client, "sst.synth", {"app": 3})
    # An invalid stage name is an ops problem: a result, not a JSON-RPC error.
    got = await run(client, "sst.synth", {"stage": "not a stage"})
    assert got["status"] == "failed" and "stage" in got["message"].lower()


@pytest.mark.slow
async def test_cancel_a_deploy_waiting_for_an_answer(client: LanguageClient, workspace: Path, moto_url: str) -> None:
    from pygls.exceptions import JsonRpcRequestCancelled

    app_dir = complete_app(workspace)
    asked, release = asyncio.Event(), asyncio.Event()

    # This client does not answer until the test ends: the user walked away from the question.
    async def hold(params: types.ShowMessageRequestParams) -> None:
        asked.set()
        await release.wait()

    client.protocol.fm.features[types.WINDOW_SHOW_MESSAGE_REQUEST] = hold

    await start(client, [app_dir], configuration={"aws": {"endpointUrl": moto_url}, "protectedStages": ["live"]})
    fut = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="sst.deploy", arguments=[{"stage": "live"}]),
        msg_id="deploy-1",
    )
    await asyncio.wait_for(asked.wait(), TIMEOUT)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="deploy-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(asyncio.wrap_future(fut), TIMEOUT)
    # The command's progress ended, and the server still answers.
    def ended() -> bool:
        return any(r and r[-1].kind == "end" for t, r in client.progress_reports.items() if str(t).startswith("sst-cmd-"))

    await wait_until(client, ended, "the deploy progress end", method=types.PROGRESS)
    got = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="sst.listStages", arguments=[{}]))
    assert got["current"] == "dev"
    release.set()


def with_static_site(app_dir: Path) -> Path:
    """The v1 app with a static site, which the embedded synth leaves out (a frontend needs the
    app's own build)."""
    jobs = app_dir / "stacks" / "Jobs.ts"
    text = jobs.read_text(encoding="utf-8").replace("Cron, Function, StackContext", "Cron, Function, StackContext, StaticSite")
    jobs.write_text(text.rstrip().removesuffix("}") + '  new StaticSite(stack, "Web", { path: "web" });\n}\n', encoding="utf-8")
    (app_dir / "web").mkdir()
    (app_dir / "web" / "index.html").write_text("<h1>legacy</h1>\n", encoding="utf-8")
    return app_dir


def partial_questions(client: LanguageClient) -> list[types.ShowMessageRequestParams]:
    return [m for m in client.message_requests if "left out" in m.message]  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_partial_deploy_is_an_explicit_choice(client: LanguageClient, workspace: Path, moto_url: str) -> None:
    import boto3

    from sst_lsp.cloud.partial import PARTIAL_CANCEL, PARTIAL_DEPLOY, PARTIAL_PROJECT

    app_dir = with_static_site(complete_app(workspace))
    await start(client, [app_dir], configuration={"aws": {"endpointUrl": moto_url, "region": "us-east-1"}})
    cf = boto3.client("cloudformation", endpoint_url=moto_url, region_name="us-east-1",
                      aws_access_key_id="t", aws_secret_access_key="t")

    # Dismissed (or "Cancel"): refused, nothing deployed, the left-out site named.
    client.message_answer = None  # type: ignore[attr-defined]
    got = await run(client, "sst.deploy", {"stage": "e2e"})
    assert got["status"] == "refused", got
    assert [o["id"] for o in got["notModeled"]] == ["Web"]
    [asked] = partial_questions(client)
    assert [a.title for a in asked.actions or []] == [PARTIAL_DEPLOY, PARTIAL_CANCEL]
    assert 'StaticSite "Web"' in asked.message
    assert cf.describe_stacks()["Stacks"] == []

    # With the app's own toolchain installed, the prompt offers it, saying it runs the app's code.
    bin_dir = app_dir / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "sst").write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    client.message_answer = PARTIAL_CANCEL  # type: ignore[attr-defined]
    got = await run(client, "sst.deploy", {"stage": "e2e"})
    assert got["status"] == "refused", got
    offered = partial_questions(client)[-1]
    assert [a.title for a in offered.actions or []] == [PARTIAL_DEPLOY, PARTIAL_PROJECT, PARTIAL_CANCEL]
    assert "runs the app's code" in offered.message
    assert cf.describe_stacks()["Stacks"] == []

    # Consent (and yes to the fresh account's bootstrap): the rest is deployed.
    client.message_answer = "first"  # type: ignore[attr-defined]
    got = await run(client, "sst.deploy", {"stage": "e2e"})
    assert got["status"] == "deployed", got
    assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == ["e2e-legacy-Jobs"]


@pytest.mark.slow
async def test_endpoint_url_local_uses_the_stages_kept_endpoint(client: LanguageClient, workspace: Path) -> None:
    """`sst.aws.endpointUrl: "local"`: the first deploy starts the stage's kept endpoint (as
    `sst-lsp local start` would), diff and remove use the same one."""
    from sst_lsp.cloud.local import read_kept, stop_kept

    app_dir = complete_app(workspace)
    await start(client, [app_dir], configuration={"aws": {"endpointUrl": "local"}})
    try:
        # Nothing runs yet: remove says so instead of starting an empty endpoint.
        removed = await run(client, "sst.remove", {"stage": "kept"})
        assert removed["status"] == "failed" and "No local endpoint runs" in removed["message"], removed
        deployed = await run(client, "sst.deploy", {"stage": "kept"})
        assert deployed["status"] == "deployed", deployed
        kept = read_kept(app_dir, "kept")
        assert kept is not None and deployed["endpointUrl"] == kept.url
        assert not (app_dir / ".sst-lsp" / "outputs" / "kept.json").exists()
        assert (app_dir / ".sst-lsp" / "local" / "outputs" / "kept.json").is_file()
        diff = await run(client, "sst.diff", {"stage": "kept"})
        assert diff["status"] == "ok" and diff["hasChanges"] is False, diff
        client.message_answer = "first"  # type: ignore[attr-defined]
        removed = await run(client, "sst.remove", {"stage": "kept"})
        assert removed["status"] == "removed", removed
        again = read_kept(app_dir, "kept")
        assert again is not None and again.pid == kept.pid, "one endpoint across the commands"
    finally:
        stop_kept(app_dir, "kept")
