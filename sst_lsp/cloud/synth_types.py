"""The results of a synth (cloud layer): a leaf module, imported by the entry point
(`synth.py`) and by both backends (`synth_project.py`, `synth_worker.py`) without cycles."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


class SynthError(Exception):
    """Synthesis could not run or failed as a whole (the message is meant for the user)."""


@dataclass(frozen=True, slots=True)
class StackResult:
    id: str
    name: str
    template_path: Path
    resources: int
    outputs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SkippedConstruct:
    """Something in the app the synth did not build, and why."""

    kind: str
    id: str
    stack: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SynthDiagnostic:
    """A problem the project's toolchain reported at a place in the user's source (project mode)."""

    path: Path
    line: int  # zero-based
    col: int  # zero-based, code points
    message: str
    severity: str = "error"


@dataclass(slots=True)
class SynthResult:
    app: str
    out_dir: Path
    mode: str
    stacks: list[StackResult] = field(default_factory=list)
    skipped: list[SkippedConstruct] = field(default_factory=list)
    duration_ms: int = 0
    warnings: list[str] = field(default_factory=list)
    diagnostics: list[SynthDiagnostic] = field(default_factory=list)
    #: False when project mode's toolchain failed (diagnostics/log say why).
    ok: bool = True
    error: str | None = None
    #: Ids of the stacks taken unchanged from the previous synth into the same folder.
    reused: list[str] = field(default_factory=list)
    stage: str = ""

    @property
    def resources(self) -> int:
        return sum(s.resources for s in self.stacks)

    def to_json(self) -> dict[str, Any]:
        """The CLI's `--format json`: every path absolute (a program reading it may run from
        anywhere), a `summary` of counts first."""
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        for s in data["stacks"]:
            s["template_path"] = str(s["template_path"])
            s["exports"] = [o for o in s["outputs"] if is_export(o)]
            s["outputs"] = [o for o in s["outputs"] if not is_export(o)]
        for d in data["diagnostics"]:
            d["path"] = str(d["path"])
        summary = {
            "stacks": len(self.stacks),
            "resources": self.resources,
            "skipped": len(self.skipped),
            "warnings": len(self.warnings),
            "reused": len(self.reused),
        }
        head = {k: data.pop(k) for k in ("app", "stage", "mode", "ok", "error", "out_dir", "duration_ms")}
        return {**head, "summary": summary, **data}

    def stack(self, id_or_name: str) -> StackResult | None:
        return next((s for s in self.stacks if id_or_name in (s.id, s.name)), None)


def is_export(output: str) -> bool:
    """CDK's outputs for cross-stack references (`ExportsOutputRef...`), not the app's own."""
    return output.startswith("ExportsOutput")


def result_from_raw(app_name: str, out: Path, raw: dict[str, Any]) -> SynthResult:
    """A `SynthResult` from the engine's JSON answer."""
    return SynthResult(
        app=app_name,
        out_dir=out,
        mode="embedded",
        stacks=[
            StackResult(s["id"], s["name"], Path(s["template"]), int(s["resources"]), list(s["outputs"]))
            for s in raw.get("stacks", [])
        ],
        skipped=[SkippedConstruct(s["kind"], s["id"], s.get("stack"), s["reason"]) for s in raw.get("skipped", [])],
        duration_ms=int(raw.get("duration_ms", 0)),
        warnings=list(raw.get("warnings", [])),
        reused=[str(r) for r in raw.get("reused", [])],
    )
