"""Parsing never raises; incremental reparse equals a full parse; walks are iterative."""

from __future__ import annotations

import random

import pytest

from sst_lsp.syntax.parser import edit_span, lang_for_path, parse, reparse, walk

STACK = """import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  const api = new Api(stack, "Api", {
    routes: { "GET /notes": "src/list.main" /* 😋 */ },
  });
}
"""


@pytest.mark.parametrize(
    ("name", "lang"),
    [("a.ts", "typescript"), ("a.tsx", "tsx"), ("a.mjs", "javascript"), ("x.PY", "python"),
     ("m.go", "go"), ("C.cs", "csharp"), ("J.java", "java"), ("README", None), ("a.json", None)],
)
def test_lang_for_path(name: str, lang: str | None) -> None:
    assert lang_for_path(name) == lang


def test_syntax_error_is_data() -> None:
    pf = parse(STACK.replace("});", "}"), "typescript")
    assert pf.errors, "a missing parenthesis is reported as an error range"
    assert parse(STACK, "typescript").errors == []


def test_binary_garbage_parses() -> None:
    pf = parse("\x00\x01\ufffd" * 1000, "typescript")
    assert pf.root is not None


def test_incremental_reparse_matches_full_parse() -> None:
    rng = random.Random(7)
    pf = parse(STACK, "typescript")
    text = STACK
    for _ in range(50):
        i = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and i < len(text):
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + rng.choice(["a", "😋", "\n", '"', "{", "é"]) + text[i:]
        pf = reparse(pf, text)
        full = parse(text, "typescript")
        assert str(pf.root) == str(full.root)
        assert pf.text == text


def test_reparse_same_text_is_identity() -> None:
    pf = parse(STACK, "typescript")
    assert reparse(pf, STACK) is pf


def test_node_range_uses_code_points() -> None:
    pf = parse(STACK, "typescript")
    comment = next(n for n in walk(pf.root) if n.type == "comment")
    r = pf.node_range(comment)
    line = STACK.split("\n")[3]
    assert r.start.col == line.index("/*") and r.end.col == line.index("*/") + 2


def test_walk_survives_deep_nesting() -> None:
    depth = 5000
    pf = parse("x = " + "[" * depth + "]" * depth + ";", "javascript")
    assert sum(1 for _ in walk(pf.root)) > depth


def _naive_span(a: bytes, b: bytes) -> tuple[int, int, int]:
    n = min(len(a), len(b))
    s = 0
    while s < n and a[s] == b[s]:
        s += 1
    ea, eb = len(a), len(b)
    while ea > s and eb > s and a[ea - 1] == b[eb - 1]:
        ea -= 1
        eb -= 1
    return s, ea, eb


def test_edit_span_matches_a_byte_by_byte_scan() -> None:
    """The chunked and bisected prefix/suffix scan finds the same edit as a plain loop, also
    around chunk boundaries and for repeated bytes (where prefix and suffix could overlap)."""
    rng = random.Random(5)
    for _ in range(400):
        size = rng.choice([0, 1, 7, 4095, 4096, 4097, 9000, 20000])
        a = bytes(rng.choice(b"ab\n") for _ in range(size))
        b = bytearray(a)
        for _ in range(rng.randint(0, 3)):
            i = rng.randint(0, len(b))
            if rng.random() < 0.5 and i < len(b):
                del b[i : i + rng.choice([1, 3, 5000])]
            else:
                b[i:i] = bytes(rng.choice(b"ab\n") for _ in range(rng.choice([1, 2, 5000])))
        assert edit_span(a, bytes(b)) == _naive_span(a, bytes(b))


def test_reparse_leaves_the_old_parse_alone() -> None:
    """Snapshots keep old ParsedFiles: a reparse must not shift the old tree's nodes."""
    old = parse(STACK, "typescript")
    before = [(n.type, n.start_byte, n.end_byte) for n in walk(old.root)]
    new = reparse(old, "// a comment line\n" + STACK)
    assert [(n.type, n.start_byte, n.end_byte) for n in walk(old.root)] == before
    assert old.node_text(old.root) == STACK
    assert new.base == old.serial and new.edit == (0, 0, len("// a comment line\n"))
    assert new.serial != old.serial


def test_reparse_reports_changed_ranges() -> None:
    """A change of structure is reported in `changed`; an edit inside a string changes none."""
    pf = parse(STACK, "typescript")
    inside = reparse(pf, STACK.replace("src/list.main", "src/list.mainx"))
    assert inside.changed == () and inside.edit is not None
    i = STACK.index("const api")
    broken = reparse(pf, STACK[:i] + "}" + STACK[i:])
    assert broken.changed, "a stray brace changes the tree"
    assert any(a <= i + 1 and b >= i for a, b in broken.changed)


def test_errors_are_every_error_and_missing_node() -> None:
    """Errors are collected by entering only subtrees with errors: the same ranges, in the same
    order, as a walk over every node."""
    rng = random.Random(9)
    text = STACK * 3
    for _ in range(60):
        i = rng.randrange(len(text) + 1)
        text = text[:i] + rng.choice(['"', "{", ")", "(", "]", "/*", "`", "😋", ",,"]) + text[i:]
        pf = parse(text, "typescript")
        expected = [pf.node_range(n) for n in walk(pf.root) if n.is_error or n.is_missing]
        assert pf.errors == expected


def test_node_ranges_on_lone_cr_lines() -> None:
    """Tree-sitter rows count "\n" only; node ranges count every line ending, as LSP does."""
    text = STACK.replace("\n", "\r", 3).replace("\n", "\r\n", 1)
    pf = parse(text, "typescript")
    assert pf.errors == []
    lines = pf.index.lines
    string = next(n for n in walk(pf.root) if n.type == "string_fragment" and pf.node_text(n) == "src/list.main")
    r = pf.node_range(string)
    assert r.start.line == r.end.line == 3
    assert lines[3][r.start.col : r.end.col] == "src/list.main"
    assert pf.node_start(string) == r.start and pf.node_end(string) == r.end
    # A position maps back to the tree-sitter point of the same node.
    found = pf.root.named_descendant_for_point_range(pf.point_at(r.start), pf.point_at(r.end))
    assert found is not None and pf.node_text(found) == "src/list.main"
