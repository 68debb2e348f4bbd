"""Resource links and environment variables checked in handler code (analyzers/links.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sst_lsp.analyzers import all_codes, run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.links import CODES, env_always_set
from sst_lsp.ide.code_actions import code_actions
from sst_lsp.model.handler_code import code_facts
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import Finding
from sst_lsp.syntax.text import LineIndex
from tests.conftest import FIXTURE_APPS, check_fixture_app

LINK_CODES = ("resource-not-linked", "environment-variable-missing")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    return root


def link_findings(root: Path) -> list[Finding]:
    index = WorkspaceIndex([root.resolve()])
    return [f for f in run_all(AnalysisContext(index.snapshot(), index.resolver)) if f.code in LINK_CODES]


CONFIG = """import { SSTConfig } from "sst";
import { Storage } from "./stacks/Storage";
import { Api } from "./stacks/Api";
export default {
  config() { return { name: "t", region: "us-east-1" }; },
  stacks(app) {
    app.stack(Storage).stack(Api);
  },
} satisfies SSTConfig;
"""

STORAGE = """import { StackContext, Table } from "sst/constructs";
export function Storage({ stack }: StackContext) {
  const table = new Table(stack, "my-notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  return { table };
}
"""


def v2(root: Path, api_body: str, handler: str) -> Path:
    return write(root, {
        "sst.config.ts": CONFIG,
        "stacks/Storage.ts": STORAGE,
        "stacks/Api.ts": (
            'import { Api as A, Cron, Function, StackContext, use } from "sst/constructs";\n'
            'import { Storage } from "./Storage";\n'
            "export function Api({ stack }: StackContext) {\n"
            "  const { table } = use(Storage);\n"
            f"{api_body}\n"
            "}\n"
        ),
        "src/h.ts": handler,
    })


TABLE_HANDLER = 'import { Table } from "sst/node/table";\nexport const main = async () => Table["my-notes"].tableName;\n'


# ----------------------------------------------------------------------------------------------
# Codes and fixture apps.


def test_codes_are_documented_and_registered() -> None:
    assert set(CODES) == set(LINK_CODES)
    assert CODES["resource-not-linked"].severity == "error"
    assert CODES["environment-variable-missing"].severity == "warning"
    for info in CODES.values():
        assert "Rule" in info.doc and "Example" in info.doc and "Fix" in info.doc
    assert set(CODES) <= set(all_codes())


@pytest.mark.parametrize("app", ["v2-bind", "v3-link"])
def test_fixture_app_diagnostics_match_markers(app: str) -> None:
    findings = check_fixture_app(FIXTURE_APPS / app)
    assert {f.code for f in findings} >= set(LINK_CODES)


def test_message_names_the_functions_and_the_construct() -> None:
    findings = [f for f in link_findings(FIXTURE_APPS / "v2-bind") if f.code == "resource-not-linked"]
    table = next(f for f in findings if "Table.Notes" in f.message)
    assert 'Cron "Cleanup" (stacks/Jobs.ts:10)' in table.message
    assert 'Table "Notes" (stacks/Storage.ts:4)' in table.message
    assert "Please make sure it is bound to this function" in table.message
    # The route, the Digest cron and the Archive cron bind the table: only Cleanup is named.
    assert "GET /notes" not in table.message and "Digest" not in table.message
    related = {(r.path.name, r.range.start.line) for r in table.related}
    assert ("Jobs.ts", 9) in related and ("Storage.ts", 3) in related
    # Through a relative import: billing.ts runs in the Payments consumer.
    stripe = next(f for f in findings if "Config.STRIPE_KEY" in f.message)
    assert stripe.path.name == "billing.ts" and 'Queue "Payments"' in stripe.message


def test_v3_message_quotes_sst() -> None:
    (f,) = [f for f in link_findings(FIXTURE_APPS / "v3-link") if f.code == "resource-not-linked"]
    assert '`"Notes" is not linked in your sst.config.ts`' in f.message
    assert 'Cron "Nightly"' in f.message and "Export" not in f.message


def _apply(text: str, edits: list[tuple[object, str]]) -> str:
    for rng, new in sorted(edits, key=lambda e: e[0].start, reverse=True):  # type: ignore[attr-defined]
        idx = LineIndex(text)
        a, b = idx.offset_at(rng.start), idx.offset_at(rng.end)  # type: ignore[attr-defined]
        text = text[:a] + new + text[b:]
    return text


@pytest.mark.parametrize("app", ["v2-bind", "v3-link"])
def test_quick_fixes_applied_leave_the_app_clean(tmp_path: Path, app: str) -> None:
    root = tmp_path / app
    shutil.copytree(FIXTURE_APPS / app, root)
    fixed = 0
    for _ in range(10):
        index = WorkspaceIndex([root.resolve()])
        snap = index.snapshot()
        findings = [f for f in run_all(AnalysisContext(snap, index.resolver)) if f.code == "resource-not-linked"]
        actions = [a for f in findings for a in code_actions(snap, [f], f.path, index.fs)]
        if not actions:
            break
        act = actions[0]
        for p, edits in act.edits.items():
            p.write_text(_apply(p.read_text(encoding="utf-8"), [(e.range, e.new_text) for e in edits]),
                         encoding="utf-8")
        fixed += 1
    left = [f for f in link_findings(root) if f.code == "resource-not-linked"]
    assert fixed >= 1
    # What remains has no fix to offer: the Payments consumer's stack file does not have the
    # secret in scope (v2-bind); everything with a fix was fixed.
    assert all("Payments" in f.message for f in left), [f.message for f in left]
    # The edited stack files are still clean of every other problem.
    assert not [f for f in run_all(AnalysisContext(WorkspaceIndex([root.resolve()]).snapshot(),
                                                   WorkspaceIndex([root.resolve()]).resolver))
                if f.severity == "error" and f.code != "resource-not-linked"
                and "packages/functions/src/bye" not in str(f.path)]


def test_v2_fix_rewrites_a_bare_route_string(tmp_path: Path) -> None:
    root = v2(tmp_path, '  new A(stack, "Api", { routes: { "GET /": "src/h.main" } });', TABLE_HANDLER)
    index = WorkspaceIndex([root.resolve()])
    snap = index.snapshot()
    (f,) = [f for f in run_all(AnalysisContext(snap, index.resolver)) if f.code == "resource-not-linked"]
    (act,) = code_actions(snap, [f], f.path, index.fs)
    assert act.title == 'Add table to the bind of route "GET /"'
    ((p, edits),) = act.edits.items()
    out = _apply(p.read_text(), [(e.range, e.new_text) for e in edits])
    assert '"GET /": { function: { handler: "src/h.main", bind: [table] } }' in out
    p.write_text(out)
    assert link_findings(root) == []


def test_v2_fix_appends_to_an_existing_bind(tmp_path: Path) -> None:
    root = v2(tmp_path, (
        '  const other = new Function(stack, "Other", { handler: "src/other.main" });\n'
        '  new Function(stack, "Fn", { handler: "src/h.main", bind: [other] });'
    ), TABLE_HANDLER)
    write(root, {"src/other.ts": "export const main = async () => 1;\n"})
    index = WorkspaceIndex([root.resolve()])
    snap = index.snapshot()
    (f,) = [f for f in run_all(AnalysisContext(snap, index.resolver)) if f.code == "resource-not-linked"]
    (act,) = code_actions(snap, [f], f.path, index.fs)
    ((p, edits),) = act.edits.items()
    out = _apply(p.read_text(), [(e.range, e.new_text) for e in edits])
    assert 'bind: [other, table]' in out
    p.write_text(out)
    assert link_findings(root) == []


# ----------------------------------------------------------------------------------------------
# What counts as bound (nothing reported where it is not known).


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main" });', True, id="unbound"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", bind: [table] });', False, id="own-bind"),
        pytest.param('  stack.addDefaultFunctionBinding([table]);\n  new Function(stack, "Fn", { handler: "src/h.main" });',
                     False, id="stack-default-binding"),
        pytest.param('  stack.setDefaultFunctionProps({ bind: [table] });\n  new Function(stack, "Fn", { handler: "src/h.main" });',
                     False, id="stack-default-props"),
        pytest.param('  new A(stack, "Api", { defaults: { function: { bind: [table] } }, routes: { "GET /": "src/h.main" } });',
                     False, id="construct-defaults"),
        pytest.param('  const c = new Cron(stack, "C", { schedule: "rate(1 day)", job: "src/h.main" });\n  c.bind([table]);',
                     False, id="construct-bind-call"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", bind: [...helpers()] });', False,
                     id="unknown-item-is-not-reported"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", bind: [secrets.KEY] });', False,
                     id="unknown-name-is-not-reported"),
        pytest.param('  const f = () => 1;\n  f.bind(this);\n  new Function(stack, "Fn", { handler: "src/h.main" });', True,
                     id="js-function-bind-is-not-sst"),
    ],
)
def test_v2_bindings(tmp_path: Path, body: str, reported: bool) -> None:
    root = v2(tmp_path, body, TABLE_HANDLER)
    got = link_findings(root)
    assert [f.code for f in got] == (["resource-not-linked"] if reported else [])
    if reported:
        # `Table["my-notes"]` is the construct "my-notes" (SST normalises both to my_notes).
        assert 'Table "my-notes"' in got[0].message


def test_always_provided_names_are_never_reported(tmp_path: Path) -> None:
    root = v2(tmp_path, '  new Function(stack, "Fn", { handler: "src/h.main" });', (
        'import { Config } from "sst/node/config";\n'
        'import { Table } from "sst/node/table";\n'
        "export const main = async () => [Config.APP, Config.STAGE, Table.Unknown, process.env.AWS_REGION,\n"
        "  process.env.SST_STAGE, process.env.NODE_OPTIONS, process.env.AWS_LAMBDA_FUNCTION_NAME];\n"
    ))
    assert link_findings(root) == []


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main" });', True, id="unset"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", environment: { KEY: "x" } });', False,
                     id="own-environment"),
        pytest.param('  stack.addDefaultFunctionEnv({ KEY: "x" });\n  new Function(stack, "Fn", { handler: "src/h.main" });',
                     False, id="stack-default-env"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", environment: { ...shared } });', False,
                     id="spread-is-not-reported"),
        pytest.param('  const fn = new Function(stack, "Fn", { handler: "src/h.main" });\n  fn.addEnvironment("KEY", "x");',
                     False, id="add-environment"),
    ],
)
def test_environment(tmp_path: Path, body: str, reported: bool) -> None:
    root = v2(tmp_path, body, 'export const main = async () => [process.env.KEY, process.env["KEY"]];\n')
    got = link_findings(root)
    assert [f.code for f in got] == (["environment-variable-missing"] * 2 if reported else [])


def test_v3_transform_and_helpers(tmp_path: Path) -> None:
    def app(transform: str) -> Path:
        root = tmp_path / str(abs(hash(transform)))
        return write(root, {
            "sst.config.ts": (
                "export default $config({\n"
                '  app() { return { name: "t", home: "aws" }; },\n'
                "  async run() {\n"
                '    const bucket = new sst.aws.Bucket("Files");\n'
                f"    {transform}\n"
                '    new sst.aws.Function("Fn", { handler: "src/h.handler" });\n'
                "  },\n"
                "});\n"
            ),
            "src/h.ts": 'import { Resource } from "sst";\nexport const handler = async () => Resource.Files.name;\n',
        })

    assert [f.code for f in link_findings(app(""))] == ["resource-not-linked"]
    assert link_findings(app("$transform(sst.aws.Function, (args) => { args.link = [bucket]; });")) == []
    assert link_findings(app("$transform(sst.aws.Function, (args) => { addLinks(args); });")) == []


def test_code_facts_and_env_names() -> None:
    facts = code_facts(
        'import { Table as T } from "sst/node/table";\nimport { Resource } from "sst";\n'
        'import "./side";\nexport * from "../core/x";\n'
        "const a = T.Notes; const b = Resource.Bucket; const c = process.env.KEY; const d = other.Notes;\n",
        "typescript",
    )
    assert [(u.proxy, u.name, u.generation) for u in facts.resources] == [("Table", "Notes", "v2"),
                                                                          ("Resource", "Bucket", "v3")]
    assert [e.name for e in facts.env_reads] == ["KEY"]
    assert facts.relative_imports == ("./side", "../core/x")
    assert env_always_set("AWS_REGION") and env_always_set("SST_RESOURCE_X") and not env_always_set("STRIPE")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('  const shared = { bind: [table] };\n'
                     '  new A(stack, "Api", { defaults: { function: shared }, routes: { "GET /": "src/h.main" } });',
                     id="defaults-through-a-variable"),
        pytest.param('  const common = { defaults: { function: { bind: [table] } } };\n'
                     '  new A(stack, "Api", { ...common, routes: { "GET /": "src/h.main" } });', id="spread-props"),
        pytest.param('  const extra = { bind: [table] };\n'
                     '  new Function(stack, "Fn", { handler: "src/h.main", ...extra });', id="spread-function-props"),
    ],
)
def test_props_we_cannot_read_are_not_reported(tmp_path: Path, body: str) -> None:
    root = v2(tmp_path, body, TABLE_HANDLER)
    assert link_findings(root) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", environment: { OTHER: "1" } });',
                     'environment: { OTHER: "1", KEY: "" }', id="existing-environment"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main", environment: {} });',
                     'environment: { KEY: "" }', id="empty-environment"),
        pytest.param('  new Function(stack, "Fn", { handler: "src/h.main" });',
                     '{ environment: { KEY: "" }, handler: "src/h.main" }', id="no-environment"),
        pytest.param('  new A(stack, "Api", { routes: { "GET /": "src/h.main" } });',
                     '"GET /": { function: { handler: "src/h.main", environment: { KEY: "" } } }', id="bare-route"),
    ],
)
def test_environment_fix_sets_the_variable(tmp_path: Path, body: str, expected: str) -> None:
    root = v2(tmp_path, body, "export const main = async () => process.env.KEY;\n")
    index = WorkspaceIndex([root.resolve()])
    snap = index.snapshot()
    (f,) = [f for f in run_all(AnalysisContext(snap, index.resolver)) if f.code == "environment-variable-missing"]
    (act,) = code_actions(snap, [f], f.path, index.fs)
    assert act.title.startswith("Set KEY in the environment of")
    ((p, edits),) = act.edits.items()
    out = _apply(p.read_text(), [(e.range, e.new_text) for e in edits])
    assert expected in out
    p.write_text(out)
    assert link_findings(root) == []


def test_only_the_code_a_function_runs_counts(tmp_path: Path) -> None:
    # `main` is bound to the table; `other` (another export of the same file) reads a table
    # nothing binds, and so does `users` of the imported module, which `main` does not import.
    # A local helper and top-level code run for every export.
    root = v2(tmp_path, '  new Function(stack, "Fn", { handler: "src/h.main", bind: [table] });', (
        'import { Table } from "sst/node/table";\n'
        'import { notes } from "./db";\n'
        "const top = process.env.AT_LOAD;\n"
        "function helper() { return process.env.IN_HELPER; }\n"
        'export const main = async () => [notes(), helper(), Table["my-notes"].tableName];\n'
        "export const other = async () => process.env.ONLY_OTHER;\n"
    ))
    write(root, {"src/db.ts": (
        'import { Table } from "sst/node/table";\n'
        'export function notes() { return Table["my-notes"].tableName + process.env.IN_NOTES; }\n'
        "export function users() { return process.env.IN_USERS; }\n"
    )})
    got = sorted((f.path.name, f.message.split(" ")[0]) for f in link_findings(root))
    assert got == [("db.ts", "process.env.IN_NOTES"), ("h.ts", "process.env.AT_LOAD"),
                   ("h.ts", "process.env.IN_HELPER")]


def test_a_namespace_import_runs_the_whole_module(tmp_path: Path) -> None:
    root = v2(tmp_path, '  new Function(stack, "Fn", { handler: "src/h.main" });',
              'import * as db from "./db";\nexport const main = async () => db.notes();\n')
    write(root, {"src/db.ts": 'export function users() { return process.env.IN_USERS; }\n'})
    assert [f.message.split(" ")[0] for f in link_findings(root)] == ["process.env.IN_USERS"]


def test_v1_bind_and_config(tmp_path: Path) -> None:
    def app(props: str) -> Path:
        root = tmp_path / str(abs(hash(props)))
        return write(root, {
            "sst.json": '{ "name": "legacy", "region": "us-east-1", "main": "stacks/index.ts" }\n',
            "stacks/index.ts": (
                'import { App, Config, Function, StackContext } from "@serverless-stack/resources";\n'
                "function Svc({ stack }: StackContext) {\n"
                '  const KEY = new Config.Secret(stack, "KEY");\n'
                f'  new Function(stack, "Fn", {{ srcPath: "services", handler: "h.main"{props} }});\n'
                "}\n"
                "export default function main(app: App) {\n  app.stack(Svc);\n}\n"
            ),
            "services/h.ts": 'import { Config } from "@serverless-stack/node/config";\nexport const main = async () => Config.KEY;\n',
        })

    assert [f.code for f in link_findings(app(""))] == ["resource-not-linked"]
    assert link_findings(app(", bind: [KEY]")) == []
    assert link_findings(app(", config: [KEY]")) == []
