"""Plain results of the editor features (layer 3: ide).

Every `sst_lsp.ide` function answers with these frozen dataclasses: paths are absolute
`Path`s, ranges are `TextRange`s with code-point columns. The server (layer 4) is the only
place that turns them into LSP types (URIs, UTF-16 columns, `Command`s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sst_lsp.syntax.text import Pos, TextRange

CompletionKind = Literal["file", "folder", "function", "method", "value", "keyword"]
SymbolKind = Literal["stack", "construct", "route", "function", "file"]

_set = object.__setattr__

#: The start of a file: where "go to definition" lands when there is no better place.
FILE_START = TextRange(Pos(0, 0), Pos(0, 0))


def range_to_dict(r: TextRange) -> dict[str, dict[str, int]]:
    """A range as JSON-ready data (code-point columns), for command arguments."""
    return {
        "start": {"line": r.start.line, "col": r.start.col},
        "end": {"line": r.end.line, "col": r.end.col},
    }


@dataclass(frozen=True, slots=True)
class Location:
    """A range in a file."""

    path: Path
    range: TextRange

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data for command arguments: `{"path": str, "range": {...}}`."""
        return {"path": str(self.path), "range": range_to_dict(self.range)}


@dataclass(frozen=True, slots=True)
class HoverResult:
    """Markdown to show, and the range it is about."""

    markdown: str
    range: TextRange


@dataclass(frozen=True, slots=True)
class CompletionItem:
    """One completion proposal.

    `insert_text` replaces `replace_range` (a single-line range that holds the cursor).
    """

    label: str
    kind: CompletionKind
    detail: str | None
    insert_text: str
    replace_range: TextRange
    sort_text: str | None = None
    #: Characters that accept the item and are then typed ("." after a file name).
    commit_characters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lens:
    """A code lens: a title above `range`, optionally with a command to run on click.

    Commands carry everything they need in `arguments` (plain JSON data), never a reference
    to server memory.
    """

    range: TextRange
    title: str
    command: str | None
    arguments: list[object] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TextEdit:
    range: TextRange
    new_text: str


@dataclass(frozen=True, slots=True)
class FileCreate:
    path: Path


@dataclass(frozen=True)
class CodeAction:
    """A quick fix: files to create first, then edits per file.

    A file in `creates` starts empty; its content comes from an edit at (0, 0) in `edits`.
    """

    title: str
    kind: Literal["quickfix"]
    edits: dict[Path, list[TextEdit]]
    creates: list[Path] = field(default_factory=list)
    is_preferred: bool = False
    #: The diagnostic codes this action fixes (the server attaches the matching diagnostics).
    fixes_codes: tuple[str, ...] = ()
    diagnostic_range: TextRange | None = None
    #: Folders to create for `creates` (their parents do not exist): the server runs them as a
    #: command after the edit, since LSP's `CreateFile` cannot create folders.
    make_dirs: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A document or workspace symbol; `selection_range` lies inside `range`."""

    name: str
    kind: SymbolKind
    detail: str | None
    path: Path
    range: TextRange
    selection_range: TextRange
    children: list[Symbol] = field(default_factory=list)

    def __init__(self, name: str, kind: SymbolKind, detail: str | None, path: Path, range: TextRange,
                 selection_range: TextRange, children: list[Symbol] | None = None) -> None:
        # An outline of a generated stack file has hundreds of thousands of symbols: the
        # generated `__init__` of a frozen class looks `object.__setattr__` up per field.
        _set(self, "name", name)
        _set(self, "kind", kind)
        _set(self, "detail", detail)
        _set(self, "path", path)
        _set(self, "range", range)
        _set(self, "selection_range", selection_range)
        _set(self, "children", [] if children is None else children)


@dataclass(frozen=True, slots=True)
class Link:
    """A document link: `range` in the current file opens `target` (at `target_range`)."""

    range: TextRange
    target: Path
    target_range: TextRange | None
    tooltip: str | None = None
