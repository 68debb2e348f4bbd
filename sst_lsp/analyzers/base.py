"""What every analyzer shares (layer 3): the context it reads and how codes are described."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.model.types import AppSnapshot, Finding, Severity

if TYPE_CHECKING:
    from sst_lsp.analyzers.memo import AnalysisMemo
    from sst_lsp.baseline import Baseline
    from sst_lsp.baseline.kinds import TrackCache
    from sst_lsp.model.resolve import HandlerResolver
    from sst_lsp.syntax.parser import ParsedFile


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """A public diagnostic code: its default severity, a one-line rule and a longer doc
    (rule, example, fix) that the README's table and hovers are made from."""

    code: str
    severity: Severity
    summary: str
    doc: str = ""


@dataclass(frozen=True)
class AnalysisContext:
    """The inputs of one analysis run. Immutable; shared by all analyzers of the run."""

    snapshot: AppSnapshot
    resolver: HandlerResolver
    stage: str = "dev"
    #: The "before" state for the stateful-change analyzer (None: no baseline available).
    baseline: Baseline | None = None
    #: Per-app baselines when they differ by app (git baseline of an app in a subfolder).
    baselines: dict[object, Baseline | None] = field(default_factory=dict)
    #: Asked between analyzers: True when the run's findings are no longer wanted (a newer
    #: revision arrived), which stops it (`run_all` raises `Cancelled`).
    cancelled: Callable[[], bool] | None = None
    #: Per-construct results of the stateful analyzer kept between runs (the analysis host's).
    track_cache: TrackCache | None = None
    #: The parse of a file's current text that the driver holds (the index's, kept up to date
    #: incrementally), so that analyzers reading syntax do not parse a stack file again.
    parsed: Callable[[Path], ParsedFile | None] | None = None
    #: Per-reference resolutions and results kept between runs (the analysis host's; None:
    #: computed afresh, through the same code).
    memo: AnalysisMemo | None = None


Analyzer = Callable[[AnalysisContext], Iterable[Finding]]
