"""``sst-lsp remove``: delete a stage's stacks (cloud layer).

The stage's stacks are found by name and tags (``stage_state``), listed with what each resource
becomes (DeletionPolicy Retain / RetainExceptOnCreate: retained, orphaned from the stack;
Snapshot: a snapshot is kept; otherwise destroyed, stateful ones marked), confirmed (typed for
a protected stage; ``yes`` skips both), then deleted in reverse dependency order, streaming
stack events, stopping at the first failure. Outputs of removed stacks leave the outputs file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sst_lsp.cloud.aws import CloudError, Connection, describe_error, open_session
from sst_lsp.cloud.deploy import confirm_protected
from sst_lsp.cloud.naming import DEFAULT_PROTECTED_STAGES, stage_name_problem
from sst_lsp.cloud.outputs import drop_from_outputs_file, outputs_path
from sst_lsp.cloud.reporter import Reporter
from sst_lsp.cloud.stacks import EventStream, StackEvent, failure_summary, wait_stack
from sst_lsp.cloud.stage_state import DeployedStack, read_deployed_stage
from sst_lsp.model.cfn import OUTCOME_TEXT, Outcome, deletion_outcome, resources_of, stateful_level

_log = logging.getLogger(__name__)

REMOVE_ACTIONS = ["Remove", "Cancel"]


@dataclass(slots=True)
class RemoveOptions:
    connection: Connection = field(default_factory=Connection)
    #: Skip the confirmation (and the typed one of a protected stage).
    yes: bool = False
    protected_stages: tuple[str, ...] = DEFAULT_PROTECTED_STAGES
    #: The app root whose ``.sst-lsp/outputs/{stage}.json`` forgets the removed stacks.
    outputs_root: Path | None = None
    timeout: float = 3600.0


@dataclass(frozen=True, slots=True)
class ResourceFate:
    stack: str
    logical_id: str
    resource_type: str
    physical_id: str | None
    outcome: Outcome
    stateful: str | None

    def describe(self) -> str:
        phys = f" ({self.physical_id})" if self.physical_id else ""
        mark = " [stateful]" if self.stateful else ""
        return (
            f"{self.stack}: {self.resource_type} {self.logical_id}{phys}: {OUTCOME_TEXT[self.outcome]}{mark}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "physicalId": self.physical_id,
            "outcome": self.outcome,
            "stateful": self.stateful,
        }


@dataclass(slots=True)
class RemovedStack:
    stack: str
    status: Literal["removed", "failed", "skipped", "cancelled"]
    message: str = ""
    stack_status: str | None = None
    events: list[StackEvent] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            "message": self.message,
            "stackStatus": self.stack_status,
            "events": [e.to_json() for e in self.events],
        }


@dataclass(slots=True)
class RemoveResult:
    status: Literal["removed", "nothing", "refused", "failed", "cancelled"]
    message: str
    stacks: list[RemovedStack] = field(default_factory=list)
    retained: list[ResourceFate] = field(default_factory=list)
    destroyed: list[ResourceFate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("removed", "nothing")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "stacks": [s.to_json() for s in self.stacks],
            "retained": [r.to_json() for r in self.retained],
            "destroyed": [r.to_json() for r in self.destroyed],
        }


def fates(stack: DeployedStack) -> list[ResourceFate]:
    """What deleting ``stack`` does to each of its resources."""
    declared = resources_of(stack.template)
    out: list[ResourceFate] = []
    for r in stack.resources:
        if r.resource_type == "AWS::CDK::Metadata":
            continue
        out.append(
            ResourceFate(
                stack.name,
                r.logical_id,
                r.resource_type,
                r.physical_id,
                deletion_outcome(declared.get(r.logical_id)),
                stateful_level(r.resource_type),
            )
        )
    return out


def remove_stage(stage: str, app_name: str, options: RemoveOptions, reporter: Reporter) -> RemoveResult:
    """Delete every stack of ``stage`` (reverse dependency order) after listing and confirming.
    Never raises for user or AWS errors."""
    try:
        return _remove(stage, app_name, options, reporter)
    except CloudError as exc:
        return RemoveResult("failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a failure is a result, not a traceback.
        _log.exception("remove failed")
        return RemoveResult("failed", f"Remove failed: {describe_error(exc)}")


def _remove(stage: str, app_name: str, options: RemoveOptions, reporter: Reporter) -> RemoveResult:
    problem = stage_name_problem(stage)
    if problem:
        return RemoveResult("failed", problem)
    session = open_session(options.connection)
    reporter.progress(f"Reading stage '{stage}'", 0)
    deployed = read_deployed_stage(session, app_name, stage)
    if not deployed.stacks:
        return RemoveResult(
            "nothing", f"Nothing is deployed for stage '{stage}' of {app_name} in {session.region}"
        )
    order = list(reversed(deployed.ordered()))
    result = RemoveResult("removed", "")
    for s in order:
        for f in fates(s):
            (result.destroyed if f.outcome == "destroyed" else result.retained).append(f)
    items = [f"delete stack {s.name}" for s in order]
    items += [f"retained: {f.describe()}" for f in result.retained]
    items += [f"destroyed: {f.describe()}" for f in result.destroyed]
    for line in items:
        reporter.log(line)
    if not confirm_protected(stage, "remove", options.protected_stages, options.yes, reporter):
        result.status, result.message = (
            "refused",
            f"Refused: '{stage}' is a protected stage and was not confirmed",
        )
        return result
    # Data stores only: a destroyed queue or log group is listed but not counted here.
    stateful = [f for f in result.destroyed if f.stateful == "block"]
    title = f"Remove stage '{stage}': delete {len(order)} stack(s)" + (
        f", destroying {len(stateful)} stateful resource(s)?" if stateful else "?"
    )
    if not options.yes and reporter.confirm(title, items, REMOVE_ACTIONS) != REMOVE_ACTIONS[0]:
        result.status, result.message = "refused", f"Not confirmed: stage '{stage}' was left as it is"
        return result

    cf = session.client("cloudformation")
    removed: list[str] = []
    for i, s in enumerate(order):
        if reporter.cancelled:
            result.stacks.append(RemovedStack(s.name, "cancelled", "Cancelled"))
            continue
        if result.stacks and result.stacks[-1].status != "removed":
            result.stacks.append(RemovedStack(s.name, "skipped", "An earlier stack was not removed"))
            continue
        rs = RemovedStack(s.name, "removed")
        reporter.progress(f"Deleting {s.name}", int(100 * i / len(order)))
        try:
            events = EventStream(cf, s.stack_id, s.name)
            events.prime()
            cf.delete_stack(StackName=s.stack_id)

            def on_event(e: StackEvent, rs: RemovedStack = rs) -> None:
                rs.events.append(e)
                reporter.log(e.line())

            final = wait_stack(
                cf, s.name, events, on_event, session.interval(), options.timeout, stack_id=s.stack_id
            )
            rs.stack_status = final
            if final == "DELETE_COMPLETE":
                rs.message = f"{s.name}: deleted"
                removed.append(s.name)
            else:
                rs.status, rs.message = "failed", failure_summary(s.name, final, rs.events)
        except CloudError as exc:
            rs.status, rs.message = "failed", f"{s.name}: {exc}"
        except Exception as exc:  # noqa: BLE001
            rs.status, rs.message = "failed", f"{s.name}: {describe_error(exc)}"
        reporter.log(rs.message)
        result.stacks.append(rs)
    if options.outputs_root is not None and removed:
        drop_from_outputs_file(outputs_path(options.outputs_root, stage, local=options.connection.local), removed)
    statuses = [s.status for s in result.stacks]
    if "failed" in statuses:
        result.status = "failed"
        result.message = next(s.message for s in result.stacks if s.status == "failed")
    elif "cancelled" in statuses:
        result.status, result.message = "cancelled", f"Cancelled after removing {len(removed)} stack(s)"
    else:
        kept = f"; {len(result.retained)} resource(s) retained" if result.retained else ""
        result.message = f"Removed stage '{stage}': {len(removed)} stack(s) deleted{kept}"
    reporter.progress(result.message, 100)
    return result
