"""Stage operations end to end (cloud layer): app directory -> model -> synth -> diff/deploy/remove.

The CLI and the language server both go through these functions, so the two front ends cannot
drift apart: they differ only in the `Reporter` they pass (terminal vs. LSP progress and
showMessageRequest) and in where the synth runs (in-process for the CLI, a warm worker in the
server).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.cloud.aws import CloudError, Connection, open_session
from sst_lsp.cloud.deploy import DeployOptions, DeployResult, deploy_assembly
from sst_lsp.cloud.diff import DiffOptions, DiffResult, diff_assembly
from sst_lsp.cloud.partial import (
    PARTIAL_CANCEL,
    PARTIAL_DEPLOY,
    PARTIAL_PROJECT,
    LeftOut,
    left_out,
    refusal_message,
)
from sst_lsp.cloud.remove import RemoveOptions, RemoveResult, remove_stage
from sst_lsp.cloud.reporter import Reporter
from sst_lsp.cloud.synth import SynthError, SynthResult, synth_app
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App

if TYPE_CHECKING:
    from sst_lsp.cloud.synth_worker import SynthWorker


class OpsError(Exception):
    """A problem the user must fix before the operation can run (message for the user)."""


def find_app(path: Path, index: WorkspaceIndex | None = None) -> App:
    """The SST app at `path` (its root, or a file/folder inside it, or a folder holding one app)."""
    path = Path(path).resolve()
    if not path.exists():
        raise OpsError(f"No such file or directory: {path}")
    if index is None:
        index = WorkspaceIndex([path if path.is_dir() else path.parent])
        apps = list(index.snapshot().apps)
        if not apps:
            # The path may be inside an app: look upwards.
            for parent in path.parents:
                if (parent / "sst.json").is_file() or any(parent.glob("sst.config.*")):
                    index = WorkspaceIndex([parent])
                    apps = list(index.snapshot().apps)
                    break
    else:
        apps = list(index.snapshot().apps)
    exact = [a for a in apps if a.root == path]
    if exact:
        return exact[0]
    inside = [a for a in apps if path.is_relative_to(a.root)]
    if inside:
        return max(inside, key=lambda a: len(a.root.parts))
    if len(apps) == 1:
        return apps[0]
    if not apps:
        raise OpsError(f"No SST app at {path} (looked for sst.json and sst.config.ts/js/mjs)")
    names = ", ".join(str(a.root) for a in apps)
    raise OpsError(f"Several SST apps under {path}: name one of {names}")


def _no_name(app: App) -> str:
    if app.name_note:
        return f"The app name is only known when SST runs ({app.name_note}): give config() a name"
    return "The app has no name"


def check_app(app: App) -> None:
    """Refuses apps that cannot be synthesized at all (config errors, v3)."""
    if app.config_errors:
        raise OpsError("; ".join(e.message for e in app.config_errors))
    if app.generation == "v3":
        raise OpsError(
            "SST v3 apps deploy through Pulumi (`sst deploy`); sst-lsp synthesizes CloudFormation "
            "for v0-v2 apps only"
        )
    if not app.name:
        raise OpsError(_no_name(app))


@dataclass
class Target:
    """Where an operation goes: the stage and the AWS connection."""

    stage: str
    connection: Connection
    protected_stages: tuple[str, ...] = ("prod", "production")


def synth(
    app: App,
    stage: str,
    *,
    mode: str = "embedded",
    out_dir: Path | None = None,
    reporter: Reporter | None = None,
    worker: SynthWorker | None = None,
) -> SynthResult:
    check_app(app)
    if out_dir is None:
        from sst_lsp.cloud.outputs import ensure_state_dir

        ensure_state_dir(app.root)
    try:
        return synth_app(app, stage, out_dir, mode, reporter, worker=worker)
    except SynthError as e:
        raise OpsError(str(e)) from None


def _synth_ok(res: SynthResult) -> None:
    if not getattr(res, "ok", True):
        raise OpsError(getattr(res, "error", None) or "Synth failed")


def preflight(app: App, target: Target) -> None:
    """Say "no credentials" (or "no such profile") before any synth work or warning: raises
    ``CloudError``. No network call."""
    check_app(app)
    open_session(target.connection, target.connection.region or app.region or "us-east-1")


def has_toolchain(app: App) -> bool:
    """Whether the app's own toolchain (SST or the CDK CLI in its node_modules) is installed."""
    from sst_lsp.cloud.synth_project import find_toolchain

    return not isinstance(find_toolchain(app, None), str)


