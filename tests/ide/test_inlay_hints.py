"""Inlay hints: physical names after construct ids, resolved files after non-obvious handlers."""

from __future__ import annotations

from ide_fixtures import V2_CONFIG

from sst_lsp.ide.inlay_hints import inlay_hints
from sst_lsp.syntax.text import Pos, TextRange

EVERYWHERE = TextRange(Pos(0, 0), Pos(10_000, 0))

V2 = V2_CONFIG + """
//- stacks/StorageStack.ts
import { Bucket, StackContext, Table } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "Notes$0", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  const named = new Bucket(stack, "😋Files", { name: "my-files" });
  const generated = new Bucket(stack, "Uploads");
  return { table };
}
//- stacks/ApiStack.ts
import { Api, Function, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/list.main" } });
  new Function(stack, "Py", { runtime: "python3.11", handler: "fns/get.handler" });
}
//- src/notes/list.ts
export const main = async () => ({});
//- fns/get.py
def handler(event, context):
    return {}
"""


def test_physical_names_after_construct_ids(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(V2)
    got = inlay_hints(f.snap, f.resolver, f.p("stacks/StorageStack.ts"), EVERYWHERE, "dev")
    assert [(h.position, h.label) for h in got] == [
        (Pos(2, 40), " dev-notes-Notes"),
        (Pos(3, 42), " my-files"),  # After the closing quote; columns count the emoji as one.
    ]
    # Generated names (a Bucket without `name`) get no hint; the stage is the one asked for.
    prod = inlay_hints(f.snap, f.resolver, f.p("stacks/StorageStack.ts"), EVERYWHERE, "prod")
    assert prod[0].label == " prod-notes-Notes"


def test_resolved_file_only_where_not_obvious(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(V2)
    got = inlay_hints(f.snap, f.resolver, f.p("stacks/ApiStack.ts"), EVERYWHERE, "dev")
    assert [h.label for h in got] == [" → fns/get.py"]  # The Node route names its file already.
    assert got[0].position == Pos(3, 79)


def test_src_path_applied_v1(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx("""
//- sst.json
{ "name": "legacy", "region": "us-east-1", "main": "stacks/index.ts" }
//- stacks/index.ts
import { App, Function, StackContext } from "@serverless-stack/resources";
function Svc({ stack }: StackContext) {
  new Function(stack, "Fn", { srcPath: "services", handler: "functions/list.main" });
}
export default function main(app: App) {
  app.stack(Svc);
}
//- services/functions/list.ts
export const main = async () => ({});
""")
    got = inlay_hints(f.snap, f.resolver, f.p("stacks/index.ts"), EVERYWHERE, "dev")
    assert [h.label for h in got] == [" → services/functions/list.ts"]


def test_toggles_and_range(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(V2)
    path = f.p("stacks/StorageStack.ts")
    assert inlay_hints(f.snap, f.resolver, path, EVERYWHERE, "dev", physical=False) == []
    assert inlay_hints(f.snap, f.resolver, f.p("stacks/ApiStack.ts"), EVERYWHERE, "dev", files=False) == []
    # Only what lies in the visible range.
    got = inlay_hints(f.snap, f.resolver, path, TextRange(Pos(3, 0), Pos(3, 80)), "dev")
    assert [h.label for h in got] == [" my-files"]
