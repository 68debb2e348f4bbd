"""LineIndex: byte points, code-point positions and UTF-16 columns agree, emoji included."""

from __future__ import annotations

import pytest

from sst_lsp.syntax.text import LineIndex, Pos, TextRange

TEXT = 'ascii line\nconst a = "😋"; new Api(stack, "x")\nλ = "é"\n'


@pytest.mark.parametrize(
    ("line", "col", "utf16"),
    [
        pytest.param(0, 5, 5, id="ascii"),
        pytest.param(1, 11, 11, id="before-emoji"),
        pytest.param(1, 12, 13, id="after-emoji-surrogate-pair"),
        pytest.param(1, 20, 21, id="later-on-emoji-line"),
        pytest.param(2, 1, 1, id="bmp-non-ascii"),
    ],
)
def test_utf16_round_trip(line: int, col: int, utf16: int) -> None:
    li = LineIndex(TEXT)
    assert li.to_utf16(Pos(line, col)) == utf16
    assert li.from_utf16(line, utf16) == Pos(line, col)


def test_byte_points_to_positions() -> None:
    li = LineIndex(TEXT)
    line = TEXT.split("\n")[1]
    col = line.index("new")
    byte_col = len(line[:col].encode("utf-8"))
    assert byte_col == col + 3  # The emoji is 4 bytes, 1 code point.
    assert li.pos_from_point(1, byte_col) == Pos(1, col)
    assert li.point_from_pos(Pos(1, col)) == (1, byte_col)


def test_offsets_and_positions() -> None:
    li = LineIndex(TEXT)
    off = TEXT.index("new")
    pos = li.pos_at(off)
    assert pos.line == 1 and li.offset_at(pos) == off
    assert li.offset_at(Pos(99, 0)) == len(TEXT)
    assert li.line_count() == 4


def test_range_contains() -> None:
    r = TextRange.of(1, 2, 1, 8)
    assert r.contains(Pos(1, 2)) and r.contains(Pos(1, 8))
    assert not r.contains(Pos(1, 9)) and not r.contains(Pos(0, 5))
    assert r.contains_range(TextRange.of(1, 3, 1, 4))
    assert str(r) == "2:3-2:9"
