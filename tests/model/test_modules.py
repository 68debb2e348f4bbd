"""The module graph (model/modules.py) and evaluation across it (model/evaluate.py, interp.py):
imports, exports and re-exports followed to the defining node, cycle-safe and depth-bounded;
values keep the file their literals are in."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.model.extract import extract, new_program
from sst_lsp.model.files import FileSource
from sst_lsp.model.modules import MAX_MODULE_DEPTH
from sst_lsp.model.types import FileFacts
from sst_lsp.syntax.parser import ParsedFile, lang_for_path, parse

V2 = 'import { Api, Function, StackContext } from "sst/constructs";\n'


def program_facts(tmp_path: Path, files: dict[str, str], main: str = "stacks/S.ts") -> tuple[FileFacts, dict[Path, str]]:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    fs = FileSource()
    parsed: dict[Path, ParsedFile] = {}

    def load(p: Path) -> ParsedFile | None:
        if p not in parsed:
            text = fs.read_text(p)
            lang = lang_for_path(p)
            if text is None or lang is None:
                return None
            parsed[p] = parse(text, lang)
        return parsed[p]

    path = tmp_path / main
    pf = load(path)
    assert pf is not None
    prog = new_program(fs, load)
    return extract(pf, path, program=prog), prog.deps


def handlers(f: FileFacts, root: Path) -> list[tuple[str, str, int]]:
    return [(h.handler, h.path.relative_to(root).as_posix(), h.range.start.line) for h in f.handlers]


@pytest.mark.parametrize(
    ("module", "imports", "use"),
    [
        pytest.param('export const H = "src/a.main";\n', 'import { H } from "./m";', "H", id="named"),
        pytest.param('export default "src/a.main";\n', 'import H from "./m";', "H", id="default"),
        pytest.param('const x = "src/a.main";\nexport { x as H };\n', 'import { H } from "./m";', "H", id="alias"),
        pytest.param('export const o = { h: "src/a.main" };\n', 'import * as m from "./m";', "m.o.h", id="namespace"),
        pytest.param('module.exports = { H: "src/a.main" };\n', 'const { H } = require("./m");', "H", id="cjs-object"),
        pytest.param('exports.H = "src/a.main";\n', 'const m = require("./m");', "m.H", id="cjs-exports"),
        pytest.param('const SRC = "src";\nexport const H = `${SRC}/a.main`;\n', 'import { H } from "./m";', "H",
                     id="template"),
        pytest.param('export function h() { return "src/a.main"; }\n', 'import { h } from "./m";', "h()",
                     id="function-return"),
    ],
)
def test_a_handler_constant_of_another_module(tmp_path: Path, module: str, imports: str, use: str) -> None:
    f, deps = program_facts(tmp_path, {
        "stacks/m.ts": module,
        "stacks/S.ts": f'{V2}{imports}\nexport function S({{ stack }}: StackContext) {{\n'
                       f'  new Function(stack, "F", {{ handler: {use} }});\n}}\n',
    })
    assert [(h, p) for h, p, _ in handlers(f, tmp_path)] == [("src/a.main", "stacks/m.ts")]
    assert f.unresolved == 0
    assert list(deps) == [tmp_path / "stacks/m.ts"]


def test_reexports_and_export_star(tmp_path: Path) -> None:
    f, deps = program_facts(tmp_path, {
        "stacks/lib/routes.ts": 'export const ROUTES = { "GET /": "src/get.main" };\n',
        "stacks/lib/more.ts": 'export const H = "src/more.main";\n',
        "stacks/lib/index.ts": 'export * from "./routes";\nexport { H as MORE } from "./more";\n',
        "stacks/S.ts": f'{V2}import {{ ROUTES, MORE }} from "./lib";\n'
                       "export function S({ stack }: StackContext) {\n"
                       '  new Api(stack, "A", { routes: { ...ROUTES, "GET /more": MORE } });\n}\n',
    })
    assert handlers(f, tmp_path) == [("src/get.main", "stacks/lib/routes.ts", 0), ("src/more.main", "stacks/lib/more.ts", 0)]
    assert [r.path.name for r in f.routes] == ["routes.ts", "S.ts"], "route keys stay where they are written"
    assert set(deps) >= {tmp_path / "stacks/lib/index.ts", tmp_path / "stacks/lib/routes.ts"}


def test_import_cycles_end(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/a.ts": 'import { B } from "./b";\nexport const A = B;\nexport * from "./b";\n',
        "stacks/b.ts": 'import { A } from "./a";\nexport const B = A;\nexport * from "./a";\n',
        "stacks/S.ts": f'{V2}import {{ A, NOWHERE }} from "./a";\n'
                       "export function S({ stack }: StackContext) {\n"
                       '  new Function(stack, "F", { handler: A });\n  new Function(stack, "G", { handler: NOWHERE });\n}\n',
    })
    assert f.handlers == () and f.unresolved == 2


def test_reexport_chains_are_bounded(tmp_path: Path) -> None:
    n = MAX_MODULE_DEPTH + 4
    files = {f"stacks/m{i}.ts": f'export * from "./m{i + 1}";\n' for i in range(n)}
    files[f"stacks/m{n}.ts"] = 'export const H = "src/deep.main";\n'
    files["stacks/S.ts"] = (f'{V2}import {{ H }} from "./m0";\nexport function S({{ stack }}: StackContext) {{\n'
                            '  new Function(stack, "F", { handler: H });\n}\n')
    f, _deps = program_facts(tmp_path, files)
    assert f.handlers == () and f.unresolved == 1, "past the depth limit: unresolved, not an error"


def test_recursive_helpers_end(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/S.ts": f"{V2}function add(stack, api, n) {{\n  add(stack, api, n);\n"
                       '  api.addRoutes(stack, { "GET /r": "src/r.main" });\n}\n'
                       "export function S({ stack }: StackContext) {\n"
                       '  const api = new Api(stack, "A");\n  add(stack, api, 1);\n}\n',
    })
    assert [h for h, _p, _l in handlers(f, tmp_path)] == ["src/r.main"]


def test_a_helper_called_twice_is_run_per_call(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/h.ts": 'import { Api, Stack } from "sst/constructs";\n'
                       "export function crud(stack: Stack, api: Api, name: string) {\n"
                       "  api.addRoutes(stack, { [`GET /${name}`]: `src/${name}.main` });\n}\n",
        "stacks/S.ts": f'{V2}import {{ crud }} from "./h";\nexport function S({{ stack }}: StackContext) {{\n'
                       '  const api = new Api(stack, "A");\n  crud(stack, api, "notes");\n  crud(stack, api, "todos");\n}\n',
    })
    assert [h for h, _p, _l in handlers(f, tmp_path)] == ["src/notes.main", "src/todos.main"]
    assert [(r.key, r.path.name) for r in f.routes] == [("GET /notes", "h.ts"), ("GET /todos", "h.ts")]
    assert [(p.name, r.start.line) for p, r in f.interpreted] == [("h.ts", 1)]


def test_loops_over_values_known_only_at_run_time_stay_unresolved(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/S.ts": f"{V2}export function S({{ stack }}: StackContext) {{\n"
                       '  const api = new Api(stack, "A");\n'
                       "  for (const r of getRoutes()) api.addRoutes(stack, { [r]: \"src/x.main\" });\n"
                       '  for (const [r, h] of [["GET /a", "src/a.main"]]) api.addRoutes(stack, { [r]: h });\n'
                       '  Object.keys({ b: 1 }).forEach((k) => api.addRoutes(stack, { [`GET /${k}`]: `src/${k}.main` }));\n'
                       "}\n",
    })
    assert [h for h, _p, _l in handlers(f, tmp_path)] == ["src/a.main", "src/b.main"]
    assert f.unresolved == 1


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        pytest.param('import * as routes from "./routes";', "routes.add(stack, api);", id="import-namespace"),
        pytest.param('const routes = require("./routes");', "routes.add(stack, api);", id="require-namespace"),
        pytest.param("", 'const routes = await import("./routes");\n  routes.add(stack, api);', id="dynamic-namespace"),
        pytest.param("", 'const { add } = await import("./routes");\n  add(stack, api);', id="dynamic-destructured"),
        pytest.param("", 'const { add: addAll } = await import("./routes");\n  addAll(stack, api);',
                     id="dynamic-renamed"),
    ],
)
def test_helper_calls_through_a_namespace_run_like_named_calls(tmp_path: Path, imports: str, call: str) -> None:
    # Untyped parameters: only the call binds `api`, so the handler is found only by running it.
    f, _deps = program_facts(tmp_path, {
        "stacks/routes.ts": 'export function add(stack, api) {\n'
                            '  api.addRoutes(stack, { "GET /notes": "src/notes.main" });\n}\n',
        "stacks/S.ts": f"{V2}{imports}\nexport async function S({{ stack }}: StackContext) {{\n"
                       f'  const api = new Api(stack, "A");\n  {call}\n}}\n',
    })
    assert handlers(f, tmp_path) == [("src/notes.main", "stacks/routes.ts", 1)]
    assert [(h.stack, h.construct_id) for h in f.handlers] == [("S", "A")]


def test_a_dynamic_import_of_a_computed_path_is_no_namespace(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/routes.ts": 'export function add(stack, api) {\n'
                            '  api.addRoutes(stack, { "GET /notes": "src/notes.main" });\n}\n',
        "stacks/S.ts": f"{V2}export async function S({{ stack }}: StackContext) {{\n"
                       '  const api = new Api(stack, "A");\n  const routes = await import(process.env.ROUTES);\n'
                       "  routes.add(stack, api);\n}\n",
    })
    assert f.handlers == ()


def test_a_key_both_branches_of_a_conditional_spread_set_holds_either_handler(tmp_path: Path) -> None:
    f, _deps = program_facts(tmp_path, {
        "stacks/S.ts": f"{V2}export function S({{ stack, app }}: StackContext) {{\n"
                       '  new Function(stack, "F", {\n'
                       '    ...(app.stage === "prod" ? { handler: "src/prod.main" } : { handler: "src/dev.main" }),\n'
                       '    timeout: 10,\n  });\n'
                       '  new Api(stack, "A", { routes: {\n'
                       '    ...(app.local ? { "GET /y": "src/local.main" } : {}),\n  } });\n}\n',
    })
    assert sorted((h.construct_id, h.handler) for h in f.handlers) == [
        ("A", "src/local.main"), ("F", "src/dev.main"), ("F", "src/prod.main")]
