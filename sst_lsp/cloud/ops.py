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

from sst_lsp.cloud.aws import CloudError, Connection
from sst_lsp.cloud.deploy import DeployOptions, DeployResult, deploy_assembly
from sst_lsp.cloud.diff import DiffOptions, DiffResult, diff_assembly
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
    try:
        return synth_app(app, stage, out_dir, mode, reporter, worker=worker)
    except SynthError as e:
        raise OpsError(str(e)) from None


def _synth_ok(res: SynthResult) -> None:
    if not getattr(res, "ok", True):
        raise OpsError(getattr(res, "error", None) or "Synth failed")


def deploy(
    app: App,
    target: Target,
    reporter: Reporter,
    *,
    stacks: list[str] | None = None,
    yes: bool = False,
    allow_data_loss: bool = False,
    mode: str = "embedded",
    worker: SynthWorker | None = None,
) -> tuple[SynthResult, DeployResult]:
    res = synth(app, target.stage, mode=mode, reporter=reporter, worker=worker)
    _synth_ok(res)
    options = DeployOptions(
        connection=target.connection,
        stacks=stacks,
        yes=yes,
        allow_data_loss=allow_data_loss,
        protected_stages=target.protected_stages,
        outputs_root=app.root,
    )
    return res, deploy_assembly(res.out_dir, target.stage, app.name or "", options, reporter)


def diff(
    app: App,
    target: Target,
    reporter: Reporter,
    *,
    mode: str = "embedded",
    worker: SynthWorker | None = None,
) -> tuple[SynthResult, DiffResult]:
    res = synth(app, target.stage, mode=mode, reporter=reporter, worker=worker)
    _synth_ok(res)
    return res, diff_assembly(res.out_dir, target.stage, app.name or "", DiffOptions(connection=target.connection), reporter)


def remove(app: App, target: Target, reporter: Reporter, *, yes: bool = False) -> RemoveResult:
    if not app.name:
        raise OpsError(_no_name(app))
    options = RemoveOptions(
        connection=target.connection, yes=yes, protected_stages=target.protected_stages, outputs_root=app.root
    )
    return remove_stage(target.stage, app.name, options, reporter)


__all__ = ["CloudError", "OpsError", "Target", "check_app", "deploy", "diff", "find_app", "remove", "synth"]
