"""Renames: moved files and folders, handler exports, construct ids; every result re-checked."""

from __future__ import annotations

from pathlib import Path

from ide_fixtures import V2_CONFIG, Fixture

from sst_lsp.analyzers import run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.ide.rename import file_renames, prepare_rename, rename
from sst_lsp.ide.types import TextEdit
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.syntax.text import LineIndex

APP = V2_CONFIG + """
//- stacks/StorageStack.ts
import { StackContext, Table } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  return { table };
}
//- stacks/ApiStack.ts
import { Api, Cron, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";
const NOTES = "src/notes";
export function ApiStack({ stack }: StackContext) {
  const { table } = use(StorageStack);
  new Api(stack, "Api", {
    defaults: { function: { bind: [table] } },
    routes: {
      "GET /notes": "src/notes/list.main",
      "GET /😋": `${NOTES}/list.main`,
      "GET /other": "src/notes/get.main",
    },
  });
  new Cron(stack, "Job", { schedule: "rate(1 day)", job: { function: { handler: "src/notes/list.main", bind: [table] } } });
}
//- src/notes/list.ts
import { Table } from "sst/node/table";
export const main = async () => ({ body: Table.Notes.tableName });
//- src/notes/get.ts
export const main = async () => ({});
"""


def apply(edits: dict[Path, list[TextEdit]]) -> None:
    for p, es in edits.items():
        text = p.read_text(encoding="utf-8")
        for e in sorted(es, key=lambda e: e.range.start, reverse=True):
            idx = LineIndex(text)
            a, b = idx.offset_at(e.range.start), idx.offset_at(e.range.end)
            text = text[:a] + e.new_text + text[b:]
        p.write_text(text, encoding="utf-8")


def problems(root: Path) -> list[str]:
    index = WorkspaceIndex([root])
    return [f"{f.code}: {f.message}" for f in run_all(AnalysisContext(index.snapshot(), index.resolver))]


def moved(f: Fixture, old: str, new: str) -> str:
    """Moves `old` to `new` after computing the edits (as willRenameFiles does), applies them,
    and returns the stack file."""
    edits = file_renames(f.snap, f.resolver, [(f.p(old), f.p(new))])
    f.p(old).rename(f.p(new))
    apply(edits)
    return f.p("stacks/ApiStack.ts").read_text(encoding="utf-8")


def test_file_rename_rewrites_every_handler_string(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    assert problems(f.root) == []
    stack = moved(f, "src/notes/list.ts", "src/notes/items.ts")
    assert '"GET /notes": "src/notes/items.main"' in stack
    assert "`${NOTES}/items.main`" in stack  # The interpolation is kept.
    assert 'handler: "src/notes/items.main"' in stack
    assert '"src/notes/get.main"' in stack  # Other files stay.
    assert problems(f.root) == []


def test_folder_rename(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace("`${NOTES}/list.main`", '"src/notes/list.main"'))
    stack = moved(f, "src/notes", "src/memos")
    assert stack.count("src/memos/list.main") == 3 and '"src/memos/get.main"' in stack
    assert problems(f.root) == []


def test_rename_into_another_folder_and_extension(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace("`${NOTES}/list.main`", '"src/notes/list.main"'))
    stack = moved(f, "src/notes/get.ts", "src/get.js")
    assert '"GET /other": "src/get.main"' in stack
    assert problems(f.root) == []


def test_a_file_that_is_no_handler_any_more_is_left_alone(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    assert file_renames(f.snap, f.resolver, [(f.p("src/notes/get.ts"), f.p("src/notes/get.md"))]) == {}


def test_v1_src_path_and_python(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx("""
//- sst.json
{ "name": "legacy", "region": "us-east-1", "main": "stacks/index.ts" }
//- stacks/index.ts
import { App, Function, StackContext } from "@serverless-stack/resources";
function Svc({ stack }: StackContext) {
  new Function(stack, "Fn", { srcPath: "services", handler: "functions/list.main" });
  new Function(stack, "Py", { srcPath: "services", runtime: "python3.9", handler: "py/get.handler" });
}
export default function main(app: App) {
  app.stack(Svc);
}
//- services/functions/list.ts
export const main = async () => ({});
//- services/py/get.py
def handler(event, context):
    return {}
""")
    # The srcPath folder itself moving changes no handler string (srcPath is the user's to edit).
    assert file_renames(f.snap, f.resolver, [(f.p("services"), f.p("svc"))]) == {}
    edits = file_renames(f.snap, f.resolver, [(f.p("services/functions"), f.p("services/fns")),
                                              (f.p("services/py/get.py"), f.p("services/py/fetch.py"))])
    f.p("services/functions").rename(f.p("services/fns"))
    f.p("services/py/get.py").rename(f.p("services/py/fetch.py"))
    apply(edits)
    text = f.p("stacks/index.ts").read_text()
    assert 'handler: "fns/list.main"' in text and 'handler: "py/fetch.handler"' in text
    assert problems(f.root) == []


def test_export_rename_from_the_handler_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace("export const main = async () => ({ body", "export const ma$0in = async () => ({ body"))
    target = prepare_rename(f.snap, f.resolver, f.path, f.pos)
    assert target is not None and target.placeholder == "main" and target.kind == "export" and target.warning is None
    edits = rename(f.snap, f.resolver, f.path, f.pos, "handler")
    assert edits is not None
    assert len(edits[f.p("stacks/ApiStack.ts")]) == 3 and len(edits[f.p("src/notes/list.ts")]) == 1
    apply(edits)
    assert "export const handler = async" in f.p("src/notes/list.ts").read_text()
    stack = f.p("stacks/ApiStack.ts").read_text()
    assert "`${NOTES}/list.handler`" in stack and '"src/notes/get.main"' in stack
    assert problems(f.root) == []


def test_export_rename_from_a_handler_string(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace('"GET /notes": "src/notes/list.main"', '"GET /notes": "src/notes/list.ma$0in"'))
    edits = rename(f.snap, f.resolver, f.path, f.pos, "list")
    assert edits is not None
    apply(edits)
    assert "export const list = async" in f.p("src/notes/list.ts").read_text()
    assert problems(f.root) == []


def test_stateful_construct_rename_carries_the_warning(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace('new Table(stack, "Notes"', 'new Table(stack, "No$0tes"'))
    target = prepare_rename(f.snap, f.resolver, f.path, f.pos)
    assert target is not None and target.kind == "construct" and target.placeholder == "Notes"
    assert target.warning is not None and "new, empty table" in target.warning
    edits = rename(f.snap, f.resolver, f.path, f.pos, "Memos")
    assert edits is not None
    apply(edits)
    # The handler code that reads it by name follows.
    assert "Table.Memos.tableName" in f.p("src/notes/list.ts").read_text()
    assert problems(f.root) == []


def test_nothing_outside_sst_names(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP.replace("const { table } = use", "const { ta$0ble } = use"))
    assert prepare_rename(f.snap, f.resolver, f.path, f.pos) is None
    assert rename(f.snap, f.resolver, f.path, f.pos, "x") is None
