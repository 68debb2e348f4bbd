"""A large text is parsed in chunks (so that other threads run meanwhile): the tree equals the
one-call parse, also where a chunk ends inside a multi-byte character. Keystroke reparses read
the bytes, and free what they read."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc

import pytest
from tree_sitter import Parser

from sst_lsp.syntax import parser
from sst_lsp.syntax.parser import _READ_CHUNK, language, parse, reparse


@pytest.fixture(autouse=True)
def chunked_from_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """These texts are a few chunks long: parse them in chunks as a large file is."""
    monkeypatch.setattr(parser, "CHUNKED_PARSE_MIN", _READ_CHUNK)


def _big_text() -> str:
    line = 'new Function(stack, "Fé😀{i}", {{ handler: "src/é😀/{i}.main" }}); // ü\n'
    out, i = [], 0
    while sum(len(x.encode()) for x in out) < 3 * _READ_CHUNK:
        out.append(line.format(i=i))
        i += 1
    text = "export function S({ stack }) {\n" + "".join(out) + "}\n"
    # Pad the start so that the first chunk ends inside a multi-byte character.
    pad = 0
    while (("/*" + "x" * pad + "*/" + text).encode()[_READ_CHUNK] & 0xC0) != 0x80:
        pad += 1
    return "/*" + "x" * pad + "*/" + text


def test_chunked_parse_equals_the_one_call_parse() -> None:
    text = _big_text()
    data = text.encode()
    assert (data[_READ_CHUNK] & 0xC0) == 0x80  # The first chunk ends inside a character.
    pf = parse(text, "typescript")
    whole = Parser(language("typescript")).parse(data)
    assert str(pf.root) == str(whole.root_node)
    assert not pf.root.has_error
    edited = text.replace('"src/é😀/7.main"', '"src/é😀/7.mainx"')
    again = reparse(pf, edited)
    assert str(again.root) == str(Parser(language("typescript")).parse(edited.encode()).root_node)
    assert again.node_text(again.root).endswith("}\n")


def test_parses_in_two_threads_at_once_do_not_share_a_parser() -> None:
    text = _big_text()
    expected = str(parse(text, "typescript").root)
    got: list[str] = []

    def run() -> None:
        got.append(str(parse(text, "typescript").root))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [expected] * 3


def test_another_thread_runs_during_a_big_parse() -> None:
    text = _big_text() * 8
    ticks: list[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.perf_counter()
    parse(text, "typescript")
    end = time.perf_counter()
    done.set()
    t.join()
    # The ticker got the interpreter in the middle of the parse, not only before and after it.
    third = (end - start) / 3
    assert any(start + third < x < end - third for x in ticks)


def test_keystroke_reparses_keep_no_memory() -> None:
    """py-tree-sitter keeps what a chunk reader returns (a text's size per parse): 200
    keystrokes on a 200 KB text kept 14 MB when reparses read in chunks."""
    text = _big_text()
    pf = parse(text, "typescript")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(200):
            pf = reparse(pf, text.replace('"src/é😀/7.main"', f'"src/é😀/7.main{i % 2 or ""}"'))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2_000_000, grown


def test_a_chain_of_reparses_ends_in_a_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trees made by long chains of incremental reparses grow: every `REPARSE_CHAIN`-th
    reparse of a text under `CHUNKED_PARSE_MIN` is a fresh parse (no base), with the tree a
    one-call parse gives."""
    monkeypatch.setattr(parser, "CHUNKED_PARSE_MIN", 1 << 20)
    text = _big_text()
    pf = parse(text, "typescript")
    bases = []
    for i in range(1, parser.REPARSE_CHAIN + 1):
        pf = reparse(pf, text.replace('"src/é😀/7.main"', f'"src/é😀/7.main{i}"'))
        bases.append(pf.base)
    assert all(b is not None for b in bases[:-1]) and bases[-1] is None and pf.chain == 0
    assert str(pf.root) == str(Parser(language("typescript")).parse(pf.data).root_node)
    again = reparse(pf, pf.text + "\n")
    assert again.base == pf.serial and again.chain == 1
