"""Findings: what every analyzer reports (layer 2: model; a leaf, so that `sst-lsp check` can
read cached findings without loading the rest of the model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sst_lsp.syntax.text import Pos, TextRange

Severity = Literal["error", "warning", "information", "hint"]


@dataclass(frozen=True, slots=True)
class Related:
    path: Path
    range: TextRange
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic in editor terms (no LSP types). `data` carries what quick fixes need."""

    path: Path
    range: TextRange
    severity: Severity
    code: str
    message: str
    related: tuple[Related, ...] = ()
    data: dict[str, object] | None = None

    def sort_key(self) -> tuple[str, Pos, str]:
        return (str(self.path), self.range.start, self.code)
