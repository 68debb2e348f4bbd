"""Edits in helper modules (issue 10 item 4): the index re-extracts the files that read the
edited module, and only those, and after any series of random edits its model and findings
equal a fresh `check` of the same texts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sst_lsp.analyzers import run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.model.files import FileSource
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import AppSnapshot
from tests.model.test_incremental_extract import INSERTS

CONFIG = """import { Api } from "./stacks/Api";
import { Jobs } from "./stacks/Jobs";
import { Storage } from "./stacks/Storage";
export default {
  config() { return { name: "edits" }; },
  stacks(app) { app.stack(Storage).stack(Api).stack(Jobs); },
};
"""

STORAGE = """import { Queue, StackContext, Table } from "sst/constructs";
export function Storage({ stack }: StackContext) {
  const table = new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  const queue = new Queue(stack, "Work");
  return { table, queue };
}
"""

API = """import { Api as SstApi, StackContext, use } from "sst/constructs";
import { ROUTES, SRC } from "./shared/routes";
import { addAdmin, crud, makeFn } from "./shared/helpers";
import { Storage } from "./Storage";
export function Api({ stack, app }: StackContext) {
  const { table } = use(Storage);
  const api = new SstApi(stack, "Api", { routes: { ...ROUTES, ...crud("notes"), "GET /x": `${SRC}/x.handler` } });
  addAdmin(stack, api);
  table.addConsumers(stack, { c: `${SRC}/consume.handler` });
  for (const [r, h] of [["GET /a", `${SRC}/a.handler`], ["GET /b", "src/b.handler"]]) {
    api.addRoutes(stack, { [r]: h });
  }
  makeFn(stack, "Worker", "src/worker.handler");
}
"""

JOBS = """import { Cron, StackContext } from "sst/constructs";
import { jobProps } from "./shared/helpers";
export function Jobs({ stack }: StackContext) {
  new Cron(stack, "Nightly", { schedule: "rate(1 day)", job: jobProps("nightly") });
}
"""

ROUTES = """export const SRC = "src";
export const ROUTES = {
  "GET /notes": `${SRC}/list.handler`,
  "GET /broken": "src/broken.handler",
};
"""

HELPERS = """import { Api, Function, Stack } from "sst/constructs";
import { SRC } from "./routes";
export function addAdmin(stack: Stack, api: Api) {
  api.addRoutes(stack, { "GET /admin": `${SRC}/admin.handler`, "POST /admin": "src/missing.handler" });
}
export function crud(name: string) {
  return { [`GET /${name}`]: `${SRC}/${name}/list.handler`, [`POST /${name}`]: `src/${name}/create.handler` };
}
export function jobProps(name: string) {
  return { handler: `${SRC}/jobs/${name}.handler` };
}
export function makeFn(stack: Stack, id: string, handler: string) {
  return new Function(stack, id, { handler });
}
"""

FILES = {
    "sst.config.ts": CONFIG,
    "stacks/Storage.ts": STORAGE,
    "stacks/Api.ts": API,
    "stacks/Jobs.ts": JOBS,
    "stacks/shared/routes.ts": ROUTES,
    "stacks/shared/helpers.ts": HELPERS,
    "src/list.ts": "export const handler = 1;\n",
    "src/x.ts": "export const handler = 1;\n",
    "src/admin.ts": "export const handler = 1;\n",
    "src/notes/list.ts": "export const handler = 1;\n",
    "src/jobs/nightly.ts": "export const handler = 1;\n",
}

#: Inserts that change what helper modules export, return and pass on.
HELPER_INSERTS = [
    *INSERTS,
    'export const SRC = "lib";\n',
    "export function crud(name: string) { return {}; }\n",
    '"GET /new": "src/new.handler",\n',
    "return { handler: SRC };\n",
    "api.addRoutes(stack, { \"GET /added\": \"src/added.handler\" });\n",
    "name",
    "${name}",
]


def _app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def _edit(rng: random.Random, text: str, original: str) -> str:
    r = rng.random()
    if r < 0.06:
        return original
    i = rng.randrange(len(text) + 1)
    if r < 0.35 and text:
        return text[:i] + text[min(len(text), i + rng.choice([1, 1, 2, 5, 20])):]
    if r < 0.45:
        for name in ("SRC", "crud", "name", "handler", "addAdmin", "ROUTES"):
            k = text.find(name, i)
            if k != -1:
                return text[:k] + name + "2" + text[k + len(name):]
    if r < 0.6:
        i = text.rfind("\n", 0, i) + 1
    return text[:i] + rng.choice(HELPER_INSERTS) + text[i:]


def _model(index: WorkspaceIndex) -> tuple[object, ...]:
    snap: AppSnapshot = index.snapshot()
    findings = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))
    app = snap.apps[0]
    return (
        sorted((str(h.path), str(h.range), h.handler, h.stack or "", h.construct_id or "", h.route or "")
               for h in app.handlers),
        sorted((str(c.path), str(c.range), c.kind, c.id, c.stack or "") for c in app.constructs),
        sorted((str(r.path), str(r.range), r.key, r.stack or "") for r in app.routes),
        sorted((str(f.path), str(f.range), f.code, f.message) for f in findings),
        app.unresolved,
    )


def _fresh(root: Path, texts: dict[Path, str]) -> WorkspaceIndex:
    fs = FileSource()
    for p, t in texts.items():
        fs.set_overlay(p, t)
    return WorkspaceIndex([root], fs=fs)


def _fresh_after(root: Path, good: dict[Path, str], texts: dict[Path, str]) -> WorkspaceIndex:
    """A fresh index that saw `good` (each file's last text that parsed) before `texts`."""
    index = _fresh(root, good)
    index.snapshot()
    for p, t in texts.items():
        index.set_text(p, t)
    return index


@pytest.mark.parametrize("stacks_too", [False, True], ids=["helpers", "helpers-and-stacks"])
@pytest.mark.parametrize("seed", range(4))
def test_random_helper_edits_match_a_fresh_check(tmp_path: Path, seed: int, stacks_too: bool) -> None:
    """Random edits of helper modules (and, with `stacks_too`, of the stack files that call them,
    unparsable ones included): the model and findings equal a fresh index's."""
    root = _app(tmp_path)
    index = WorkspaceIndex([root])
    index.snapshot()
    rng = random.Random(seed)
    edited = {root / "stacks/shared/helpers.ts": HELPERS, root / "stacks/shared/routes.ts": ROUTES}
    if stacks_too:
        edited.update({root / "stacks/Api.ts": API, root / "stacks/Jobs.ts": JOBS})
    originals = dict(edited)
    changed = 0
    good = dict(edited)
    first = _model(index)
    for step in range(60):
        path = rng.choice(sorted(edited))
        edited[path] = _edit(rng, edited[path], originals[path])
        index.set_text(path, edited[path])
        got = _model(index)
        # A file with syntax errors keeps its last good facts for the lines the edit left alone
        # (model/recover.py): the fresh index is shown each file's last version that parsed
        # first, as the editor saw it, then the current texts.
        f = index.facts(path)
        if f is not None and not f.syntax_errors:
            good[path] = edited[path]
        assert got == _model(_fresh_after(root, good, edited)), f"step {step}: {path.name}:\n{edited[path]}"
        changed += got != first
    assert changed > 0, "no edit changed the model: the property would hold trivially"


def test_editing_a_helper_reextracts_its_users_only(tmp_path: Path) -> None:
    root = _app(tmp_path)
    index = WorkspaceIndex([root])
    index.snapshot()
    helpers = root / "stacks/shared/helpers.ts"
    api, jobs, storage = root / "stacks/Api.ts", root / "stacks/Jobs.ts", root / "stacks/Storage.ts"
    assert index.dependents(helpers) == [api, jobs]
    # Jobs.ts reads routes.ts through helpers.ts (`SRC`), and helpers.ts reads it itself.
    assert index.dependents(root / "stacks/shared/routes.ts") == [api, jobs, helpers]
    assert index.dependents(storage) == [api]  # `use(Storage)`.
    before = {p: index.facts(p) for p in (api, jobs, storage)}
    storage_memo = index._memos[storage]
    assert (storage_memo.hits, storage_memo.misses) == (0, 2)  # Its first extraction.
    index.set_text(helpers, HELPERS.replace("src/missing.handler", "src/admin.handler"))
    snap = index.snapshot()
    after = {p: index.facts(p) for p in (api, jobs, storage)}
    assert after[storage] is before[storage]
    assert (storage_memo.hits, storage_memo.misses) == (0, 2), "a stack that does not use the helper is not extracted again"
    assert after[api] != before[api], "the stack whose route the edit fixed has new facts"
    assert after[jobs] is before[jobs], "re-extracted, equal facts: the same object (apps stay valid)"
    admin = [h for h in snap.apps[0].handlers if h.route == "POST /admin"]
    assert [h.handler for h in admin] == ["src/admin.handler"] and admin[0].path == helpers


def test_a_diagnostic_in_a_helper_follows_its_edits(tmp_path: Path) -> None:
    root = _app(tmp_path)
    index = WorkspaceIndex([root])
    helpers = root / "stacks/shared/helpers.ts"

    def in_helpers() -> list[tuple[int, str]]:
        snap = index.snapshot()
        found = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))
        return sorted((f.range.start.line, f.code) for f in found if f.path == helpers)

    assert (3, "handler-not-found") in in_helpers()
    index.set_text(helpers, HELPERS.replace("src/missing.handler", "src/admin.handler"))
    assert (3, "handler-not-found") not in in_helpers()
    index.set_text(helpers, "\n" + HELPERS)
    assert (4, "handler-not-found") in in_helpers(), "the diagnostic moves with the literal"


