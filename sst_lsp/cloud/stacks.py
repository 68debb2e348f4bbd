"""CloudFormation calls shared by diff, deploy, remove and the stage reader (cloud layer).

Every wait here is a bounded poll against the endpoint at the session's interval (0.1 s on a
local endpoint, 2 s on AWS) with a deadline; none sleeps a fixed time to "let things settle".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.exceptions

from sst_lsp.cloud.aws import CloudError, describe_error
from sst_lsp.model.cfn import ChangeSetEntry

SUCCESS_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE", "DELETE_COMPLETE"})
#: Stacks in these states can take a change set of type UPDATE.
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
#: Phrases CloudFormation (and moto) use for a change set with nothing to do.
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed", "no changes")


def is_terminal(status: str) -> bool:
    return not status.endswith("_IN_PROGRESS")


def _not_found(exc: botocore.exceptions.ClientError) -> bool:
    msg = str(exc.response.get("Error", {}).get("Message", ""))
    return "does not exist" in msg


def describe_stack(cf: Any, name: str) -> dict[str, Any] | None:
    """The stack's description, or None when it does not exist (deleted stacks included)."""
    try:
        stacks = cf.describe_stacks(StackName=name)["Stacks"]
    except botocore.exceptions.ClientError as exc:
        if _not_found(exc):
            return None
        raise
    if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
        return None
    return dict(stacks[0])


def parse_template_body(body: Any) -> dict[str, Any]:
    """A GetTemplate ``TemplateBody`` (botocore gives a dict for JSON, a str for YAML)."""
    if isinstance(body, Mapping):
        plain: dict[str, Any] = json.loads(json.dumps(body))
        return plain
    text = str(body)
    try:
        data = json.loads(text)
    except ValueError:
        from cfnlint.decode import cfn_yaml

        data = cfn_yaml.loads(text)
        data = json.loads(json.dumps(data, default=str))
    return data if isinstance(data, dict) else {}


def get_template(cf: Any, name: str) -> dict[str, Any]:
    return parse_template_body(cf.get_template(StackName=name, TemplateStage="Original")["TemplateBody"])


def list_resources(cf: Any, name: str) -> list[dict[str, Any]]:
    """ListStackResources, all pages; rows without a logical id or type are dropped (a local
    endpoint lists placeholders for resources it did not create)."""
    out: list[dict[str, Any]] = []
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=name):
        for row in page.get("StackResourceSummaries", []):
            if row.get("LogicalResourceId") and row.get("ResourceType"):
                out.append(dict(row))
    return out


def outputs_of(stack: Mapping[str, Any] | None) -> dict[str, str]:
    if not stack:
        return {}
    return {
        str(o["OutputKey"]): str(o.get("OutputValue", ""))
        for o in stack.get("Outputs") or []
        if "OutputKey" in o
    }


@dataclass(frozen=True, slots=True)
class StackEvent:
    event_id: str
    stack: str
    logical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime | None

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def line(self) -> str:
        reason = f" - {self.reason}" if self.reason else ""
        return f"{self.stack} | {self.status} | {self.resource_type} {self.logical_id}{reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "status": self.status,
            "reason": self.reason,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }


def failure_summary(stack: str, final_status: str, events: list[StackEvent]) -> str:
    """``stack: ROLLBACK_COMPLETE (first failure: AWS::X::Y Id: reason)``.

    The first failed *resource* (chronologically) is the cause; the stack's own failure event
    and the "Resource creation cancelled" failures that follow the cause are not."""

    def is_cause(e: StackEvent) -> bool:
        return e.failed and e.logical_id != stack and "cancelled" not in e.reason.lower()

    first = next((e for e in events if is_cause(e)), None) or next((e for e in events if e.failed), None)
    why = (
        f"first failure: {first.resource_type} {first.logical_id}: {first.reason}"
        if first
        else "no failure event"
    )
    return f"{stack}: {final_status} ({why})"


