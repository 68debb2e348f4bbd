"""Where handler strings lead, for editor features (layer 3: ide).

`target_location` turns a `Resolution` into the place an editor should show: the definition
of the export (following re-exports to the file that defines it), or the start of the file when
the export is missing. `sites` resolves every handler string of every app once per request (the
resolver memoizes, so this is cheap after the first call).

`HandlerText` maps between a handler's *value* (after constant folding) and its *source*: a
template like `${NOTES}/list.main` folds to one value, but only its literal tail (`/list.main`)
can be edited in place; `HandlerText` knows how long that tail is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.types import FILE_START, Location
from sst_lsp.model.files import FileSource
from sst_lsp.model.types import App, AppSnapshot, HandlerRef
from sst_lsp.syntax.text import LineIndex, Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

log = logging.getLogger(__name__)

#: Statuses whose `file` is the file the handler string names (maybe with its export missing).
FILE_FOUND = ("ok", "export-missing", "case-mismatch")


def target_location(resolver: HandlerResolver, res: Resolution) -> Location | None:
    """The definition a resolved handler leads to, or None when it leads to no file."""
    if res.file is None or res.status not in FILE_FOUND:
        return None
    if res.runtime_family == "container":
        # The handler names a folder; the Dockerfile is what an editor can open.
        return Location(res.tried[0], FILE_START) if res.status == "ok" and res.tried else None
    if res.export and res.runtime_family in ("node", "python") and res.status != "export-missing":
        found = resolver.resolve_export(res.file, res.export)
        if found is not None:
            return Location(found[0], found[1])
    if res.export_range is not None:
        return Location(res.file, res.export_range)
    return Location(res.file, FILE_START)


@dataclass(frozen=True)
class Site:
    """One handler string of one app, resolved."""

    app: App
    ref: HandlerRef
    res: Resolution
    target: Location | None

    @property
    def location(self) -> Location:
        """Where the handler string itself is."""
        return Location(self.ref.path, self.ref.range)


def sites(snap: AppSnapshot, resolver: HandlerResolver) -> Iterator[Site]:
    """Every handler string of every app with its resolution (a resolver bug costs one site)."""
    for app, ref in snap.handlers():
        try:
            res = resolver.resolve(app, ref)
            target = target_location(resolver, res)
        except Exception:
            log.exception("resolving %r in %s failed", ref.handler, ref.path)
            continue
        yield Site(app, ref, res, target)


def site_for(snap: AppSnapshot, resolver: HandlerResolver, app: App | None, ref: HandlerRef) -> Site | None:
    """The site of one handler string (None when it belongs to no app)."""
    if app is None:
        app = snap.app_for(ref.path)
        if app is None:
            return None
    res = resolver.resolve(app, ref)
    return Site(app, ref, res, target_location(resolver, res))


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes, or the full path outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# ----------------------------------------------------------------------------------------------
# Handler value <-> source text.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerText:
    """How a single-line handler string's value lines up with its source text."""

    value: str
    line: int
    content_col: int  # column of the first character of `content`
    content: str  # the source characters of the string (quotes stripped when the range has them)
    tail: int  # the value's last `tail` characters are spelled literally at the end of `content`

    @property
    def editable_from(self) -> int:
        """The first value index that can be edited in place."""
        return len(self.value) - self.tail

    def pos_of(self, index: int) -> Pos | None:
        """The source position of value index `index` (0..len), if it lies in the literal tail."""
        if index < self.editable_from or index > len(self.value):
            return None
        return Pos(self.line, self.content_col + len(self.content) - (len(self.value) - index))

    def index_of(self, pos: Pos) -> int | None:
        """The value index at source position `pos`, if it lies in the literal tail."""
        if pos.line != self.line:
            return None
        ci = pos.col - self.content_col
        if ci < len(self.content) - self.tail or ci > len(self.content):
            return None
        return len(self.value) - (len(self.content) - ci)

    def range_of(self, start: int, end: int) -> TextRange | None:
        """The source range of value indices [start, end), if editable in place."""
        a, b = self.pos_of(start), self.pos_of(end)
        if a is None or b is None:
            return None
        return TextRange(a, b)


_last_index: list[LineIndex] = []


def line_index(text: str) -> LineIndex:
    """The `LineIndex` of `text`, the last one kept: the requests on one document (hover,
    definition, completion at each keystroke) read lines of the same text, and splitting a
    7 MB text into lines takes 20 ms."""
    kept = _last_index[:1]
    if kept and kept[0].text is text:
        return kept[0]
    li = LineIndex(text)
    _last_index[:] = [li]
    return li


def handler_text(fs: FileSource, ref: HandlerRef) -> HandlerText | None:
    """The value/source alignment of `ref`, or None (multi-line range, unreadable file)."""
    r = ref.range
    if r.start.line != r.end.line:
        return None
    text = fs.read_text(ref.path)
    if text is None:
        return None
    line = line_index(text).line_text(r.start.line)
    content = line[r.start.col : r.end.col]
    col = r.start.col
    if not ref.literal and len(content) >= 2 and content[0] in "`'\"" and content[-1] in "`'\"":
        # A folded value's range covers the whole expression, quotes included.
        content, col = content[1:-1], col + 1
    value = ref.handler
    k = 0
    while k < len(value) and k < len(content) and value[-1 - k] == content[-1 - k]:
        k += 1
    return HandlerText(value=value, line=r.start.line, content_col=col, content=content, tail=k)


def export_span(handler: str, export: str, first: bool) -> tuple[int, int] | None:
    """Value indices [start, end) of `export` in a path-like handler (`dir/file.export`).

    `first` picks the first candidate after the file name (SST v0/v1 node handlers cut at the
    first dot), else the last (v2/v3, Python).
    """
    name_start = handler.rfind("/") + 1
    found: list[int] = []
    i = handler.find("." + export, name_start)
    while i != -1:
        end = i + 1 + len(export)
        if end == len(handler) or handler[end] == ".":
            found.append(i + 1)
        i = handler.find("." + export, i + 1)
    if not found:
        return None
    start = found[0] if first else found[-1]
    return start, start + len(export)