def test_a_module_created_later_is_followed(tmp_path: Path) -> None:
    """An import that resolved to nothing is looked up again when a file appears on disk."""
    root = _app(tmp_path)
    api = root / "stacks/Api.ts"
    index = WorkspaceIndex([root])
    index.set_text(api, API.replace('import { ROUTES, SRC } from "./shared/routes";',
                                    'import { ROUTES, SRC } from "./shared/later";'))
    assert not [h for h in index.snapshot().apps[0].handlers if h.route == "GET /broken"]
    later = root / "stacks/shared/later.ts"
    later.write_text(ROUTES, encoding="utf-8")
    index.file_changed(later)
    got = [h for h in index.snapshot().apps[0].handlers if h.route == "GET /broken"]
    assert [(h.handler, h.path) for h in got] == [("src/broken.handler", later)]


# ----------------------------------------------------------------------------------------------
# Constructs that read another module's constants are remembered across extractions while the
# constants they read evaluate to equal values (`Lookup.imported`).

SHARED = """import { Api, Stack } from "sst/constructs";
export const SRC = "src";
export const SHARED_ROUTES = {
  "GET /shared": "src/shared.handler",
};
export function addCommon(stack: Stack, api: Api, prefix: string) {
  api.addRoutes(stack, { [`GET /${prefix}/c`]: "src/common.handler" });
}
"""