class EventStream:
    """New stack events since ``prime()``, oldest first."""

    def __init__(self, cf: Any, stack: str, name: str | None = None) -> None:
        self.cf = cf
        #: Stack name or id to query; ``name`` is what events show (default: ``stack``).
        self.stack = stack
        self.name = name or stack
        self.seen: set[str] = set()

    def prime(self) -> None:
        self.seen = {e.event_id for e in self._fetch(stop_at_seen=False)}

    def _fetch(self, stop_at_seen: bool = True) -> list[StackEvent]:
        events: list[StackEvent] = []
        try:
            for page in self.cf.get_paginator("describe_stack_events").paginate(StackName=self.stack):
                stop = False
                for e in page.get("StackEvents", []):
                    eid = str(e.get("EventId"))
                    if stop_at_seen and eid in self.seen:
                        stop = True
                        break
                    events.append(
                        StackEvent(
                            eid,
                            self.name,
                            str(e.get("LogicalResourceId", "")),
                            str(e.get("ResourceType", "")),
                            str(e.get("ResourceStatus", "")),
                            str(e.get("ResourceStatusReason") or ""),
                            e.get("Timestamp"),
                        )
                    )
                if stop:
                    break
        except botocore.exceptions.ClientError as exc:
            if _not_found(exc):
                return []
            raise
        return events

    def poll(self) -> list[StackEvent]:
        new = [e for e in self._fetch() if e.event_id not in self.seen]
        self.seen.update(e.event_id for e in new)
        # DescribeStackEvents answers newest first.
        return list(reversed(new))


def wait_stack(
    cf: Any,
    name: str,
    events: EventStream,
    on_event: Callable[[StackEvent], None],
    interval: float,
    timeout: float,
    on_tick: Callable[[str], None] | None = None,
    stack_id: str | None = None,
) -> str:
    """Poll until the stack reaches a terminal status; every new event goes to ``on_event``.
    Returns the final status ("DELETE_COMPLETE" when the stack is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            st = cf.describe_stacks(StackName=stack_id or name)["Stacks"]
            status = str(st[0]["StackStatus"]) if st else "DELETE_COMPLETE"
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
            status = "DELETE_COMPLETE"
        for e in events.poll():
            on_event(e)
        if is_terminal(status):
            return status
        if on_tick is not None:
            on_tick(status)
        if time.monotonic() > deadline:
            raise CloudError(f"Timed out after {int(timeout)} s waiting for {name} (still {status})")
        time.sleep(interval)


def wait_change_set(cf: Any, stack: str, change_set: str, interval: float, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        desc = cf.describe_change_set(StackName=stack, ChangeSetName=change_set)
        if desc.get("Status") in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED"):
            return dict(desc)
        if time.monotonic() > deadline:
            raise CloudError(f"Timed out waiting for change set {change_set} of {stack}")
        time.sleep(interval)


def change_set_entries(
    cf: Any, stack: str, change_set: str, first: Mapping[str, Any]
) -> list[ChangeSetEntry]:
    """All ``ResourceChange`` rows of a change set (``first`` is its first description page)."""
    rows = list(first.get("Changes", []))
    token = first.get("NextToken")
    while token:
        page = cf.describe_change_set(StackName=stack, ChangeSetName=change_set, NextToken=token)
        rows.extend(page.get("Changes", []))
        token = page.get("NextToken")
    out: list[ChangeSetEntry] = []
    for row in rows:
        rc = row.get("ResourceChange") or {}
        if not rc.get("LogicalResourceId"):
            continue
        replacement = rc.get("Replacement") or None
        out.append(
            ChangeSetEntry(
                logical_id=str(rc["LogicalResourceId"]),
                resource_type=str(rc.get("ResourceType", "")),
                action=str(rc.get("Action", "")),
                replacement=str(replacement) if replacement else None,
                physical_id=rc.get("PhysicalResourceId"),
            )
        )
    return out


def is_no_change(desc: Mapping[str, Any]) -> bool:
    reason = str(desc.get("StatusReason") or "")
    return desc.get("Status") == "FAILED" and any(p.lower() in reason.lower() for p in NO_CHANGE_REASONS)


def stack_parameters(template: Mapping[str, Any], existing: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Change-set parameters: template defaults apply; a parameter without a default keeps its
    previous value (raises ``CloudError`` when there is none)."""
    params = template.get("Parameters")
    out: list[dict[str, Any]] = []
    previous = {p.get("ParameterKey") for p in (existing or {}).get("Parameters") or []}
    if isinstance(params, Mapping):
        for key, spec in params.items():
            if isinstance(spec, Mapping) and "Default" not in spec:
                if key in previous:
                    out.append({"ParameterKey": key, "UsePreviousValue": True})
                else:
                    raise CloudError(f"Template parameter {key} has no default and no previous value")
    return out


def safe(call: Callable[[], Any]) -> Any:
    """Run a best-effort cleanup call, ignoring its failure (e.g. deleting a change set)."""
    try:
        return call()
    except Exception:  # noqa: BLE001 - cleanup must not hide the real result.
        return None


def error_text(exc: BaseException) -> str:
    return describe_error(exc)
