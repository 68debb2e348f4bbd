"""No partial deploys (cloud layer): what the synth left out, and what deploy and diff make of it.

The embedded synth builds what it models and lists the rest (``SynthResult.skipped``). A stage
that SST deployed has those constructs' resources: a deploy of the partial templates would make
CloudFormation delete them, stateful or not. So a deploy whose synth left out anything in the
stacks it deploys is refused before anything changes, unless the user consents (the CLI's
``--allow-partial``; an explicit choice in the editor; ``--yes`` never implies it).

``diff`` shows a deployed resource that belongs to a left-out construct as "not modeled"
(matched by its ``aws:cdk:path`` under the construct's path), not as a removal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sst_lsp import catalog

#: The editor's choices when the synth left constructs out (the first one consents).
PARTIAL_DEPLOY = "Deploy without them"
PARTIAL_PROJECT = "Synth with the app's own toolchain (runs the app's code)"
PARTIAL_CANCEL = "Cancel"


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A construct the synth did not build, in the stack (full name) it belongs to."""

    kind: str
    id: str
    stack: str | None
    reason: str

    def describe(self) -> str:
        where = f" (stack {self.stack})" if self.stack else ""
        return f'{self.kind} "{self.id}"{where}: {self.reason}'

    def todo(self) -> str:
        """What the user can do about this one construct."""
        r = self.reason.lower()
        if "handler-outside-app" in r or "outside the app" in r:
            return "move the handler's code into the app"
        if "cannot find a handler file" in r:
            return "fix the handler path (see `sst-lsp check`)"
        if "project" in r or "site" in self.kind.lower() or "build step" in r:
            return "deploy with --synth-mode project (runs the app's own toolchain)"
        return "write it in a form the embedded synth models, or deploy with --synth-mode project"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "stack": self.stack, "reason": self.reason, "todo": self.todo()}

    def path_prefix(self) -> str | None:
        """The construct's path in the deployed template's ``aws:cdk:path`` metadata."""
        if not self.stack:
            return None
        return f"{self.stack}/{self.id}"


def left_out(res: Any, stage: str, app_name: str, stacks: list[str] | None = None) -> list[LeftOut]:
    """The constructs ``res`` (a ``SynthResult``) skipped, restricted to the stacks a
    ``--stacks`` selection names (a construct of no known stack always counts)."""
    by_id = {s.id: s.name for s in getattr(res, "stacks", [])}
    names = {s.name for s in getattr(res, "stacks", [])}
    out: list[LeftOut] = []
    for k in getattr(res, "skipped", []) or []:
        stack = None
        if k.stack:
            stack = by_id.get(k.stack) or (k.stack if k.stack in names else catalog.prefixed_name(stage, app_name, k.stack))
        out.append(LeftOut(str(k.kind), str(k.id), stack, str(k.reason)))
    if stacks:
        prefix = catalog.stack_prefix(stage, app_name)
        chosen = {n if n.startswith(prefix) or n in names else prefix + n for n in stacks}
        out = [o for o in out if o.stack is None or o.stack in chosen]
    return out


def refusal_message(items: Iterable[LeftOut], *, editor: bool = False) -> str:
    items = list(items)
    head = (
        f"Refused: the synth left out {len(items)} construct(s); deploying without them deletes "
        "whatever of them the stage has deployed:"
    )
    lines = [head]
    for o in items:
        lines.append(f"  - {o.describe()}")
        lines.append(f"      what to do: {o.todo()}")
    consent = f'choose "{PARTIAL_DEPLOY}"' if editor else "pass --allow-partial"
    lines.append(
        "Fix them, deploy with synth mode `project` (runs the app's own toolchain), or "
        f"{consent} to deploy the rest anyway."
    )
    return "\n".join(lines)


def not_modeled_ids(old_template: dict[str, Any], items: Iterable[LeftOut], stack: str) -> dict[str, LeftOut]:
    """Logical ids of ``old_template`` (the deployed one) whose ``aws:cdk:path`` lies under a
    left-out construct of ``stack``."""
    prefixes = [(o.path_prefix(), o) for o in items if o.stack == stack and o.path_prefix()]
    if not prefixes:
        return {}
    out: dict[str, LeftOut] = {}
    resources = old_template.get("Resources")
    if not isinstance(resources, dict):
        return {}
    for lid, res in resources.items():
        meta = res.get("Metadata") if isinstance(res, dict) else None
        path = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
        if not isinstance(path, str):
            continue
        path = path.lstrip("/")
        for prefix, o in prefixes:
            assert prefix is not None
            if path == prefix or path.startswith(prefix + "/"):
                out[str(lid)] = o
                break
    return out