def _shared_app(tmp_path: Path, stacks: int) -> tuple[Path, Path, list[Path]]:
    root = tmp_path / "app"
    names = [f"S{i}" for i in range(stacks)]
    files = {
        "sst.config.ts": "".join(f'import {{ {n} }} from "./stacks/{n}";\n' for n in names)
        + 'export default {\n  config() { return { name: "shared" }; },\n  stacks(app) {\n'
        + "".join(f"    app.stack({n});\n" for n in names) + "  },\n};\n",
        "stacks/shared.ts": SHARED,
        "src/shared.ts": "export const handler = 1;\n",
        "src/common.ts": "export const handler = 1;\n",
        "src/own.ts": "export const handler = 1;\n",
    }
    for i, n in enumerate(names):
        files[f"stacks/{n}.ts"] = (
            'import { Api, StackContext } from "sst/constructs";\n'
            'import { SHARED_ROUTES, SRC, addCommon } from "./shared";\n'
            f"export function {n}({{ stack }}: StackContext) {{\n"
            f'  const api = new Api(stack, "Api{i}", {{ routes: {{ ...SHARED_ROUTES, "GET /{n}": `${{SRC}}/own.handler` }} }});\n'
            f'  addCommon(stack, api, "{n.lower()}");\n'
            "}\n"
        )
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root, root / "stacks/shared.ts", [root / f"stacks/{n}.ts" for n in names]


