"""Tree-sitter parsing (layer 1: syntax).

`parse(text, lang)` never raises: syntax errors are data (`ParsedFile.errors`), and the tree
still holds everything outside the broken region. `reparse(old, text)` reuses the old tree
(tree-sitter's incremental parsing), finding the edited region by the common prefix and suffix
of the two texts, so callers need not track LSP change ranges.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from tree_sitter import Language, Node, Parser, Tree

from sst_lsp.syntax.text import LineIndex, Pos, TextRange

#: File suffix -> grammar name.
SUFFIX_LANG: dict[str, str] = {
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".py": "python",
    ".go": "go",
    ".cs": "csharp",
    ".java": "java",
}

JS_LANGS = frozenset({"typescript", "tsx", "javascript"})


def lang_for_path(path: str | PurePath) -> str | None:
    """The grammar for a file name, or None when we do not parse that kind of file."""
    name = str(path)
    dot = name.rfind(".")
    if dot == -1:
        return None
    return SUFFIX_LANG.get(name[dot:].lower())


@functools.cache
def language(lang: str) -> Language:
    """The tree-sitter Language object for a grammar name (loaded once)."""
    if lang == "typescript":
        import tree_sitter_typescript as m

        return Language(m.language_typescript())
    if lang == "tsx":
        import tree_sitter_typescript as m

        return Language(m.language_tsx())
    if lang == "javascript":
        import tree_sitter_javascript as mjs

        return Language(mjs.language())
    if lang == "python":
        import tree_sitter_python as mpy

        return Language(mpy.language())
    if lang == "go":
        import tree_sitter_go as mgo

        return Language(mgo.language())
    if lang == "csharp":
        import tree_sitter_c_sharp as mcs

        return Language(mcs.language())
    if lang == "java":
        import tree_sitter_java as mjava

        return Language(mjava.language())
    raise ValueError(f"unknown grammar {lang!r}")


#: Parsers per thread: a parse gives other threads the interpreter between the chunks it reads
#: (see `_parse`), so two threads may parse at once, and a tree-sitter Parser is not thread-safe.
_PARSERS = threading.local()

#: Bytes handed to tree-sitter per read.
_READ_CHUNK = 65536

#: Incremental reparses after which `reparse` parses in full (a text under
#: `CHUNKED_PARSE_MIN` only): a tree built by a chain of incremental reparses keeps growing
#: (measured: 3.5 MB more than a fresh parse after 4,000 one-character edits of a 180 KB
#: text), a full parse of such a text takes milliseconds.
REPARSE_CHAIN = 64

#: The size from which a full parse is read in chunks (see `_parse`): tree-sitter parses
#: about 8 MB/s, so a smaller text holds the GIL for at most about 0.1 s.
CHUNKED_PARSE_MIN = 1 << 20


def _parser(lang: str) -> Parser:
    got: dict[str, Parser] | None = getattr(_PARSERS, "by_lang", None)
    if got is None:
        got = _PARSERS.by_lang = {}
    p = got.get(lang)
    if p is None:
        p = got[lang] = Parser(language(lang))
    return p


def _no_cancel(*_: object) -> bool:
    return False


def _parse(lang: str, data: bytes, old: Tree | None = None) -> Tree:
    """`data` parsed; a full parse of a large text is read in chunks: tree-sitter holds the
    GIL for the whole parse of one bytes object (a 6 MB stack file: over 3 s during which the
    server answers nothing), but returns to Python for each chunk a reader gives it (with a
    progress callback set), which lets the request threads run.

    Only there: py-tree-sitter 0.26 never frees what a reader returns (measured: about the
    text's size per parse, `tests/syntax/test_parser.py`), so each keystroke's incremental
    reparse, which takes under a millisecond even in a 7 MB file, and a full parse of a text
    under `CHUNKED_PARSE_MIN` (at most about 0.1 s) get the bytes."""
    parser = _parser(lang)
    if old is not None:
        return parser.parse(data, old)
    if len(data) < CHUNKED_PARSE_MIN:
        return parser.parse(data)
    view = memoryview(data)

    def read(offset: int, _point: object) -> bytes:
        return bytes(view[offset : offset + _READ_CHUNK])

    tree = parser.parse(read, progress_callback=_no_cancel)
    assert tree is not None  # Only a cancelled parse or a parser without a language gives None.
    return tree


#: Serial numbers of parses, so that a later parse can name the one it was made from.
_SERIALS = itertools.count(1)


@dataclass(slots=True)
class ParsedFile:
    """A parsed text: the tree, its text, and the syntax errors found as data.

    A `reparse` also says what it was made from, for callers that keep results per parse and
    want to redo only what the edit touched: the `base` parse's serial, the `edit` as byte
    offsets (start, old end, new end) and the byte ranges of the new text whose syntax tree
    differs from the base's (`changed`, tree-sitter's changed ranges; an edit inside a string
    or a name may change no structure at all, so look at `edit` too).
    """

    lang: str
    text: str
    data: bytes
    tree: Tree
    index: LineIndex
    _errors: list[TextRange] | None = field(default=None)
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False)
    base: int | None = field(default=None, compare=False)
    edit: tuple[int, int, int] | None = field(default=None, compare=False)
    changed: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    #: Incremental reparses since the last full parse (see `REPARSE_CHAIN`).
    chain: int = field(default=0, compare=False)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def errors(self) -> list[TextRange]:
        """Ranges of ERROR and MISSING nodes (computed on first use)."""
        if self._errors is None:
            self._errors = _collect_errors(self)
        return self._errors

    def node_text(self, node: Node) -> str:
        if self.index.ascii:
            return self.text[node.start_byte : node.end_byte]  # Bytes are characters: no decoding.
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def node_range(self, node: Node) -> TextRange:
        index = self.index
        if index.points_are_positions:
            # The common case, made per node of a large file: no conversion to look up.
            (sl, sc), (el, ec) = node.start_point, node.end_point
            if el == sl:
                el = sl  # One int object for both ends (ranges on one line are most).
            return TextRange(Pos(sl, sc), Pos(el, ec))
        if index.lone_cr:
            return TextRange(index.pos_of_byte(node.start_byte), index.pos_of_byte(node.end_byte))
        return TextRange(index.pos_from_point(*node.start_point), index.pos_from_point(*node.end_point))

    def node_start(self, node: Node) -> Pos:
        return self.index.pos_of_node_point(node.start_point, node.start_byte)

    def node_end(self, node: Node) -> Pos:
        return self.index.pos_of_node_point(node.end_point, node.end_byte)

    def point_at(self, pos: Pos) -> tuple[int, int]:
        """The tree-sitter point of a position (for `descendant_for_point_range`)."""
        return self.index.ts_point(pos)


def parse(text: str, lang: str) -> ParsedFile:
    """Parses `text` with the named grammar. Never raises on any text."""
    data = text.encode("utf-8", errors="surrogatepass")
    tree = _parse(lang, data)
    return ParsedFile(lang, text, data, tree, LineIndex(text))


def reparse(old: ParsedFile, text: str) -> ParsedFile:
    """Parses `text` incrementally from `old` (same grammar); every `REPARSE_CHAIN`-th time
    in full, when that is quick."""
    if text == old.text:
        return old
    if old.chain + 1 >= REPARSE_CHAIN and len(old.data) < CHUNKED_PARSE_MIN:
        return parse(text, old.lang)
    data = text.encode("utf-8", errors="surrogatepass")
    a, b = old.data, data
    start, end_a, end_b = edit_span(a, b)
    # Edit a copy: the old tree belongs to the old ParsedFile, which others (snapshots, the
    # extraction memo) may still read; `Tree.edit` would shift its nodes in place.
    tree = old.tree.copy()
    tree.edit(
        start_byte=start,
        old_end_byte=end_a,
        new_end_byte=end_b,
        start_point=_point(a, start),
        old_end_point=_point(a, end_a),
        new_end_point=_point(b, end_b),
    )
    new_tree = _parse(old.lang, data, tree)
    changed = tuple((r.start_byte, r.end_byte) for r in tree.changed_ranges(new_tree))
    return ParsedFile(old.lang, text, data, new_tree, LineIndex(text), base=old.serial, edit=(start, end_a, end_b),
                      changed=changed, chain=old.chain + 1)


#: Bytes compared at once when scanning for the common prefix and suffix.
_CHUNK = 4096


def edit_span(a: bytes, b: bytes) -> tuple[int, int, int]:
    """The one edit that turns `a` into `b`: (start, old end, new end) byte offsets, from the
    longest common prefix and then the longest common suffix of what remains.

    Both scans compare chunks (in C) and then bisect inside the first chunk that differs, so a
    large file costs a few slices rather than a Python loop over every byte.
    """
    n = min(len(a), len(b))
    start = 0
    while start + _CHUNK <= n and a[start : start + _CHUNK] == b[start : start + _CHUNK]:
        start += _CHUNK
    # The first difference lies in [start, min(start + _CHUNK, n)]: bisect the prefix length.
    lo, hi = start, min(start + _CHUNK, n)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[start:mid] == b[start:mid]:
            lo = mid
        else:
            hi = mid - 1
    start = lo
    # Common suffix of what follows the prefix: `k` bytes at the end of both.
    m = n - start
    la, lb = len(a), len(b)
    k = 0
    while k + _CHUNK <= m and a[la - k - _CHUNK : la - k] == b[lb - k - _CHUNK : lb - k]:
        k += _CHUNK
    lo, hi = k, min(k + _CHUNK, m)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - k] == b[lb - mid : lb - k]:
            lo = mid
        else:
            hi = mid - 1
    return start, la - lo, lb - lo


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return (row, offset - line_start)


def walk(node: Node) -> Iterator[Node]:
    """Every node below `node` (pre-order), iteratively: deep trees cannot overflow the stack."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node  # type: ignore[misc]
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            return
        visited_children = True
        if cursor.node == node:
            return


def _collect_errors(pf: ParsedFile) -> list[TextRange]:
    """ERROR and MISSING nodes in document order. Only subtrees that hold an error are entered
    (`has_error`), so a typo in a large file costs a walk down to it, not over the whole tree."""
    if not pf.root.has_error:
        return []
    out: list[TextRange] = []
    stack = [pf.root]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            out.append(pf.node_range(n))
        # Children in reverse, so that the stack pops them in document order.
        stack.extend(c for c in reversed(n.children) if c.has_error)
    return out
