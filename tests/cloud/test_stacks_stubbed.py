"""Stack-event polling and the failure report on a rollback.

A moto server reports stack-level events only and never rolls back, so the rollback that real
CloudFormation produces is played here with botocore's Stubber (the one case the issue allows:
a failure the local endpoint cannot produce).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from sst_lsp.cloud.stacks import EventStream, StackEvent, failure_summary, wait_stack

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STACK = "dev-notes-Data"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1"


def event(eid: str, lid: str, rtype: str, status: str, reason: str = "") -> dict[str, Any]:
    e: dict[str, Any] = {
        "StackId": STACK_ID,
        "EventId": eid,
        "StackName": STACK,
        "LogicalResourceId": lid,
        "ResourceType": rtype,
        "ResourceStatus": status,
        "Timestamp": T0,
    }
    if reason:
        e["ResourceStatusReason"] = reason
    return e


def stack(status: str) -> dict[str, Any]:
    return {"Stacks": [{"StackName": STACK, "StackId": STACK_ID, "StackStatus": status, "CreationTime": T0}]}


def test_rollback_reports_the_first_failed_resource_and_the_rollback_state() -> None:
    cf = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    old = event("e0", STACK, "AWS::CloudFormation::Stack", "CREATE_COMPLETE")
    e1 = event("e1", STACK, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated")
    e2 = event(
        "e2", "Notes", "AWS::DynamoDB::Table", "UPDATE_FAILED", "Cannot update GSI and key schema at once"
    )
    e3 = event("e3", "Fn", "AWS::Lambda::Function", "UPDATE_FAILED", "Resource update cancelled")
    e4 = event(
        "e4",
        STACK,
        "AWS::CloudFormation::Stack",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to update: [Notes].",
    )
    e5 = event("e5", STACK, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE")
    with Stubber(cf) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": [old]}, {"StackName": STACK})
        stub.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
        # DescribeStackEvents answers newest first; the poll stops at the first event seen.
        stub.add_response("describe_stack_events", {"StackEvents": [e2, e1, old]}, {"StackName": STACK})
        stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK})
        stub.add_response(
            "describe_stack_events", {"StackEvents": [e4, e3, e2, e1, old]}, {"StackName": STACK}
        )
        stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK})
        stub.add_response(
            "describe_stack_events", {"StackEvents": [e5, e4, e3, e2, e1, old]}, {"StackName": STACK}
        )
        events = EventStream(cf, STACK)
        events.prime()
        seen: list[StackEvent] = []
        ticks: list[str] = []
        final = wait_stack(cf, STACK, events, seen.append, 0.0, 60.0, ticks.append)
        stub.assert_no_pending_responses()
    assert final == "UPDATE_ROLLBACK_COMPLETE"
    assert [e.event_id for e in seen] == ["e1", "e2", "e3", "e4", "e5"]  # Each once, oldest first.
    assert ticks == ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"]
    assert seen[1].line() == (
        "dev-notes-Data | UPDATE_FAILED | AWS::DynamoDB::Table Notes - Cannot update GSI and key schema at once"
    )
    assert failure_summary(STACK, final, seen) == (
        "dev-notes-Data: UPDATE_ROLLBACK_COMPLETE (first failure: AWS::DynamoDB::Table Notes: "
        "Cannot update GSI and key schema at once)"
    )


def test_failure_summary_without_resource_events() -> None:
    only_stack = [
        StackEvent("a", STACK, STACK, "AWS::CloudFormation::Stack", "CREATE_FAILED", "Template error", None)
    ]
    assert failure_summary(STACK, "ROLLBACK_COMPLETE", only_stack).endswith("Template error)")
    assert failure_summary(STACK, "DELETE_FAILED", []) == "dev-notes-Data: DELETE_FAILED (no failure event)"