def test_an_edit_of_a_constant_reaches_every_stack_that_reads_it(tmp_path: Path) -> None:
    root, shared, stacks = _shared_app(tmp_path, 12)
    index = WorkspaceIndex([root])
    index.snapshot()
    # An edit of the helper function only: the `new Api` of every stack is reused as it was.
    text = SHARED.replace("src/common.handler", "src/common2.handler")
    index.set_text(shared, text)
    snap = index.snapshot()
    assert [(index._memos[p].hits, index._memos[p].misses) for p in stacks] == [(1, 0)] * len(stacks)
    assert _model(index) == _model(_fresh(root, {shared: text}))
    for p in stacks:
        got = index.facts(p)
        assert got is not None
        assert [h.handler for h in got.handlers if h.route == f"GET /{p.stem.lower()}/c"] == ["src/common2.handler"]
    assert {h.handler for h in snap.apps[0].handlers if h.route == "GET /s0/c"} == {"src/common2.handler"}
    # An edit of the constant the constructs read: none is reused, every stack sees the new value.
    for handler in ("src/gone.handler", "src/shared.handler", "src/gone.handler"):
        text = text.replace('"GET /shared": "src/shared.handler"', f'"GET /shared": "{handler}"').replace(
            '"GET /shared": "src/gone.handler"', f'"GET /shared": "{handler}"')
        index.set_text(shared, text)
        snap = index.snapshot()
        assert [index._memos[p].hits for p in stacks] == [0] * len(stacks)
        for p in stacks:
            got = index.facts(p)
            assert got is not None
            assert [h.handler for h in got.handlers if h.route == "GET /shared"] == [handler], p.name
        assert _model(index) == _model(_fresh(root, {shared: text}))
    found = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))
    assert [f.code for f in found if f.path == shared and f.range.start.line == 3] == ["handler-not-found"]
    # `SRC` moves (a line above it): the values' ranges move, so the products are not reused.
    text = "\n" + text
    index.set_text(shared, text)
    index.snapshot()
    assert [index._memos[p].hits for p in stacks] == [0] * len(stacks)
    assert _model(index) == _model(_fresh(root, {shared: text}))


def test_a_constant_toggled_back_keeps_the_products_for_its_value(tmp_path: Path) -> None:
    """A constant every stack reads is edited and put back (an undo: the earlier facts hold
    again, nothing is extracted); then the helper function is edited: every stack's `new Api`
    is the product remembered for the constant's value as it is again (not the latest one,
    made for the edit undone), and the model equals a fresh check."""
    root, shared, stacks = _shared_app(tmp_path, 4)
    index = WorkspaceIndex([root])
    index.snapshot()
    for handler in ("src/a.handler", "src/shared.handler"):
        index.set_text(shared, SHARED.replace('"src/shared.handler"', f'"{handler}"'))
        index.snapshot()
    text = SHARED.replace("src/common.handler", "src/common2.handler")
    index.set_text(shared, text)
    index.snapshot()
    assert [(index._memos[p].hits, index._memos[p].misses) for p in stacks] == [(1, 0)] * len(stacks)
    assert _model(index) == _model(_fresh(root, {shared: text}))
    # Other values, then one seen before but neither the first nor among the latest products:
    # evaluated afresh, and right.
    for handler in ("src/b.handler", "src/c.handler", "src/d.handler"):
        index.set_text(shared, text.replace('"src/shared.handler"', f'"{handler}"'))
        index.snapshot()
    text = text.replace('"src/shared.handler"', '"src/a.handler"')
    index.set_text(shared, text)
    index.snapshot()
    assert _model(index) == _model(_fresh(root, {shared: text}))
    for p in stacks:
        got = index.facts(p)
        assert got is not None
        assert [h.handler for h in got.handlers if h.route == "GET /shared"] == ["src/a.handler"]


