"""Severity overrides (pure): the one place they are applied, for the analysis host and for
findings `sst-lsp check` takes from its cache (this module loads no parser or analyzer)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sst_lsp.model.finding import Finding

__all__ = ["SEVERITIES", "SeverityOverrides", "apply_severity"]

#: The severities an override may set ("off", besides these, drops the finding).
SEVERITIES = ("error", "warning", "information", "hint")

#: Severity overrides: one table for every file, or a table per file (per-folder settings).
SeverityOverrides = Mapping[str, str] | Callable[[Path], Mapping[str, str]]


def apply_severity(findings: Iterable[Finding], overrides: SeverityOverrides | None) -> list[Finding]:
    """Per-code severity overrides ("off" drops the code); the one place they are applied."""
    if not overrides:
        return list(findings)
    table = (lambda _p: overrides) if isinstance(overrides, Mapping) else overrides
    out: list[Finding] = []
    for f in findings:
        o = table(f.path).get(f.code)
        if o == "off":
            continue
        if o in SEVERITIES and o != f.severity:
            f = dataclasses.replace(f, severity=o)  # type: ignore[arg-type]
        out.append(f)
    return out
