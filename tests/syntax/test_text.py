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


# Lines end at "\n", "\r\n" and a lone "\r", as LSP counts them. Line 1 holds an emoji (two
# UTF-16 units, four UTF-8 bytes) before "new".
MIXED = 'a = 1\r\nconst a = "😋"; new Api(stack, "x")\rλ = "é"\nlast\r'
MIXED_LINES = ["a = 1", 'const a = "😋"; new Api(stack, "x")', 'λ = "é"', "last", ""]


def test_lone_cr_ends_a_line_like_crlf_and_lf() -> None:
    li = LineIndex(MIXED)
    assert li.lone_cr
    assert li.lines == MIXED_LINES
    assert li.line_count() == 5
    starts = [0, 7, 7 + len(MIXED_LINES[1]) + 1, MIXED.index("last"), len(MIXED)]
    for line, start in enumerate(starts):
        assert li.pos_at(start) == Pos(line, 0)
        assert li.offset_at(Pos(line, 0)) == start
    # A column past a line's end stops before its ending ("\r\n" or "\r").
    assert li.offset_at(Pos(0, 99)) == 5
    assert li.offset_at(Pos(1, 99)) == starts[1] + len(MIXED_LINES[1])


def test_lone_cr_offsets_bytes_and_utf16_agree() -> None:
    li = LineIndex(MIXED)
    data = MIXED.encode("utf-8")
    for ch, line in (("new", 1), ("λ", 2), ("é", 2), ("last", 3)):
        off = MIXED.index(ch)
        pos = li.pos_at(off)
        assert pos.line == line
        assert pos.col == MIXED_LINES[line].index(ch)
        assert li.offset_at(pos) == off
        byte = len(MIXED[:off].encode("utf-8"))
        assert li.pos_of_byte(byte) == pos
        assert li.byte_at(pos) == byte
        assert data[byte:].startswith(ch.encode("utf-8"))
    new = li.pos_at(MIXED.index("new"))
    assert li.to_utf16(new) == new.col + 1
    assert li.from_utf16(1, new.col + 1) == new
    assert li.from_utf16(2, 99) == Pos(2, len(MIXED_LINES[2]))


def test_lone_cr_tree_sitter_points() -> None:
    li = LineIndex(MIXED)
    # Tree-sitter counts rows at "\n" only: "new" sits on its row 1, after "\r\n".
    new = li.pos_at(MIXED.index("new"))
    row, col = li.ts_point(new)
    assert row == 1 and col == len('const a = "😋"; '.encode())
    last = li.pos_at(MIXED.index("last"))
    assert li.ts_point(last) == (2, 0)
    # Point and byte offset of a node boundary give our position.
    byte = len(MIXED[: MIXED.index("λ")].encode("utf-8"))
    ts_row, ts_col = 1, byte - len("a = 1\r\n")
    assert li.pos_of_node_point((ts_row, ts_col), byte) == Pos(2, 0)


def test_crlf_and_lf_only_texts_keep_tree_sitter_rows() -> None:
    li = LineIndex('a\r\nb = "😋"; c\n')
    assert not li.lone_cr
    assert li.lines == ["a", 'b = "😋"; c', ""]
    assert li.pos_of_node_point((1, len('b = "😋"; '.encode())), 0) == Pos(1, 9)
    assert li.ts_point(Pos(1, 9)) == (1, 12)