def test_the_scope_tables_of_an_unchanged_parse_outlive_a_revision(tmp_path: Path) -> None:
    """An edit of the helper re-extracts the stacks with the scope tables of their parses (kept
    by the index across revisions); an edit of a stack gives it new tables, which see the edit."""
    root, shared, stacks = _shared_app(tmp_path, 2)
    index = WorkspaceIndex([root])
    index.snapshot()
    before = {p: index._syntax[p] for p in stacks}
    text = SHARED.replace("src/common.handler", "src/common2.handler")
    index.set_text(shared, text)
    index.snapshot()
    assert all(index._syntax[p] is before[p] for p in stacks)
    assert _model(index) == _model(_fresh(root, {shared: text}))
    stack_text = stacks[0].read_text(encoding="utf-8").replace(
        "}: StackContext) {\n", '}: StackContext) {\n  const SRC = "src/other";\n')
    index.set_text(stacks[0], stack_text)
    index.snapshot()
    assert index._syntax[stacks[0]][0] != before[stacks[0]][0]
    assert index._syntax[stacks[1]] is before[stacks[1]]
    assert _model(index) == _model(_fresh(root, {shared: text, stacks[0]: stack_text}))
    got = index.facts(stacks[0])
    assert got is not None
    assert [h.handler for h in got.handlers if h.route == "GET /S0"] == ["src/other/own.handler"]
    index.drop_parses()
    assert index._syntax == {}


def test_a_constant_computed_by_an_imported_function_is_not_reused_stale(tmp_path: Path) -> None:
    """Two constructs read one same-file constant whose value a call into a helper module
    computes: an edit of the helper's body reaches both (a call's result is never remembered)."""
    root, _shared, _stacks = _shared_app(tmp_path, 1)
    helper = 'export function routes() {\n  return { "GET /r": "src/a.handler" };\n}\n'
    stack = ('import { Api, StackContext } from "sst/constructs";\nimport { routes } from "./routes";\n'
             "export function S0({ stack }: StackContext) {\n  const R = routes();\n"
             '  new Api(stack, "A", { routes: R });\n  new Api(stack, "B", { routes: R });\n}\n')
    (root / "stacks/routes.ts").write_text(helper, encoding="utf-8")
    s0 = root / "stacks/S0.ts"
    s0.write_text(stack, encoding="utf-8")
    index = WorkspaceIndex([root])
    index.snapshot()
    for name in ("b", "c", "a"):
        text = helper.replace("src/a.handler", f"src/{name}.handler")
        index.set_text(root / "stacks/routes.ts", text)
        got = index.facts(s0)
        assert got is not None
        assert sorted((h.construct_id or "", h.handler) for h in got.handlers if h.route == "GET /r") == [
            ("A", f"src/{name}.handler"), ("B", f"src/{name}.handler")]
        assert _model(index) == _model(_fresh(root, {root / "stacks/routes.ts": text}))


def test_a_broken_stack_file_keeps_what_its_helpers_say_now(tmp_path: Path) -> None:
    """A stack file left with a syntax error keeps its last good facts for the lines the edit
    left alone; those that a call reached in a helper follow the helper's edits (the good text
    is extracted again), and the helper's lines are never moved by the stack file's edit."""
    root = _app(tmp_path)
    api, helpers = root / "stacks/Api.ts", root / "stacks/shared/helpers.ts"
    index = WorkspaceIndex([root])
    index.snapshot()
    broken = API.replace("  makeFn(", "\n\n  makeFn((")  # Two lines more, and an unclosed call.
    index.set_text(api, broken)
    f = index.facts(api)
    assert f is not None and f.syntax_errors

    def admin() -> list[tuple[str, int]]:
        return sorted((h.handler, h.range.start.line) for h in index.snapshot().apps[0].handlers
                      if h.path == helpers and (h.route or "").endswith("/admin"))

    assert admin() == [("src/admin.handler", 3), ("src/missing.handler", 3)]
    fixed = HELPERS.replace("src/missing.handler", "src/admin.handler")
    index.set_text(helpers, fixed)
    assert admin() == [("src/admin.handler", 3), ("src/admin.handler", 3)]
    assert _model(index) == _model(_fresh_after(root, {api: API, helpers: fixed}, {api: broken, helpers: fixed}))


