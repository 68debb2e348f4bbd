"""Parsing never raises; incremental reparse equals a full parse; walks are iterative."""

from __future__ import annotations

import random

import pytest

from sst_lsp.syntax.parser import lang_for_path, parse, reparse, walk

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