def deploy(
    app: App,
    target: Target,
    reporter: Reporter,
    *,
    stacks: list[str] | None = None,
    yes: bool = False,
    allow_data_loss: bool = False,
    allow_partial: bool = False,
    ask_partial: bool = False,
    mode: str = "embedded",
    worker: SynthWorker | None = None,
) -> tuple[SynthResult, DeployResult]:
    """Synth, then deploy. A synth that left out constructs of the deployed stacks refuses the
    deploy (nothing changes) unless ``allow_partial``; with ``ask_partial`` (the editor) the user
    is asked instead: deploy the rest, synth with the app's own toolchain (offered when it is
    installed), or cancel. ``yes`` never implies consent to a partial deploy."""
    preflight(app, target)
    res = synth(app, target.stage, mode=mode, reporter=reporter, worker=worker)
    _synth_ok(res)
    gaps = left_out(res, target.stage, app.name or "", stacks)
    if gaps and allow_partial:
        for g in gaps:
            reporter.log(f"deploying without (--allow-partial): {g.describe()}")
    elif gaps:
        choice: str | None = None
        if ask_partial:
            actions = [PARTIAL_DEPLOY]
            if res.mode == "embedded" and has_toolchain(app):
                actions.append(PARTIAL_PROJECT)
            actions.append(PARTIAL_CANCEL)
            choice = reporter.confirm(
                f"The synth left out {len(gaps)} construct(s): deploying without them deletes "
                "whatever of them the stage has deployed."
                + (" The app's own toolchain runs the app's code." if PARTIAL_PROJECT in actions else ""),
                [g.describe() for g in gaps],
                actions,
            )
        if choice == PARTIAL_PROJECT:
            res = synth(app, target.stage, mode="project", reporter=reporter)
            _synth_ok(res)
            gaps = left_out(res, target.stage, app.name or "", stacks)
        elif choice == PARTIAL_DEPLOY:
            for g in gaps:
                reporter.log(f"deploying without (chosen in the editor): {g.describe()}")
            gaps = []
        if gaps:
            return res, _partial_refusal(gaps, target, ask_partial, reporter)
    options = DeployOptions(
        connection=target.connection,
        stacks=stacks,
        yes=yes,
        allow_data_loss=allow_data_loss,
        protected_stages=target.protected_stages,
        outputs_root=app.root,
    )
    return res, deploy_assembly(res.out_dir, target.stage, app.name or "", options, reporter)


def _partial_refusal(gaps: list[LeftOut], target: Target, editor: bool, reporter: Reporter) -> DeployResult:
    message = refusal_message(gaps, editor=editor)
    reporter.progress(message.splitlines()[0], 100)
    return DeployResult(
        "refused",
        message,
        endpoint_url=target.connection.endpoint_url,
        region=target.connection.region,
        not_modeled=[g.to_json() for g in gaps],
    )


def diff(
    app: App,
    target: Target,
    reporter: Reporter,
    *,
    mode: str = "embedded",
    worker: SynthWorker | None = None,
) -> tuple[SynthResult, DiffResult]:
    preflight(app, target)
    res = synth(app, target.stage, mode=mode, reporter=reporter, worker=worker)
    _synth_ok(res)
    options = DiffOptions(connection=target.connection, not_modeled=left_out(res, target.stage, app.name or ""))
    return res, diff_assembly(res.out_dir, target.stage, app.name or "", options, reporter)


def remove(app: App, target: Target, reporter: Reporter, *, yes: bool = False) -> RemoveResult:
    if not app.name:
        raise OpsError(_no_name(app))
    options = RemoveOptions(
        connection=target.connection, yes=yes, protected_stages=target.protected_stages, outputs_root=app.root
    )
    return remove_stage(target.stage, app.name, options, reporter)


__all__ = [
    "CloudError", "OpsError", "Target", "check_app", "deploy", "diff", "find_app", "has_toolchain", "preflight",
    "remove", "synth",
]