def test_two_broken_texts_with_equal_facts_keep_their_own_lines(tmp_path: Path) -> None:
    root = _app(tmp_path)
    jobs = root / "stacks/Jobs.ts"
    index = WorkspaceIndex([root])
    index.snapshot()
    # Both texts break the file the same way (equal facts: no construct, the same syntax
    # errors); the first leaves the Cron's line alone (it is kept), the second edits that line
    # too (the kept Cron must go).
    first = JOBS.replace("import {", "im/*port {", 1).replace("export function", ",export function")
    second = first.replace('"Nightly"', '"N${x}ightly"')
    crons: list[list[str]] = []
    for text in (first, second):
        index.set_text(jobs, text)
        crons.append([c.id for c in index.snapshot().apps[0].constructs if c.kind == "Cron"])
        assert _model(index) == _model(_fresh_after(root, {jobs: JOBS}, {jobs: text}))
    assert crons == [["Nightly"], []]


# ----------------------------------------------------------------------------------------------
# Calls of another module's function are remembered across extractions (`expand.run_call`):
# keyed on the callee's text, the call's arguments and what the body reads of the constructs
# they bind.

CONSTS = 'export const RUNTIME = "nodejs18.x";\nexport const SHARED = { "GET /s": "src/s.handler" };\n'
ADD = ('import { Api, Stack } from "sst/constructs";\n'
       'export function addCommon(stack: Stack, api: Api, prefix: string) {\n'
       '  api.addRoutes(stack, { [`GET /${prefix}/c`]: "src/common.handler" });\n}\n')
CALLER = ('import { Api, StackContext } from "sst/constructs";\nimport { RUNTIME, SHARED } from "./consts";\n'
          'import { addCommon } from "./add";\nexport function S0({ stack }: StackContext) {\n'
          '  const api = new Api(stack, "A", { defaults: { function: { runtime: RUNTIME } }, routes: { ...SHARED } });\n'
          '  addCommon(stack, api, "x");\n}\n')


def test_a_helper_call_is_reused_while_what_it_reads_holds(tmp_path: Path) -> None:
    root, _shared, _stacks = _shared_app(tmp_path, 1)
    consts, s0 = root / "stacks/consts.ts", root / "stacks/S0.ts"
    consts.write_text(CONSTS, encoding="utf-8")
    (root / "stacks/add.ts").write_text(ADD, encoding="utf-8")
    s0.write_text(CALLER, encoding="utf-8")
    index = WorkspaceIndex([root])
    index.snapshot()
    memo = index._memos[s0]

    def common() -> list[tuple[str, str | None]]:
        return [(h.handler, h.runtime) for h in index.snapshot().apps[0].handlers if h.route == "GET /x/c"]

    assert common() == [("src/common.handler", "nodejs18.x")]
    # A route of the construct changes, not what the helper's body reads of it: the call's
    # product is reused (the construct is evaluated again).
    text = CONSTS.replace("src/s.handler", "src/t.handler")
    index.set_text(consts, text)
    assert common() == [("src/common.handler", "nodejs18.x")]
    assert (memo.call_hits, memo.hits) == (1, 0)
    assert _model(index) == _model(_fresh(root, {consts: text}))
    # The construct's function defaults change: the handlers the helper adds have the new
    # runtime (the call runs again).
    text = text.replace("nodejs18.x", "python3.11")
    index.set_text(consts, text)
    assert common() == [("src/common.handler", "python3.11")]
    assert memo.call_hits == 0
    assert _model(index) == _model(_fresh(root, {consts: text}))
    # The helper's body changes: it runs again. An edit back finds the stack's earlier facts
    # (the texts it read are those of one extraction ago): no extraction at all.
    before = index.facts(s0)
    add2 = ADD.replace("src/common.handler", "src/other.handler")
    index.set_text(root / "stacks/add.ts", add2)
    assert common() == [("src/other.handler", "python3.11")]
    assert memo.call_hits == 0
    assert _model(index) == _model(_fresh(root, {consts: text, root / "stacks/add.ts": add2}))
    index.set_text(root / "stacks/add.ts", ADD)
    assert common() == [("src/common.handler", "python3.11")]
    assert index.facts(s0) is before
    assert _model(index) == _model(_fresh(root, {consts: text, root / "stacks/add.ts": ADD}))
    # And a third text is extracted (its call runs again: its product is not the earlier one).
    index.set_text(root / "stacks/add.ts", ADD.replace("src/common.handler", "src/third.handler"))
    assert common() == [("src/third.handler", "python3.11")]


