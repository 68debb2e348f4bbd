"""Text positions and ranges (layer 1: syntax).

Everything in the model speaks `Pos`/`TextRange`: zero-based lines and columns counted in
Unicode code points (Python `str` indices within the line). Tree-sitter works in bytes; LSP and
the CLI's JSON in UTF-16 code units. `LineIndex` converts between the three, and is the only
place that knows about encodings (the server's `convert.py` calls it too).

Lines end where LSP ends them: at "\r\n", "\n" or a lone "\r"; a line's text excludes its
ending. Tree-sitter counts rows at "\n" only, so in a text with a lone "\r" its rows are not
our lines: `pos_of_node_point`/`ts_point` convert through byte offsets there.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

_NEWLINE = re.compile("\n")
#: The frozen dataclasses below set their fields through this in their own `__init__`: the
#: generated one looks `object.__setattr__` up on every field, and positions are made by the
#: hundred thousand in a large file (about 40% less per object).
_set = object.__setattr__
#: Every line ending LSP knows ("\r\n" first, so that it counts once).
_ANY_NEWLINE = re.compile("\r\n|\r|\n")


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A zero-based position: line, and column in code points."""

    line: int
    col: int

    def __init__(self, line: int, col: int) -> None:
        _set(self, "line", line)
        _set(self, "col", col)

    def __reduce__(self) -> tuple[type[Pos], tuple[int, int]]:
        # Pickled as a constructor call: the dataclass's own state functions read `fields()`
        # per object, and the check cache pickles millions of positions for a big stack file.
        return (Pos, (self.line, self.col))


@dataclass(frozen=True, slots=True)
class TextRange:
    """A half-open range between two positions in one file."""

    start: Pos
    end: Pos

    def __init__(self, start: Pos, end: Pos) -> None:
        _set(self, "start", start)
        _set(self, "end", end)

    def __reduce__(self) -> tuple[type[TextRange], tuple[Pos, Pos]]:
        return (TextRange, (self.start, self.end))

    @staticmethod
    def of(sl: int, sc: int, el: int, ec: int) -> TextRange:
        return TextRange(Pos(sl, sc), Pos(el, ec))

    def contains(self, pos: Pos) -> bool:
        """True when `pos` lies inside the range (both ends included, as cursors sit there)."""
        return self.start <= pos <= self.end

    def contains_range(self, other: TextRange) -> bool:
        return self.start <= other.start and other.end <= self.end

    def __str__(self) -> str:
        return f"{self.start.line + 1}:{self.start.col + 1}-{self.end.line + 1}:{self.end.col + 1}"


