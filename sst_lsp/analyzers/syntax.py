"""Syntax diagnostics (layer 3: analyzers).

- syntax-error: a stack or config file of an app does not parse (tree-sitter's ERROR and
  MISSING nodes), for example a `}` missing mid-edit. While a file does not parse, its other
  diagnostics, symbols and hovers come from its last version that did, for the lines the edit
  left alone (model/recover.py), so this is the one diagnostic that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.model.types import Finding
from sst_lsp.syntax.text import Pos, TextRange

CODES: dict[str, CodeInfo] = {
    "syntax-error": CodeInfo(
        "syntax-error",
        "error",
        "a stack or config file does not parse; until it does, its other results are those of its last version that did",
        "A `}` missing mid-edit, an unterminated string: the file's other diagnostics, symbols "
        "and hovers are kept from its last version that parsed. Fix: complete the code.",
    ),
}

#: Errors reported per file at most (one missing brace can make several).
MAX_PER_FILE = 3


def analyze(ctx: AnalysisContext) -> Iterable[Finding]:
    seen: set[Path] = set()
    for app in ctx.snapshot.apps:
        for p in app.files:
            if p in seen:
                continue
            seen.add(p)
            yield from _errors(ctx, p)


def _errors(ctx: AnalysisContext, path: Path) -> Iterator[Finding]:
    facts = ctx.snapshot.facts.get(path)
    if facts is None:
        return
    for rng in innermost(facts.syntax_errors)[:MAX_PER_FILE]:
        yield Finding(
            path=path, range=rng, severity="error", code="syntax-error",
            message=f"Syntax error: {path.name} does not parse here (in the editor, its other results come "
                    "from its last version that parsed, for the lines the edit left alone)",
        )


def innermost(ranges: Iterable[TextRange]) -> list[TextRange]:
    """The error ranges that hold no other (an ERROR node around a whole function says less
    than the `;` inside it that does not parse), each cut to its first line's first character
    when it spans lines."""
    # The first errors only: pasted binary can make thousands, and this is quadratic.
    rs = sorted(set(list(ranges)[:50]), key=lambda r: (r.start, r.end))
    out: list[TextRange] = []
    for r in rs:
        if any(o != r and r.contains_range(o) for o in rs):
            continue
        if r.start.line != r.end.line:
            r = TextRange(r.start, Pos(r.start.line, r.start.col + 1))
        out.append(r)
    return out