def test_a_helper_call_that_reads_more_than_its_arguments_is_not_reused(tmp_path: Path) -> None:
    """The body reads a constant of its own module with its parameters bound, and names a class
    its module imports: an edit of either reaches the caller."""
    root, _shared, _stacks = _shared_app(tmp_path, 1)
    add, s0 = root / "stacks/add.ts", root / "stacks/S0.ts"
    helper = ('import { Api, Function, Stack } from "sst/constructs";\nconst H = "src/common.handler";\n'
              "export function addCommon(stack: Stack, api: Api, prefix: string) {\n"
              "  api.addRoutes(stack, { [`GET /${prefix}/c`]: H });\n"
              '  new Function(stack, `${prefix}Fn`, { handler: "src/fn.handler" });\n}\n')
    (root / "stacks/consts.ts").write_text(CONSTS, encoding="utf-8")
    add.write_text(helper, encoding="utf-8")
    s0.write_text(CALLER, encoding="utf-8")
    index = WorkspaceIndex([root])
    index.snapshot()
    for text in (helper.replace('const H = "src/common.handler"', 'const H = "src/moved.handler"'),
                 helper.replace('"sst/constructs"', '"./not-sst"')):
        index.set_text(add, text)
        assert _model(index) == _model(_fresh(root, {add: text}))
    handlers = {h.handler for h in index.snapshot().apps[0].handlers}
    assert "src/fn.handler" not in handlers, "a Function of another package is no SST Function"


# ----------------------------------------------------------------------------------------------
# The same property on an app whose stack calls its helpers through a namespace import and a
# literal dynamic import inside a helper (issue 10 item 2).

NS_STACK = """import { Api, StackContext } from "sst/constructs";
import * as routes from "../lib/routes";
export async function Ns({ stack }: StackContext) {
  const api = new Api(stack, "Api", { routes: { ...routes.BASE } });
  routes.add(stack, api, "notes");
  await routes.lazy(stack, api);
}
"""
NS_ROUTES = """import { SRC } from "./paths";
export const BASE = { "GET /": `${SRC}/list.handler` };
export function add(stack, api, name) {
  api.addRoutes(stack, { [`GET /${name}`]: `${SRC}/${name}.handler`, "POST /x": "src/x.handler" });
}
export async function lazy(stack, api) {
  const more = await import("./more");
  more.extra(stack, api);
}
"""
NS_MORE = """export function extra(stack, api) {
  api.addRoutes(stack, { "GET /more": "src/more.handler", "GET /gone": "src/gone.handler" });
}
"""
NS_FILES = {
    "sst.config.ts": 'import { Ns } from "./stacks/Ns";\nexport default {\n  config() { return { name: "ns" }; },\n'
                     "  stacks(app) { app.stack(Ns); },\n};\n",
    "stacks/Ns.ts": NS_STACK,
    "lib/routes.ts": NS_ROUTES,
    "lib/more.ts": NS_MORE,
    "lib/paths.ts": 'export const SRC = "src";\n',
    "src/list.ts": "export const handler = 1;\n",
    "src/notes.ts": "export const handler = 1;\n",
    "src/more.ts": "export const handler = 1;\n",
}


@pytest.mark.parametrize("seed", range(3))
def test_random_edits_with_namespace_and_dynamic_imports_match_a_fresh_check(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "app"
    for rel, text in NS_FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    index = WorkspaceIndex([root])
    first = _model(index)
    assert {h.handler for h in index.snapshot().apps[0].handlers} >= {"src/notes.handler", "src/more.handler"}
    rng = random.Random(seed)
    edited = {root / rel: NS_FILES[rel] for rel in ("stacks/Ns.ts", "lib/routes.ts", "lib/more.ts", "lib/paths.ts")}
    originals, good = dict(edited), dict(edited)
    changed = 0
    for step in range(50):
        path = rng.choice(sorted(edited))
        edited[path] = _edit(rng, edited[path], originals[path])
        index.set_text(path, edited[path])
        got = _model(index)
        f = index.facts(path)
        if f is not None and not f.syntax_errors:
            good[path] = edited[path]
        assert got == _model(_fresh_after(root, good, edited)), f"step {step}: {path.name}:\n{edited[path]}"
        changed += got != first
    assert changed > 0
