"""Export tables of handler files (model/exports.py): every form, per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.model.exports import ExportTable, exports_of
from sst_lsp.model.handler_code import code_facts, handler_file_facts
from sst_lsp.syntax.parser import lang_for_path, parse
from sst_lsp.syntax.text import LineIndex, TextRange


def _slice(text: str, rng: TextRange) -> str:
    idx = LineIndex(text)
    return text[idx.offset_at(rng.start) : idx.offset_at(rng.end)]


def _defined_at(text: str, lang: str, name: str) -> tuple[ExportTable, str]:
    table = exports_of(text, lang)
    assert name in table.names, f"{name!r} not in {sorted(table.names)}"
    return table, _slice(text, table.names[name])


# (id, lang, source, export name, text its range must cover, line of the range)
JS_FORMS = [
    ("function", "typescript", "export function main() {}", "main", "main"),
    ("async-function", "typescript", "export async function main(e: E) {}", "main", "main"),
    ("generator", "javascript", "export function* main() {}", "main", "main"),
    ("async-generator", "typescript", "export async function* main() {}", "main", "main"),
    ("const-arrow", "typescript", "export const main = async () => {};", "main", "main"),
    ("let", "javascript", "export let main = 1;", "main", "main"),
    ("var", "javascript", "export var main = function () {};", "main", "main"),
    ("typed-const", "typescript", "export const main: Handler = async (e) => e;", "main", "main"),
    ("wrapped", "typescript", "export const main = ApiHandler(async (evt) => {\n  return 1;\n});", "main", "main"),
    ("second-declarator", "typescript", "export const a = 1, main = 2;", "main", "main"),
    ("destructured-object", "typescript", "export const { main, b } = makeHandlers();", "main", "main"),
    ("destructured-renamed", "typescript", "export const { x: main } = o;", "main", "main"),
    ("destructured-default", "javascript", "export const { main = f } = o;", "main", "main"),
    ("destructured-rest", "typescript", "export const { a, ...main } = o;", "main", "main"),
    ("destructured-array", "javascript", "export const [first, main] = pair;", "main", "main"),
    ("class", "typescript", "export class main {}", "main", "main"),
    ("abstract-class", "typescript", "export abstract class main {}", "main", "main"),
    ("enum", "typescript", "export enum main { A }", "main", "main"),
    ("namespace", "typescript", "export namespace main {}", "main", "main"),
    ("declare", "typescript", "export declare function main(): void;", "main", "main"),
    ("clause-local", "typescript", "async function impl() {}\nexport { impl as main };", "main", "impl"),
    ("clause-before-def", "javascript", "export { impl as main };\nconst impl = () => 1;", "main", "impl"),
    ("clause-plain", "javascript", "function main() {}\nexport { main };", "main", "main"),
    ("clause-not-local", "javascript", "export { nowhere as main };", "main", "nowhere"),
    ("clause-string-name", "javascript", 'const f = 1;\nexport { f as "main" };', "main", "f"),
    ("clause-from", "typescript", 'export { impl as main } from "./impl";', "main", "main"),
    ("clause-from-plain", "typescript", 'export { main } from "./impl";', "main", "main"),
    ("namespace-export", "typescript", 'export * as main from "./all";', "main", "main"),
    ("imported-then-exported", "typescript", 'import { x as y } from "./x";\nexport { y as main };', "main", "y"),
    ("default-function", "typescript", "export default function named() {}", "default", "named"),
    ("default-anonymous", "typescript", "export default async () => {};", "default", "default"),
    ("default-identifier", "typescript", "const handler = 1;\nexport default handler;", "default", "handler"),
    ("default-class", "javascript", "export default class K {}", "default", "K"),
    ("cjs-exports", "javascript", "exports.main = async () => {};", "main", "main"),
    ("cjs-module-exports-prop", "javascript", "module.exports.main = function () {};", "main", "main"),
    ("cjs-subscript", "javascript", 'exports["main"] = () => 1;', "main", "main"),
    ("cjs-chained", "javascript", "exports.a = exports.main = () => 1;", "main", "main"),
    ("cjs-ident", "javascript", "function impl() {}\nexports.main = impl;", "main", "impl"),
    ("cjs-object-shorthand", "javascript", "async function main() {}\nmodule.exports = { main };", "main", "main"),
    ("cjs-object-pair", "javascript", "const impl = 1;\nmodule.exports = { main: impl };", "main", "impl"),
    ("cjs-object-pair-value", "javascript", "module.exports = { main: async () => 1 };", "main", "main"),
    ("cjs-object-quoted", "javascript", 'module.exports = { "main": 1 };', "main", "main"),
    ("cjs-object-method", "javascript", "module.exports = { async main(e) {} };", "main", "main"),
    ("cjs-object-variable", "javascript", "const o = { main: 1 };\nmodule.exports = o;", "main", "main"),
    ("cjs-define-property", "javascript", 'Object.defineProperty(exports, "main", { value: 1 });', "main", "main"),
    ("cjs-module-exports-function", "javascript", "module.exports = function handler() {};", "default", "handler"),
    ("cjs-module-exports-fn-variable", "javascript", "const f = () => 1;\nmodule.exports = f;", "default", "f"),
    ("ts-export-assign", "typescript", "const main = 1;\nexport = { main };", "main", "main"),
    ("tsx", "tsx", "export const main = () => <div>hi</div>;", "main", "main"),
    ("jsx-in-js", "javascript", "export const main = () => <div>hi</div>;", "main", "main"),
    ("unicode-before", "typescript", 'const s = "😋é";\nexport const main = s;', "main", "main"),
    ("unicode-name", "javascript", "export const mäin = 1;", "mäin", "mäin"),
]


@pytest.mark.parametrize(("lang", "src", "name", "at"), [f[1:] for f in JS_FORMS], ids=[f[0] for f in JS_FORMS])
def test_js_export_forms(lang: str, src: str, name: str, at: str) -> None:
    _table, text = _defined_at(src, lang, name)
    assert text == at


JS_NOT_EXPORTED = [
    ("type-alias", "typescript", "export type main = string;"),
    ("interface", "typescript", "export interface main {}"),
    ("type-only-clause", "typescript", "const main = 1;\nexport type { main };"),
    ("type-only-specifier", "typescript", "const main = 1;\nexport { type main };"),
    ("local-only", "typescript", "const main = 1;"),
    ("nested-export-object", "javascript", "function f() { exports.main = 1; }"),
    ("default-is-not-main", "typescript", "export default function main() {}"),
    ("comment", "typescript", "// export const main = 1;"),
    ("string", "javascript", 'const s = "export const main = 1";'),
    ("esmodule-marker", "javascript", 'Object.defineProperty(exports, "__esModule", { value: true });'),
]


@pytest.mark.parametrize(("lang", "src"), [f[1:] for f in JS_NOT_EXPORTED], ids=[f[0] for f in JS_NOT_EXPORTED])
def test_js_not_exported(lang: str, src: str) -> None:
    table = exports_of(src, lang)
    assert "main" not in table.names
    assert "__esModule" not in table.names


def test_star_and_reexports() -> None:
    src = (
        'export * from "./a";\n'
        'export * from "./b";\n'
        'export { x as main, y } from "./c";\n'
        'import d, { e as f } from "./d";\n'
        "export { d as dd, f };\n"
    )
    t = exports_of(src, "typescript")
    assert t.star_from == ("./a", "./b")
    assert ("main", "./c", "x") in t.reexports
    assert ("y", "./c", "y") in t.reexports
    assert ("dd", "./d", "default") in t.reexports
    assert ("f", "./d", "e") in t.reexports
    assert not t.dynamic


@pytest.mark.parametrize(
    ("src", "star", "dynamic"),
    [
        pytest.param('module.exports = require("./impl");', ("./impl",), False, id="require"),
        pytest.param('module.exports = { ...require("./impl") };', ("./impl",), False, id="spread-require"),
        pytest.param("module.exports = makeHandlers();", (), True, id="call"),
        pytest.param("module.exports = handlers;", (), True, id="unknown-identifier"),
        pytest.param("exports[key] = 1;", (), True, id="computed-key"),
        pytest.param("module.exports = { [k]: 1 };", (), True, id="computed-object-key"),
        pytest.param("module.exports = { ...other };", (), True, id="spread"),
        pytest.param("export const main = 1;", (), False, id="static"),
    ],
)
def test_cjs_star_and_dynamic(src: str, star: tuple[str, ...], dynamic: bool) -> None:
    t = exports_of(src, "javascript")
    assert t.star_from == star
    assert t.dynamic is dynamic


def test_syntax_error_keeps_exports_before_it() -> None:
    src = "export const main = async () => {\n  return 1;\n};\n\nexport function broken( {\n  let = ;\n"
    t = exports_of(src, "typescript")
    assert "main" in t.names
    assert t.names["main"] == TextRange.of(0, 13, 0, 17)


def test_syntax_error_in_the_middle() -> None:
    src = "export const a = 1;\nconst = = ;\nexport function main() {}\n"
    t = exports_of(src, "typescript")
    assert {"a", "main"} <= set(t.names)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("", id="empty"),
        pytest.param("\x00\x01\x02", id="control-chars"),
        pytest.param("export {{{{ ((( from", id="garbage"),
        pytest.param("\ufffd\ufffd export const", id="replacement-chars"),
        pytest.param("export " * 2000, id="repeated-keyword"),
    ],
)
@pytest.mark.parametrize("lang", ["typescript", "tsx", "javascript", "python", "go", "csharp", "java"])
def test_never_raises(src: str, lang: str) -> None:
    assert isinstance(exports_of(src, lang), ExportTable)


def test_unknown_language_is_empty() -> None:
    assert exports_of("def main(): pass", "cobol").names == {}


def test_deeply_nested_code_does_not_overflow() -> None:
    src = "export const main = " + "(" * 3000 + "1" + ")" * 3000 + ";\n"
    assert "main" in exports_of(src, "typescript").names


# ----------------------------------------------------------------------------------------------
# Python.

PY_FORMS = [
    ("def", "def main(event, context):\n    pass\n", "main", "main"),
    ("async-def", "async def main(event, context):\n    pass\n", "main", "main"),
    ("decorated", "@logger.inject\ndef main(e, c):\n    pass\n", "main", "main"),
    ("class", "class main:\n    pass\n", "main", "main"),
    ("assignment", "main = make_handler()\n", "main", "main"),
    ("annotated", "main: Handler = make_handler()\n", "main", "main"),
    ("chained", "a = main = 1\n", "main", "main"),
    ("tuple", "a, (b, main) = t\n", "main", "main"),
    ("from-import", "from app.handlers import main\n", "main", "main"),
    ("from-import-as", "from app.handlers import impl as main\n", "main", "main"),
    ("relative-import", "from .impl import main\n", "main", "main"),
    ("import-as", "import app.handlers as main\n", "main", "main"),
    ("in-if", "if True:\n    main = 1\n", "main", "main"),
    ("in-else", "if x:\n    pass\nelse:\n    def main(): pass\n", "main", "main"),
    ("in-try-except", "try:\n    import ujson as main\nexcept ImportError:\n    main = None\n", "main", "main"),
    ("in-finally", "try:\n    pass\nfinally:\n    main = 1\n", "main", "main"),
    ("in-with", "with ctx():\n    main = 1\n", "main", "main"),
    ("unicode", 's = "😋"\ndef main(): pass\n', "main", "main"),
]


@pytest.mark.parametrize(("src", "name", "at"), [f[1:] for f in PY_FORMS], ids=[f[0] for f in PY_FORMS])
def test_python_forms(src: str, name: str, at: str) -> None:
    _t, text = _defined_at(src, "python", name)
    assert text == at


PY_NOT_BOUND = [
    ("in-function", "def f():\n    main = 1\n"),
    ("in-class", "class K:\n    def main(self): pass\n"),
    ("plain-import", "import main\n"),
    ("comment", "# def main(): pass\n"),
    ("augmented-only", "main += 1\n"),
]


@pytest.mark.parametrize("src", [f[1] for f in PY_NOT_BOUND], ids=[f[0] for f in PY_NOT_BOUND])
def test_python_not_bound(src: str) -> None:
    assert "main" not in exports_of(src, "python").names


def test_python_star_imports() -> None:
    t = exports_of("from .impl import *\nfrom ..shared.x import a as b\n", "python")
    assert t.star_from == (".impl",)
    assert ("b", "..shared.x", "a") in t.reexports
    assert not t.dynamic
    assert exports_of("from somepkg import *\n", "python").dynamic


def test_python_syntax_error_keeps_earlier_defs() -> None:
    t = exports_of("def main(event, context):\n    return 1\n\ndef broken(:\n    pass\n", "python")
    assert "main" in t.names


# ----------------------------------------------------------------------------------------------
# Go, C#, Java.


def test_go_functions() -> None:
    src = "package main\n\nfunc (s *S) Method() {}\nfunc helper() {}\nfunc main() {\n\tlambda.Start(h)\n}\n"
    t = exports_of(src, "go")
    assert set(t.names) == {"helper", "main"}
    assert t.names["main"] == TextRange.of(4, 5, 4, 9)


def test_csharp_names() -> None:
    src = (
        "namespace Api.Handlers {\n"
        "  public class Notes {\n"
        "    public async Task<Response> List(Request r) => null;\n"
        "    public Notes() {}\n"
        "    class Inner { void Deep() {} }\n"
        "  }\n"
        "  namespace Sub { struct S { void M() {} } }\n"
        "}\n"
    )
    t = exports_of(src, "csharp")
    assert set(t.names) == {
        "Api.Handlers.Notes",
        "Api.Handlers.Notes::List",
        "Api.Handlers.Notes+Inner",
        "Api.Handlers.Notes+Inner::Deep",
        "Api.Handlers.Sub.S",
        "Api.Handlers.Sub.S::M",
    }
    assert _slice(src, t.names["Api.Handlers.Notes::List"]) == "List"


def test_csharp_file_scoped_namespace() -> None:
    src = "namespace Api;\n\npublic record Handler { public string Run() => \"\"; }\n"
    t = exports_of(src, "csharp")
    assert "Api.Handler::Run" in t.names


def test_java_names() -> None:
    src = (
        "package com.example.notes;\n"
        "import x.Y;\n"
        "public class Handler implements RequestHandler<A, B> {\n"
        "  public B handleRequest(A a, Context c) { return null; }\n"
        "  static class Inner { void q() {} }\n"
        "}\n"
    )
    t = exports_of(src, "java")
    assert {"com.example.notes.Handler", "com.example.notes.Handler::handleRequest",
            "com.example.notes.Handler$Inner::q"} <= set(t.names)
    assert _slice(src, t.names["com.example.notes.Handler::handleRequest"]) == "handleRequest"


def test_java_without_package() -> None:
    t = exports_of("class H { void run() {} }", "java")
    assert set(t.names) == {"H", "H::run"}


@pytest.mark.parametrize(
    ("lang", "src", "expect_main"),
    [
        pytest.param("typescript", "export const " + "{a:" * 3000 + "main" + "}" * 3000 + " = o;", True,
                     id="deep-destructuring"),
        pytest.param("python", "".join(" " * i + "if x:\n" for i in range(1500)) + " " * 1500 + "main = 1\n",
                     True, id="deep-python-blocks"),
        pytest.param("javascript", "module.exports.a = " * 3000 + "1;", False, id="long-assignment-chain"),
        pytest.param("csharp", "namespace A {" * 3000, False, id="deep-namespaces"),
        pytest.param("typescript", "export { " + "(" * 5000, False, id="deep-error"),
    ],
)
def test_pathological_nesting_never_raises(lang: str, src: str, expect_main: bool) -> None:
    table = exports_of(src, lang)
    assert ("main" in table.names) is expect_main


def test_python_first_binding_wins() -> None:
    src = "main = make()\nif DEBUG:\n    main = debug(main)\n"
    assert exports_of(src, "python").names["main"] == TextRange.of(0, 0, 0, 4)
    src = "if DEBUG:\n    def main(): pass\nmain = wrap(main)\n"
    assert exports_of(src, "python").names["main"] == TextRange.of(1, 8, 1, 12)


# ----------------------------------------------------------------------------------------------
# One parse for a handler file: its export table and its code facts (model/handler_code.py).

REPO = Path(__file__).resolve().parents[2]
_JS_SOURCES = sorted(p for d in (REPO / "tests" / "fixtures", REPO / "examples") for p in d.rglob("*")
                     if p.suffix in (".ts", ".tsx", ".js", ".mjs") and "node_modules" not in p.parts
                     and ".sst-lsp" not in p.parts)
_USES = (
    'import { Table as T, Config } from "sst/node/table";\nimport { Resource } from "sst";\n'
    'export const main = () => { T.Notes.x; T["my-t"]; Resource.A; Resource["b"]; Config[""];\n'
    '  process.env.X; process.env["Y"]; process?.env.Z; (process.env).W; process.env[""]; };\n'
    'export default () => process.env.D + T.Other;\nfunction local() { return Resource.C; }\n'
)


def _walked_uses(text: str, lang: str) -> tuple[list[tuple[str, str, TextRange]], list[tuple[str, TextRange]]]:
    """The oracle: every member or subscript expression of the tree, visited one by one, kept
    when it reads a proxy the file imports or `process.env`."""
    pf = parse(text, lang)
    proxies = {use.proxy for use in code_facts(text, lang).resources}
    locals_ = {"T": "Table", "Config": "Config", "Resource": "Resource"} if "sst/node" in text else {}
    resources: list[tuple[str, str, TextRange]] = []
    env: list[tuple[str, TextRange]] = []
    stack = [pf.root]
    while stack:
        n = stack.pop()
        stack.extend(reversed(n.children))
        if n.type not in ("member_expression", "subscript_expression"):
            continue
        obj = n.child_by_field_name("object")
        prop = n.child_by_field_name("property")
        index = n.child_by_field_name("index")
        if prop is not None and prop.type == "property_identifier":
            name = pf.node_text(prop)
        elif index is not None and index.type == "string" and len(pf.node_text(index)) > 2:
            name = pf.node_text(index)[1:-1]
        else:
            continue
        if obj is None:
            continue
        if obj.type == "identifier" and pf.node_text(obj) in locals_ and locals_[pf.node_text(obj)] in proxies:
            resources.append((locals_[pf.node_text(obj)], name, pf.node_range(n)))
        elif obj.type == "member_expression" and pf.node_text(obj).replace("?", "") == "process.env":
            env.append((name, pf.node_range(n)))
    return resources, env


@pytest.mark.parametrize("lang", ["typescript", "tsx", "javascript"])
def test_code_facts_find_what_a_walk_of_every_node_finds(lang: str) -> None:
    facts = code_facts(_USES, lang)
    resources, env = _walked_uses(_USES, lang)
    assert [(u.proxy, u.name, u.range) for u in facts.resources] == resources
    assert [(e.name, e.range) for e in facts.env_reads] == env
    assert [u.name for u in facts.resources] == ["Notes", "my-t", "A", "b", "Other", "C"]
    assert [e.name for e in facts.env_reads] == ["X", "Y", "Z", "D"]
    assert [u.scope for u in facts.resources] == ["main", "main", "main", "main", "default", None]


@pytest.mark.parametrize("path", _JS_SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_one_parse_gives_the_export_table_and_the_code_facts(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    lang = lang_for_path(path)
    assert lang is not None
    # Broken copies too (tree-sitter's ERROR nodes): cut the text in the middle of a line.
    for t in (text, text[: len(text) // 2], text[: len(text) // 3] + "(" + text[len(text) // 2 :]):
        table, facts = handler_file_facts(t, lang)
        assert table == exports_of(t, lang)
        assert facts == code_facts(t, lang)
        if "sst/node" not in t:
            assert [(e.name, e.range) for e in facts.env_reads] == _walked_uses(t, lang)[1]


def test_non_js_files_have_no_code_facts() -> None:
    table, facts = handler_file_facts("def main(event, context):\n    return os.environ['X']\n", "python")
    assert facts is None and table.has("main")
