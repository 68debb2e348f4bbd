"""The one import/export statement reader, the one import resolver and the driver-owned text caches."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.model.bindings import BindingCall, binding_calls
from sst_lsp.model.derived import TextMemo
from sst_lsp.model.files import FileSource
from sst_lsp.model.handler_code import CodeFacts, code_facts, resolve_relative
from sst_lsp.model.js_module import (
    export_clause,
    export_specifiers,
    import_bindings,
    pattern_imports,
    require_arguments,
)
from sst_lsp.model.modules import IMPORT_SUFFIXES, SOURCE_EXTENSIONS, resolve_import
from sst_lsp.model.resolve import NODE_EXTENSIONS
from sst_lsp.syntax.parser import parse
from sst_lsp.syntax.ts_nodes import variable_declarators


def test_import_bindings_in_source_order() -> None:
    pf = parse('import d, * as ns from "./a";\nimport { x as y, type T, "q-r" as qr } from "./b";\n'
               'import z = require("./c");\n', "typescript")
    got = [(b.form, pf.node_text(b.local), pf.node_text(b.imported) if b.imported else None, b.type_only)
           for st in pf.root.named_children for b in import_bindings(st)]
    assert got == [("default", "d", None, False), ("namespace", "ns", None, False),
                   ("named", "y", "x", False), ("named", "T", "T", True), ("named", "qr", '"q-r"', False),
                   ("require", "z", None, False)]


def test_export_specifiers_and_requires() -> None:
    pf = parse('export { a, b as c, type D } from "./x";\nconst { e, f: g } = require("./y");\n', "typescript")
    exp, decl = pf.root.named_children
    clause = export_clause(exp)
    assert clause is not None
    assert [(pf.node_text(n), pf.node_text(a) if a else None, t) for n, a, t in export_specifiers(clause)] == [
        ("a", None, False), ("b", "c", False), ("D", None, True)]
    (d, pattern), = variable_declarators(decl)
    args = require_arguments(pf, d.child_by_field_name("value"))
    assert args is not None and pf.node_text(args[0]) == '"./y"'
    assert [(pf.node_text(a), pf.node_text(b)) for a, b in pattern_imports(pattern)] == [("e", "e"), ("g", "f")]


def test_one_extension_order() -> None:
    assert IMPORT_SUFFIXES == SOURCE_EXTENSIONS == NODE_EXTENSIONS
    assert SOURCE_EXTENSIONS[:4] == (".ts", ".tsx", ".mts", ".cts")


def test_every_reader_resolves_an_import_alike(tmp_path: Path) -> None:
    for name in ("a/m.mts", "a/m.js", "a/n.ts", "a/p/index.tsx"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    fs = FileSource()
    imp = tmp_path / "a" / "x.ts"
    for spec, want in (("./m", "a/m.mts"), ("./n.js", "a/n.ts"), ("./p", "a/p/index.tsx"), ("./q", None)):
        expected = tmp_path / want if want else None
        assert resolve_import(fs, imp, spec) == expected
        assert resolve_relative(fs, imp, spec) == expected


def test_text_caches_belong_to_their_owner() -> None:
    text = 'import { Table } from "sst/node/table";\nexport const main = () => Table.Notes.tableName;\n'
    memo: TextMemo[CodeFacts] = TextMemo(2)
    first = code_facts(text, "typescript", memo)
    assert code_facts(text, "typescript", memo) is first
    assert len(memo) == 1
    # Without a cache the facts are computed afresh, equal.
    assert code_facts(text, "typescript") == first and code_facts(text, "typescript") is not first
    calls: TextMemo[tuple[BindingCall, ...]] = TextMemo(1)
    assert binding_calls("api.bind([t]);", "typescript", calls) == binding_calls("api.bind([t]);", "typescript")
    assert len(calls) == 1


def test_text_memo_is_bounded_by_the_text_it_keeps() -> None:
    # One entry per keystroke's version of an edited file: the memo keeps the newest versions
    # up to `max_chars` of text, whatever their count.
    memo: TextMemo[int] = TextMemo(512, max_chars=1000)
    calls: list[str] = []

    def compute(text: str, lang: str) -> int:
        calls.append(text)
        return len(text)

    versions = [f"{i:03d}" + "x" * 297 for i in range(10)]  # 300 characters each
    for v in versions:
        assert memo.get(v, "typescript", compute) == 300
    assert len(memo) == 3 and memo.chars == 900
    # The newest three are kept; an older one is computed again.
    memo.get(versions[-1], "typescript", compute)
    assert calls.count(versions[-1]) == 1
    memo.get(versions[0], "typescript", compute)
    assert calls.count(versions[0]) == 2
    # A text bigger than the whole memo is computed and not kept.
    big = "y" * 1001
    memo.get(big, "typescript", compute)
    memo.get(big, "typescript", compute)
    assert calls.count(big) == 2 and memo.chars <= 1000
    memo.clear()
    assert len(memo) == 0 and memo.chars == 0
