"""Text positions and ranges (layer 1: syntax).

Everything in the model speaks `Pos`/`TextRange`: zero-based lines and columns counted in
Unicode code points (Python `str` indices within the line). Tree-sitter works in bytes; LSP and
the CLI's JSON in UTF-16 code units. `LineIndex` converts between the three, and is the only
place that knows about encodings (the server's `convert.py` calls it too).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_NEWLINE = re.compile("\n")


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A zero-based position: line, and column in code points."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class TextRange:
    """A half-open range between two positions in one file."""

    start: Pos
    end: Pos

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

    __slots__ = ("_ascii", "_line_starts_cache", "_lines", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._ascii = text.isascii()
        self._lines: list[str] | None = None
        # Character offsets of line starts, computed on first use: converting tree-sitter points
        # of an ASCII text (the common case on every keystroke) never needs them.
        self._line_starts_cache: list[int] | None = None

    @property
    def _line_starts(self) -> list[int]:
        starts = self._line_starts_cache
        if starts is None:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
            self._line_starts_cache = starts
        return starts

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
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

    # Tree-sitter byte points -> positions.
    def pos_from_point(self, row: int, byte_col: int) -> Pos:
        """Converts a tree-sitter point (row, UTF-8 byte column) to a code-point position."""
        if self._ascii:
            return Pos(row, byte_col)
        line = self.line_text(row)
        if line.isascii():
            return Pos(row, byte_col)
        return Pos(row, len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")))

    def point_from_pos(self, pos: Pos) -> tuple[int, int]:
        """Converts a code-point position to a tree-sitter point (row, byte column)."""
        if self._ascii:
            return (pos.line, pos.col)
        line = self.line_text(pos.line)
        return (pos.line, len(line[: pos.col].encode("utf-8")))

    # UTF-16 (LSP's default unit).
    def to_utf16(self, pos: Pos) -> int:
        """The UTF-16 column of a code-point position."""
        if self._ascii:
            return pos.col
        prefix = self.line_text(pos.line)[: pos.col]
        if prefix.isascii():
            return pos.col
        return len(prefix.encode("utf-16-le")) // 2

    def from_utf16(self, line: int, utf16_col: int) -> Pos:
        """The code-point position of a UTF-16 column."""
        if self._ascii:
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
