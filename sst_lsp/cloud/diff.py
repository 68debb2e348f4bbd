"""``sst-lsp diff``: a cloud assembly against the deployed stage (cloud layer).

Per stack: added, removed and modified resources (``model.cfn.diff_templates`` against
GetTemplate), each flagged stateful per cfn-lint and replaced per the schemas' create-only
properties; for stacks that exist, a change set is created (and deleted again) so that the
endpoint's own ``Replacement`` flags are merged in where it reports them. Stacks of the stage
that the assembly no longer has are listed (deploy leaves them alone; remove deletes them).
Rendering: ``DiffResult.to_text()`` and ``to_json()``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sst_lsp.cloud.assembly import AssemblyError, StackArtifact, read_assembly
from sst_lsp.cloud.aws import CloudError, Connection, describe_error, open_session
from sst_lsp.cloud.deploy import (
    CAPABILITIES,
    TEMPLATE_BODY_LIMIT,
    Deployer,
    DeployOptions,
    annotate_moves,
    check_stage,
)
from sst_lsp.cloud.partial import LeftOut, not_modeled_ids
from sst_lsp.cloud.reporter import Reporter
from sst_lsp.cloud.stacks import (
    UPDATABLE,
    change_set_entries,
    describe_stack,
    get_template,
    is_no_change,
    safe,
    stack_parameters,
    wait_change_set,
)
from sst_lsp.cloud.stage_state import list_stage_stacks
from sst_lsp.model.cfn import (
    OUTCOME_TEXT,
    ChangeSetEntry,
    Hazard,
    ResourceDiff,
    assess,
    diff_templates,
    resources_of,
)

StackDiffStatus = Literal["new", "changed", "unchanged", "not-in-assembly", "unavailable"]


@dataclass(slots=True)
class DiffOptions:
    connection: Connection = field(default_factory=Connection)
    stacks: list[str] | None = None
    #: Create (and delete) change sets for deployed stacks to learn the endpoint's Replacement.
    change_sets: bool = True
    timeout: float = 600.0
    #: Constructs the synth left out: their deployed resources are "not modeled", not removals.
    not_modeled: list[LeftOut] = field(default_factory=list)


@dataclass(slots=True)
class StackDiff:
    stack: str
    status: StackDiffStatus
    resources: list[ResourceDiff] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    #: The change set's rows when one was made (None: not made or not available).
    change_set: list[ChangeSetEntry] | None = None
    note: str = ""
    #: Logical id -> the left-out construct (``LeftOut.describe``) a deployed resource belongs to.
    not_modeled: dict[str, str] = field(default_factory=dict)

    def _resource_json(self, r: ResourceDiff) -> dict[str, Any]:
        data = r.to_json()
        if r.logical_id in self.not_modeled:
            data["action"] = "not-modeled"
            data["notModeled"] = self.not_modeled[r.logical_id]
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            "resources": [self._resource_json(r) for r in self.resources],
            "hazards": [h.to_json() for h in self.hazards],
            "changeSet": [c.to_json() for c in self.change_set] if self.change_set is not None else None,
            "note": self.note,
        }


@dataclass(slots=True)
class DiffResult:
    status: Literal["ok", "failed"]
    message: str
    stage: str = ""
    stacks: list[StackDiff] = field(default_factory=list)
    #: The constructs the synth left out (deploy refuses them unless --allow-partial).
    not_modeled: list[LeftOut] = field(default_factory=list)

    @property
    def hazards(self) -> list[Hazard]:
        return [h for s in self.stacks for h in s.hazards]

    @property
    def has_changes(self) -> bool:
        return any(s.status in ("new", "changed", "not-in-assembly") for s in self.stacks)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "stage": self.stage,
            "hasChanges": self.has_changes,
            "dataLoss": any(h.blocks for h in self.hazards),
            "stacks": [s.to_json() for s in self.stacks],
            "notModeled": [o.to_json() for o in self.not_modeled],
        }

    def to_text(self) -> str:
        """Human-readable: one block per stack, one line per resource."""
        if self.status == "failed":
            return self.message
        lines: list[str] = []
        marks = {"add": "+", "remove": "-", "modify": "~"}
        for s in self.stacks:
            lines.append(f"Stack {s.stack} ({s.status})")
            if s.note:
                lines.append(f"  note: {s.note}")
            hazards = {h.logical_id: h for h in s.hazards}
            width = max((len(r.logical_id) for r in s.resources), default=0)
            for r in s.resources:
                if r.logical_id in s.not_modeled:
                    lines.append(
                        f"  ? {r.logical_id.ljust(width)}  {r.resource_type} "
                        f"[not modeled: {s.not_modeled[r.logical_id]}]"
                    )
                    continue
                tags: list[str] = []
                if r.stateful:
                    tags.append("STATEFUL" if r.stateful == "block" else "stateful")
                if r.replacement in ("true", "conditional"):
                    why = ", ".join(r.replacement_causes)
                    word = "REPLACED" if r.replacement == "true" else "MAY BE REPLACED"
                    tags.append(f"{word} ({why})" if why else word)
                gone = r.action == "remove" or r.replacement in ("true", "conditional")
                if gone and r.outcome and (r.stateful or r.outcome != "destroyed"):
                    tags.append(OUTCOME_TEXT[r.outcome])
                h = hazards.get(r.logical_id)
                if h and h.blocks:
                    tags.append("DATA LOSS")
                detail = ""
                if r.action == "modify" and r.changed:
                    shown = ", ".join(r.changed[:3]) + (", ..." if len(r.changed) > 3 else "")
                    detail = f" {shown}"
                tag_text = f" [{'; '.join(tags)}]" if tags else ""
                lines.append(
                    f"  {marks[r.action]} {r.logical_id.ljust(width)}  {r.resource_type}{detail}{tag_text}"
                )
            if s.status == "changed" and not s.resources:
                lines.append("  (template metadata, outputs or parameters only)")
            for h in s.hazards:
                if h.blocks and h.logical_id not in {r.logical_id for r in s.resources}:
                    lines.append(f"  ! {h.describe()}")
        if self.not_modeled:
            lines.append("")
            lines.append(
                f"Not modeled ({len(self.not_modeled)}): the synth left these out; deploy refuses "
                "unless --allow-partial (which deletes what of them is deployed):"
            )
            lines.extend(f"  {o.describe()}" for o in self.not_modeled)
        blocking = [h for h in self.hazards if h.blocks]
        if blocking:
            lines.append("")
            lines.append(f"Data loss: {len(blocking)} stateful resource(s) would be destroyed:")
            lines.extend(f"  {h.describe()}" for h in blocking)
        lines.append("")
        lines.append(self.message)
        return "\n".join(lines)


def _merge_change_set(diffs: list[ResourceDiff], entries: list[ChangeSetEntry]) -> list[ResourceDiff]:
    by_id = {c.logical_id: c for c in entries}
    out: list[ResourceDiff] = []
    for d in diffs:
        c = by_id.get(d.logical_id)
        if d.action == "modify" and c is not None and c.replacement in ("True", "Conditional"):
            flag: Any = "true" if c.replacement == "True" else "conditional"
            if d.replacement != "true":
                d = dataclasses.replace(
                    d, replacement=flag, replacement_causes=d.replacement_causes + ("change set",)
                )
        out.append(d)
    return out


def _change_set_rows(
    cf: Any, stack: StackArtifact, existing: dict[str, Any], timeout: float, interval: float,
    template: dict[str, Any], text: str,
) -> tuple[list[ChangeSetEntry] | None, str]:
    name = f"sst-lsp-diff-{int(time.time() * 1000)}"
    if len(text.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
        return None, "template too large for an inline change set; schema-based replacement only"
    try:
        cf.create_change_set(
            StackName=stack.stack_name,
            ChangeSetName=name,
            ChangeSetType="UPDATE",
            TemplateBody=text,
            Capabilities=CAPABILITIES,
            Parameters=stack_parameters(template, existing),
            Tags=[{"Key": k, "Value": v} for k, v in sorted(stack.tags.items())],
        )
        desc = wait_change_set(cf, stack.stack_name, name, interval, timeout)
        if desc.get("Status") == "FAILED":
            if is_no_change(desc):
                return [], ""
            return None, f"change set failed: {desc.get('StatusReason', '')}"
        return change_set_entries(cf, stack.stack_name, name, desc), ""
    except Exception as exc:  # noqa: BLE001 - the template diff stands on its own.
        return None, f"no change set ({describe_error(exc)})"
    finally:
        safe(lambda: cf.delete_change_set(StackName=stack.stack_name, ChangeSetName=name))


def diff_assembly(
    assembly_dir: Path, stage: str, app_name: str, options: DiffOptions, reporter: Reporter
) -> DiffResult:
    """Compare the assembly with what is deployed for ``stage``. Never raises for user or AWS
    errors (``status == "failed"`` with a message)."""
    try:
        assembly = read_assembly(Path(assembly_dir))
        stacks = assembly.select(options.stacks, stage, app_name)
        problem = check_stage(stage, stacks)
        if problem:
            return DiffResult("failed", problem, stage)
        session = open_session(options.connection, next((s.region for s in stacks if s.region), None))
        cf = session.client("cloudformation")
        # On a local endpoint the deployed templates are adapted ones: compare like with like.
        local = Deployer(Path(assembly_dir), stage, app_name, DeployOptions(connection=options.connection), reporter)
        local.session = session
        result = DiffResult("ok", "", stage, not_modeled=list(options.not_modeled))
        adds: dict[tuple[str, str], str] = {}
        for i, stack in enumerate(stacks):
            if reporter.cancelled:
                return DiffResult("failed", "Cancelled", stage, result.stacks)
            reporter.progress(f"Comparing {stack.stack_name}", int(100 * i / max(1, len(stacks))))
            existing = describe_stack(cf, stack.stack_name)
            status = existing.get("StackStatus") if existing else None
            if status is None or status == "REVIEW_IN_PROGRESS":
                old: dict[str, Any] = {}
                sd = StackDiff(stack.stack_name, "new")
            elif status in UPDATABLE:
                old = get_template(cf, stack.stack_name)
                sd = StackDiff(stack.stack_name, "changed")
            else:
                old = get_template(cf, stack.stack_name)
                sd = StackDiff(stack.stack_name, "changed", note=f"the deployed stack is in {status}")
            new, text = local.template_for(stack, record=False)
            if local.local and status in UPDATABLE:
                local.local_exports.update(local._local_outputs(stack.stack_name)[1])
            paths = stack.cdk_paths()
            diffs = [
                d if d.cdk_path else dataclasses.replace(d, cdk_path=paths.get(d.logical_id))
                for d in diff_templates(old, new)
            ]
            old_res = resources_of(old)
            for lid, res in resources_of(new).items():
                if lid not in old_res:
                    adds[(lid, str(res.get("Type")))] = stack.stack_name
            entries: list[ChangeSetEntry] | None = None
            if sd.status == "changed" and status in UPDATABLE and old != new and options.change_sets:
                assert existing is not None
                entries, note = _change_set_rows(
                    cf, stack, existing, options.timeout, session.interval(), new, text
                )
                if note:
                    sd.note = note
                if entries:
                    diffs = _merge_change_set(diffs, entries)
            sd.change_set = entries
            sd.resources = diffs
            sd.hazards = assess(stack.stack_name, old, new, entries or [])
            gone = not_modeled_ids(old, options.not_modeled, stack.stack_name)
            sd.not_modeled = {
                d.logical_id: gone[d.logical_id].describe()
                for d in diffs
                if d.action == "remove" and d.logical_id in gone
            }
            # Removals the deploy would not make (it refuses a partial synth): not data loss here.
            sd.hazards = [h for h in sd.hazards if h.logical_id not in sd.not_modeled]
            only_not_modeled = bool(sd.not_modeled) and all(d.logical_id in sd.not_modeled for d in diffs)
            if sd.status == "changed" and (old == new or only_not_modeled):
                if old != new:
                    sd.note = sd.note or (
                        f"{len(sd.not_modeled)} deployed resource(s) of left-out constructs: not modeled"
                    )
                sd.status = "unchanged"
            result.stacks.append(sd)
        for sd in result.stacks:
            sd.hazards = annotate_moves(sd.hazards, adds)
        if not options.stacks:
            known = {s.stack_name for s in assembly.stacks}
            for row in list_stage_stacks(session, app_name, stage):
                if row["StackName"] not in known:
                    result.stacks.append(
                        StackDiff(
                            str(row["StackName"]),
                            "not-in-assembly",
                            note="deployed but not in the assembly: deploy keeps it, remove deletes it",
                        )
                    )
        changed = sum(1 for s in result.stacks if s.status in ("new", "changed"))
        loss = sum(1 for h in result.hazards if h.blocks)
        result.message = f"{changed} of {len(stacks)} stack(s) differ from stage '{stage}'" + (
            f"; {loss} stateful resource(s) would be destroyed" if loss else ""
        )
        reporter.progress(result.message, 100)
        return result
    except (CloudError, AssemblyError) as exc:
        return DiffResult("failed", str(exc), stage)
    except Exception as exc:  # noqa: BLE001 - a failure is a result, not a traceback.
        return DiffResult("failed", f"Diff failed: {describe_error(exc)}", stage)
