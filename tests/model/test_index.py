"""The workspace index (model/index.py): following imports, assembling apps, function defaults,
caching, and bad input (which gives a clear diagnostic or nothing, never a traceback)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sst_lsp.analyzers import run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.check import run_check
from sst_lsp.model.files import FileSource
from sst_lsp.model.index import MAX_APP_FILES, WorkspaceIndex, resolve_import
from sst_lsp.model.types import App


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    return root


def only_app(root: Path) -> tuple[WorkspaceIndex, App]:
    index = WorkspaceIndex([root])
    (app,) = index.snapshot().apps
    return index, app


def rel(app: App, paths: tuple[Path, ...] | list[Path]) -> list[str]:
    return [p.relative_to(app.root).as_posix() for p in paths]


# ----------------------------------------------------------------------------------------------
# Following the entry's imports.
# ----------------------------------------------------------------------------------------------


def test_stacks_are_found_wherever_relative_imports_lead(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "infra/main.ts" }',
        "infra/main.ts": (
            'import { A } from "./stacks";\nimport { B } from "../lib/deep/B.js";\nimport "aws-cdk-lib";\n'
            "export default function main(app) { app.stack(A).stack(B); }\n"
        ),
        "infra/stacks/index.ts": 'export { A } from "./a/A";\n',
        "infra/stacks/a/A.ts": "export function A({ stack }) {}\n",
        "lib/deep/B.ts": "export const B = ({ stack }) => {};\n",
        "node_modules/x/index.ts": "export function Z({ stack }) {}\n",
    })
    _index, app = only_app(tmp_path)
    assert rel(app, app.files) == ["infra/main.ts", "infra/stacks/index.ts", "lib/deep/B.ts", "infra/stacks/a/A.ts"]
    assert [(s.id, s.definition and s.definition.name) for s in app.stacks] == [("A", "A"), ("B", "B")]
    assert app.generation == "v1" and app.entry == tmp_path / "infra/main.ts"


def test_entry_that_imports_itself_and_import_cycles(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": 'import "./index";\nimport { A } from "./A";\nexport default function main(app) { app.stack(A); }\n',
        "stacks/A.ts": 'import "./B";\nexport function A({ stack }) {}\n',
        "stacks/B.ts": 'import "./A";\nimport "./index";\n',
    })
    _index, app = only_app(tmp_path)
    assert rel(app, app.files) == ["stacks/index.ts", "stacks/A.ts", "stacks/B.ts"]


def test_resolve_import(tmp_path: Path) -> None:
    write(tmp_path, {"a/b.ts": "", "a/c/index.js": "", "a/d.mjs": "", "node_modules/m/index.ts": ""})
    fs = FileSource()
    imp = tmp_path / "a" / "x.ts"
    assert resolve_import(fs, imp, "./b") == tmp_path / "a/b.ts"
    assert resolve_import(fs, imp, "./b.js") == tmp_path / "a/b.ts"
    assert resolve_import(fs, imp, "./c") == tmp_path / "a/c/index.js"
    assert resolve_import(fs, imp, "./d.mjs") == tmp_path / "a/d.mjs"
    assert resolve_import(fs, imp, "../node_modules/m") is None
    assert resolve_import(fs, imp, "sst/constructs") is None
    assert resolve_import(fs, imp, "./missing") is None


def test_the_number_of_files_per_app_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A chain longer than the bound: the index stops following, and says nothing wrong.
    assert MAX_APP_FILES >= 1000
    monkeypatch.setattr("sst_lsp.model.index.MAX_APP_FILES", 30)
    n = 35
    files = {"sst.json": '{ "name": "x", "main": "stacks/index.ts" }', "stacks/index.ts": 'import "./f0";\nexport default function main(app) {}\n'}
    for i in range(n):
        files[f"stacks/f{i}.ts"] = f'import "./f{i + 1}";\n'
    write(tmp_path, files)
    _index, app = only_app(tmp_path)
    assert len(app.files) == 30


# ----------------------------------------------------------------------------------------------
# Function defaults: function props > construct defaults > stack defaults > app defaults.
# ----------------------------------------------------------------------------------------------


def test_function_defaults_inherit_in_ssts_order(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": (
            'import { A } from "./A";\nimport { B } from "./B";\n'
            "export default function main(app) {\n"
            '  app.setDefaultFunctionProps({ runtime: "python3.8", srcPath: "ignored" });\n'
            '  app.setDefaultFunctionProps({ runtime: "python3.9", srcPath: "services" });\n'
            '  app.stack(A, { id: "a" }).stack(B);\n'
            "}\n"
        ),
        "stacks/A.ts": (
            'import { Api, Function, StackContext } from "@serverless-stack/resources";\n'
            "export function A({ stack }: StackContext) {\n"
            '  stack.setDefaultFunctionProps({ srcPath: "stack-src" });\n'
            '  new Api(stack, "Api", {\n'
            '    defaults: { function: { runtime: "nodejs16.x" } },\n'
            '    routes: { "GET /a": "a.main", "GET /b": { function: { handler: "b.main", srcPath: "fn" } } },\n'
            "  });\n"
            '  new Api(stack, "Old", { defaultFunctionProps: { srcPath: "construct" }, routes: { "GET /c": "c.main" } });\n'
            '  new Function(stack, "F", { handler: "d.main", runtime: "go1.x" });\n'
            "}\n"
        ),
        "stacks/B.ts": (
            'import { Function, StackContext } from "@serverless-stack/resources";\n'
            "export function B({ stack }: StackContext) {\n"
            '  new Function(stack, "F", { handler: "e.main" });\n'
            "}\n"
        ),
    })
    _index, app = only_app(tmp_path)
    got = {h.handler: (h.stack, h.runtime, h.src_path) for h in app.handlers}
    assert got == {
        "a.main": ("a", "nodejs16.x", "stack-src"),  # construct runtime, stack srcPath
        "b.main": ("a", "nodejs16.x", "fn"),  # its own srcPath
        "c.main": ("a", "python3.9", "construct"),  # app runtime (the last call wins), construct srcPath
        "d.main": ("a", "go1.x", "stack-src"),
        "e.main": ("B", "python3.9", "services"),  # app defaults only
    }
    runtime_of_a = next(h for h in app.handlers if h.handler == "a.main").runtime_range
    assert runtime_of_a is not None and runtime_of_a.start.line == 4


def test_computed_runtime_is_unresolved(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": 'import { A } from "./A";\nexport default function main(app) { app.stack(A); }\n',
        "stacks/A.ts": (
            'import { Function } from "@serverless-stack/resources";\n'
            "export function A({ stack }) {\n"
            '  new Function(stack, "F", { handler: "a.main", runtime: process.env.RT });\n'
            "}\n"
        ),
    })
    _index, app = only_app(tmp_path)
    assert app.handlers == () and app.unresolved == 1


# ----------------------------------------------------------------------------------------------
# Caching and edits.
# ----------------------------------------------------------------------------------------------


def _small_app(root: Path) -> Path:
    return write(root, {
        "sst.config.ts": (
            'import { A } from "./stacks/A";\n'
            'export default { config() { return { name: "x" }; }, stacks(app) { app.stack(A); } };\n'
        ),
        "stacks/A.ts": (
            'import { Function } from "sst/constructs";\n'
            'export function A({ stack }) { new Function(stack, "F", { handler: "src/a.handler" }); }\n'
        ),
    })


def test_snapshots_are_cached_and_edits_bump_the_revision(tmp_path: Path) -> None:
    root = _small_app(tmp_path)
    index = WorkspaceIndex([root])
    s1 = index.snapshot()
    assert index.snapshot() is s1
    stack_file = root / "stacks/A.ts"
    text = stack_file.read_text()
    # A comment changes no fact: the app object is reused.
    index.set_text(stack_file, "// a comment\n" + text.replace("\n", "\n", 1))
    s2 = index.snapshot()
    assert s2.revision > s1.revision
    assert s2.apps[0].handlers[0].handler == "src/a.handler"
    # An edit that changes a fact shows in the next snapshot; closing the buffer reads the disk.
    index.set_text(stack_file, text.replace("src/a.handler", "src/b.handler"))
    assert index.snapshot().apps[0].handlers[0].handler == "src/b.handler"
    index.set_text(stack_file, None)
    assert index.snapshot().apps[0].handlers[0].handler == "src/a.handler"


def test_unchanged_facts_keep_the_app_object(tmp_path: Path) -> None:
    root = _small_app(tmp_path)
    index = WorkspaceIndex([root])
    app1 = index.snapshot().apps[0]
    index.set_text(root / "stacks/A.ts", (root / "stacks/A.ts").read_text() + "\n\n")
    assert index.snapshot().apps[0] is app1


def test_a_new_config_file_is_discovered_after_file_changed(tmp_path: Path) -> None:
    root = _small_app(tmp_path / "one")
    index = WorkspaceIndex([tmp_path])
    assert len(index.snapshot().apps) == 1
    other = _small_app(tmp_path / "two")
    index.file_changed(other / "sst.config.ts")
    assert [a.root.name for a in index.snapshot().apps] == ["one", "two"]
    assert root.name == "one"


def test_open_buffer_for_a_file_not_on_disk(tmp_path: Path) -> None:
    root = _small_app(tmp_path)
    index = WorkspaceIndex([root])
    cfg = root / "sst.config.ts"
    index.set_text(cfg, cfg.read_text().replace('"./stacks/A"', '"./stacks/New"'))
    index.set_text(root / "stacks/New.ts", 'import { Cron } from "sst/constructs";\n'
                   'export function A({ stack }) { new Cron(stack, "C", { job: "src/c.handler" }); }\n')
    (app,) = index.snapshot().apps
    assert root / "stacks/New.ts" in app.files
    # stacks/A.ts, which nothing imports now, still has its handler checked.
    assert [(h.path.name, h.handler) for h in app.handlers] == [("New.ts", "src/c.handler"), ("A.ts", "src/a.handler")]


# ----------------------------------------------------------------------------------------------
# Bad input: a clear diagnostic or nothing, never a traceback; check always finishes.
# ----------------------------------------------------------------------------------------------


def _analyze(root: Path) -> list[str]:
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    return [f.code for f in run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))]


def test_binary_and_invalid_utf8_stack_files(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": 'import { A } from "./A";\nimport { Bin } from "./Bin";\n'
                           "export default function main(app) { app.stack(A).stack(Bin); }\n",
    })
    (tmp_path / "stacks/Bin.ts").write_bytes(b"\x00\x01\x02\xff" * 1000)
    (tmp_path / "stacks/A.ts").write_bytes(
        b'import { Function } from "@serverless-stack/resources";\n'
        b"// caf\xe9 \xff\xfe\n"
        b'export function A({ stack }) { new Function(stack, "F", { handler: "src/x.main" }); }\n'
    )
    _index, app = only_app(tmp_path)
    assert [h.handler for h in app.handlers] == ["src/x.main"]
    assert _analyze(tmp_path) == ["handler-not-found"]


def test_a_10_mb_generated_stack_file(tmp_path: Path) -> None:
    # Generated data (a large constant table) around a construct with routes.
    rows = "\n".join(f'  "row-{i:07d}-{"x" * 40}",' for i in range(200_000))
    routes = "\n".join(f'      "GET /r{i}": "src/h.main",' for i in range(2_000))
    text = (
        'import { Api } from "@serverless-stack/resources";\n'
        f"const DATA = [\n{rows}\n];\n"
        "export function A({ stack }) {\n"
        f'  new Api(stack, "Api", {{\n    routes: {{\n{routes}\n      "GET /bad": "src/nope.main",\n    }},\n  }});\n'
        "}\n"
    )
    assert len(text.encode()) > 10_000_000
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": 'import { A } from "./A";\nexport default function main(app) { app.stack(A); }\n',
        "stacks/A.ts": text,
        "src/h.ts": "export const main = async () => {};\n",
    })
    _index, app = only_app(tmp_path)
    assert len(app.handlers) == 2_001 and len(app.routes) == 2_001
    assert _analyze(tmp_path) == ["handler-not-found"]


def test_symlink_loops(tmp_path: Path) -> None:
    root = _small_app(tmp_path / "app")
    os.symlink(tmp_path, root / "loop")
    os.symlink(root / "stacks", root / "stacks" / "again")
    os.symlink(root / "missing-target", root / "dangling")
    index = WorkspaceIndex([tmp_path])
    assert [a.root for a in index.snapshot().apps] == [root]


def test_deeply_nested_expressions_through_the_whole_pipeline(tmp_path: Path) -> None:
    depth = 5000
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.ts" }',
        "stacks/index.ts": 'import { A } from "./A";\nexport default function main(app) { app.stack(A); }\n',
        "stacks/A.ts": (
            'import { Api, Table } from "@serverless-stack/resources";\n'
            "export function A({ stack }) {\n"
            f"  const deep = {'[' * depth}{']' * depth};\n"
            f"  const parens = {'(' * depth}1{')' * depth};\n"
            f"  const objs = {'{a: ' * depth}1{'}' * depth};\n"
            f'  new Table(stack, "T", {{ fields: {"{x: " * depth}1{"}" * depth}, primaryIndex: {{ partitionKey: "p" }} }});\n'
            f'  new Api(stack, "Api", {{ routes: {{ "GET /": {"{function: " * depth}"a.main"{"}" * depth} }} }});\n'
            "}\n"
        ),
    })
    codes = _analyze(tmp_path)
    assert set(codes) <= {"table-index-field-missing", "handler-not-found"}


def test_check_finishes_on_a_directory_of_bad_input(tmp_path: Path) -> None:
    test_binary_and_invalid_utf8_stack_files(tmp_path / "a")
    test_symlink_loops(tmp_path / "b")
    write(tmp_path / "c", {"sst.json": "{ nope"})
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "sst.config.ts").write_bytes(b"\xff\xfe\x00garbage")
    res = run_check([tmp_path])
    assert res.apps == 4
    assert sorted((f.path.relative_to(tmp_path).as_posix(), f.code) for f in res.findings) == [
        ("a/stacks/A.ts", "handler-not-found"),
        ("b/app/stacks/A.ts", "handler-not-found"),
        ("c/sst.json", "config-invalid"),
        ("d/sst.config.ts", "config-invalid"),
    ]


@pytest.mark.parametrize("name", ["sst.config.ts", "sst.config.js", "sst.config.mjs"])
def test_config_file_names(tmp_path: Path, name: str) -> None:
    write(tmp_path, {name: 'export default { config() { return { name: "n" }; }, stacks(app) {} };\n'})
    _index, app = only_app(tmp_path)
    assert (app.name, app.generation, app.config_path.name) == ("n", "v2", name)


def test_commonjs_v0_app(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "cjs", "main": "lib/index.js" }',
        "lib/index.js": (
            'const MyStack = require("./MyStack");\nconst { Other } = require("./Other");\n'
            'module.exports = function main(app) {\n  new MyStack(app, "my-stack");\n  new Other(app, "other");\n};\n'
        ),
        "lib/MyStack.js": (
            'const sst = require("@serverless-stack/resources");\n'
            "module.exports = class MyStack extends sst.Stack {\n"
            '  constructor(scope, id, props) {\n    super(scope, id, props);\n'
            '    new sst.Function(this, "F", { handler: "src/a.main" });\n  }\n};\n'
        ),
        "lib/Other.js": 'const { Stack } = require("@serverless-stack/resources");\nclass Other extends Stack {}\nmodule.exports = { Other };\n',
    })
    _index, app = only_app(tmp_path)
    assert app.generation == "v0"
    assert [(s.id, s.definition and s.definition.name) for s in app.stacks] == [("my-stack", "MyStack"), ("other", "Other")]
    assert [(h.handler, h.stack) for h in app.handlers] == [("src/a.main", "my-stack")]