class LineIndex:
    """Maps byte offsets, code-point columns and UTF-16 columns for one text."""

    __slots__ = ("_byte_starts_cache", "_line_starts_cache", "_lines", "ascii", "lone_cr", "points_are_positions",
                 "text")

    def __init__(self, text: str) -> None:
        self.text = text
        #: True when the text is ASCII: byte offsets are character offsets.
        self.ascii = text.isascii()
        #: True when some "\r" is not followed by "\n": tree-sitter rows then differ from lines.
        self.lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
        #: True when a tree-sitter point (row, byte column) is a position as it stands: an ASCII
        #: text without a lone "\r" (what the per-node conversions check first).
        self.points_are_positions = self.ascii and not self.lone_cr
        self._lines: list[str] | None = None
        # Character offsets of line starts, computed on first use: converting tree-sitter points
        # of an ASCII text (the common case on every keystroke) never needs them.
        self._line_starts_cache: list[int] | None = None
        self._byte_starts_cache: list[int] | None = None

    @property
    def _line_starts(self) -> list[int]:
        starts = self._line_starts_cache
        if starts is None:
            starts = [0]
            newline = _ANY_NEWLINE if "\r" in self.text else _NEWLINE
            starts.extend(m.end() for m in newline.finditer(self.text))
            self._line_starts_cache = starts
        return starts

    @property
    def _byte_starts(self) -> list[int]:
        """UTF-8 byte offsets of line starts (for texts with a lone "\r" only)."""
        starts = self._byte_starts_cache
        if starts is None:
            if self.ascii:
                starts = self._line_starts
            else:
                starts = [0]
                text, chars = self.text, self._line_starts
                for a, b in itertools.pairwise(chars):
                    starts.append(starts[-1] + _utf8_len(text[a:b]))
            self._byte_starts_cache = starts
        return starts

    @property
    def lines(self) -> list[str]:
        """The text of each line, without its line ending."""
        if self._lines is None:
            if "\r" in self.text:
                self._lines = _ANY_NEWLINE.split(self.text)
            else:
                self._lines = self.text.split("\n")
        return self._lines

    def line_count(self) -> int:
        return len(self.lines)

    def line_text(self, line: int) -> str:
        lines = self.lines
        if 0 <= line < len(lines):
            return lines[line]
        return ""

    # Code-point offsets <-> positions.
    def pos_at(self, offset: int) -> Pos:
        """The position of a character offset into the text."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Pos(line, offset - self._line_starts[line])

    def offset_at(self, pos: Pos) -> int:
        """The character offset of a position (clamped to the line's end)."""
        if pos.line >= len(self._line_starts):
            return len(self.text)
        start = self._line_starts[pos.line]
        return start + min(pos.col, len(self.line_text(pos.line)))

    # UTF-8 byte offsets <-> positions.
    def pos_of_byte(self, offset: int) -> Pos:
        """The position of a UTF-8 byte offset into the text (one inside a character counts as
        that character's start)."""
        starts = self._byte_starts
        line = max(bisect.bisect_right(starts, offset) - 1, 0)
        col = offset - starts[line]
        text = self.line_text(line)
        if self.ascii or text.isascii():
            return Pos(line, min(col, len(text)))
        return Pos(line, len(_utf8(text)[:col].decode("utf-8", errors="ignore")))

    def byte_at(self, pos: Pos) -> int:
        """The UTF-8 byte offset of a position (clamped to the line's end)."""
        if pos.line >= len(self._line_starts):
            return len(_utf8(self.text)) if not self.ascii else len(self.text)
        text = self.line_text(pos.line)[: max(pos.col, 0)]
        return self._byte_starts[pos.line] + (len(text) if text.isascii() else _utf8_len(text))

    # Tree-sitter nodes -> positions.
    def pos_of_node_point(self, point: tuple[int, int], offset: int) -> Pos:
        """The position of a tree-sitter node boundary, given as its point and its byte offset:
        from the point when tree-sitter's rows are our lines, else from the offset."""
        if self.lone_cr:
            return self.pos_of_byte(offset)
        return self.pos_from_point(*point)

    def ts_point(self, pos: Pos) -> tuple[int, int]:
        """The tree-sitter point (row counted at "\n" only, UTF-8 byte column) of a position."""
        if not self.lone_cr:
            return self.point_from_pos(pos)
        offset = self.offset_at(pos)
        text = self.text
        row = text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        return (row, _utf8_len(text[line_start:offset]))

    # Byte points (line, UTF-8 byte column) <-> positions. Tree-sitter points are such points
    # when the text has no lone "\r"; LSP's "utf-8" position encoding always is.
    def pos_from_point(self, row: int, byte_col: int) -> Pos:
        """Converts a point (line, UTF-8 byte column) to a code-point position."""
        if self.ascii:
            return Pos(row, byte_col)
        line = self.line_text(row)
        if line.isascii():
            return Pos(row, byte_col)
        return Pos(row, len(_utf8(line)[:byte_col].decode("utf-8", errors="ignore")))

    def point_from_pos(self, pos: Pos) -> tuple[int, int]:
        """Converts a code-point position to a point (line, UTF-8 byte column)."""
        if self.ascii:
            return (pos.line, pos.col)
        line = self.line_text(pos.line)
        return (pos.line, _utf8_len(line[: pos.col]))

    # UTF-16 (LSP's default unit).
    def to_utf16(self, pos: Pos) -> int:
        """The UTF-16 column of a code-point position."""
        if self.ascii:
            return pos.col
        prefix = self.line_text(pos.line)[: pos.col]
        if prefix.isascii():
            return pos.col
        return len(prefix.encode("utf-16-le", errors="surrogatepass")) // 2

    def from_utf16(self, line: int, utf16_col: int) -> Pos:
        """The code-point position of a UTF-16 column."""
        if self.ascii:
            return Pos(line, utf16_col)
        text = self.line_text(line)
        if text.isascii():
            return Pos(line, min(utf16_col, len(text)))
        units = 0
        for i, ch in enumerate(text):
            if units >= utf16_col:
                return Pos(line, i)
            units += 2 if ord(ch) > 0xFFFF else 1
        return Pos(line, len(text))


def _utf8(text: str) -> bytes:
    # The parser encodes with "surrogatepass" too: lone surrogates take 3 bytes each.
    return text.encode("utf-8", errors="surrogatepass")


def _utf8_len(text: str) -> int:
    return len(_utf8(text))
