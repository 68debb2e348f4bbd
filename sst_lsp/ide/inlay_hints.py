"""Inlay hints (layer 3: ide).

- After a construct id: the physical name the resource gets in the current stage, when SST
  decides it (`dev-notes-Notes` for a Table, Queue, Topic, user pool; an explicit name such as
  `bucketName` as written). Names CloudFormation generates at deploy are not shown: hover says so.
- After a handler string whose file is not obvious: the file it resolves to, relative to the
  app root, when the function's srcPath moved the base directory (v0/v1), or the runtime is
  Python or Go (the file is `module.py`, a package's `__init__.py`, a Go file or package folder).
  A plain Node handler in v2/v3 names its file already and gets no hint.

Hints sit right after the closing quote. Both kinds can be turned off (`sst.inlayHints.*`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import apps_of, file_source
from sst_lsp.ide.naming import physical_names
from sst_lsp.ide.targets import relative
from sst_lsp.model.types import AppSnapshot
from sst_lsp.syntax.text import LineIndex, Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver


@dataclass(frozen=True, slots=True)
class InlayHint:
    position: Pos
    label: str
    kind: str  # "name" (physical name) or "file" (resolved handler file)
    tooltip: str | None = None


def inlay_hints(
    snap: AppSnapshot,
    resolver: HandlerResolver,
    path: Path,
    within: TextRange,
    stage: str,
    physical: bool = True,
    files: bool = True,
) -> list[InlayHint]:
    """The hints of `path` inside `within` (the client's visible range)."""
    text = file_source(resolver).read_text(path)
    if text is None:
        return []
    idx = LineIndex(text)
    out: list[InlayHint] = []
    seen: set[Pos] = set()

    def after(r: TextRange) -> Pos:
        line = idx.line_text(r.end.line)
        col = r.end.col
        return Pos(r.end.line, col + 1) if col < len(line) and line[col] in "\"'`" else r.end

    for app in apps_of(snap, path) or [a for a in [snap.app_for(path)] if a is not None]:
        if physical:
            for c in app.constructs:
                if c.path != path or c.dynamic_id or not _inside(c.id_range, within):
                    continue
                for label, value in physical_names(app, c, stage):
                    name = _literal(value)
                    pos = after(c.id_range)
                    if name is not None and pos not in seen:
                        seen.add(pos)
                        out.append(InlayHint(pos, f" {name}", "name", f"{label} in stage `{stage}`"))
                        break
        if files:
            for h in app.handlers:
                if h.path != path or not _inside(h.range, within):
                    continue
                res = resolver.resolve(app, h)
                if res.file is None or res.status not in ("ok", "export-missing"):
                    continue
                shifted = res.src_path not in (None, ".", "./", "")
                if not shifted and res.runtime_family not in ("python", "go"):
                    continue
                pos = after(h.range)
                if pos in seen:
                    continue
                seen.add(pos)
                rel = relative(res.file, app.root) + ("/" if res.file.suffix == "" and res.runtime_family == "go" else "")
                why = f"srcPath `{res.src_path}`" if shifted else f"{res.runtime_family} handler"
                out.append(InlayHint(pos, f" → {rel}", "file", f"The handler's file ({why})"))
    out.sort(key=lambda h: h.position)
    return out


def _inside(r: TextRange, within: TextRange) -> bool:
    return not (r.end < within.start or within.end < r.start)


def _literal(value: str) -> str | None:
    """`dev-notes-Notes` from a row value written as "`dev-notes-Notes`" (optionally followed by
    where it comes from); None for a generated name."""
    if not value.startswith("`"):
        return None
    end = value.find("`", 1)
    return value[1:end] if end > 1 else None
