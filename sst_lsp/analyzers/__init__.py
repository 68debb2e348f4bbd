"""Analyzers (layer 3): pure functions from an `AnalysisContext` to `Finding`s.

Each module names its public codes in `CODES` and exposes `analyze(ctx)`. `run_all` runs every
analyzer behind its own guard, so a bug in one costs that analyzer's findings, not the run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from types import ModuleType

from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.model.types import Finding

log = logging.getLogger(__name__)

#: Analyzer modules, in the order their findings are reported.
ANALYZER_MODULES = ("handlers", "structure", "stateful", "links", "syntax")
#: Analyzers that report nothing without a baseline: not even imported then (start-up time).
NEEDS_BASELINE = frozenset({"stateful"})


def _module(name: str) -> ModuleType:
    # Every analyzer ships in the package: one that fails to import is a bug, and it must fail
    # loudly (a silent skip would also pass every fixture test that expects its findings).
    return importlib.import_module(f"sst_lsp.analyzers.{name}")


def _modules() -> list[ModuleType]:
    return [_module(name) for name in ANALYZER_MODULES]


def all_codes() -> dict[str, CodeInfo]:
    """Every public diagnostic code with its description."""
    codes: dict[str, CodeInfo] = {}
    for m in _modules():
        codes.update(getattr(m, "CODES", {}))
    return codes


class Cancelled(Exception):
    """Raised by `run_all` when its `cancelled()` says the run is no longer wanted."""


def run_all(ctx: AnalysisContext, only: Iterable[str] | None = None) -> list[Finding]:
    """Runs every analyzer (or those named in `only`) and returns their findings, sorted.

    `ctx.cancelled` is asked between analyzers (a newer revision makes this run's findings
    stale: the server stops it rather than finish work it would drop); `Cancelled` is raised
    then."""
    wanted = set(only) if only is not None else None
    has_baseline = ctx.baseline is not None or any(b is not None for b in ctx.baselines.values())
    out: list[Finding] = []
    for name in ANALYZER_MODULES:
        if ctx.cancelled is not None and ctx.cancelled():
            raise Cancelled
        if wanted is not None and name not in wanted:
            continue
        if name in NEEDS_BASELINE and not has_baseline:
            continue
        m = _module(name)
        try:
            out.extend(m.analyze(ctx))
        except Exception:
            log.exception("analyzer %s failed; its findings are skipped", name)
    out.sort(key=Finding.sort_key)
    return out


__all__ = ["AnalysisContext", "Cancelled", "CodeInfo", "all_codes", "run_all"]
