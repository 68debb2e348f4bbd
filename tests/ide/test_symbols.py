"""Document symbols (outline), workspace symbols and document links."""

from __future__ import annotations

from ide_fixtures import V2_CONFIG

from sst_lsp.ide.symbols import document_links, document_symbols, matches, workspace_symbols
from sst_lsp.ide.types import Symbol

APP = (
    V2_CONFIG
    + """
//- stacks/StorageStack.ts
import { StackContext, Table } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  return { table };
}
//- stacks/ApiStack.ts
import { Api, Cron, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "GET /😋": "[[src/notes/list.main]]",
      "POST /notes": "[[src/notes/list.nope]]",
      "PUT /notes": "src/notes/gone.main",
    },
  });
  new Cron(stack, "Cleanup", { schedule: "rate(1 day)", job: "[[src/notes/list.main]]" });
}
//- src/notes/list.ts
// 😋
export const main = 1;
"""
)


def tree(symbols: list[Symbol] | None, depth: int = 0) -> list[str]:
    out: list[str] = []
    for s in symbols or []:
        out.append("  " * depth + f"{s.kind} {s.name} [{s.detail}]")
        assert s.range.contains_range(s.selection_range), s
        for c in s.children:
            assert s.range.contains_range(c.range), (s.name, c.name)
        out.extend(tree(s.children, depth + 1))
    return out


def test_document_symbols_tree(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    got = document_symbols(f.snap, f.p("stacks/ApiStack.ts"))
    assert tree(got) == [
        "stack ApiStack [stack ApiStack]",
        "  construct Api [Api]",
        "    route GET /😋 [src/notes/list.main]",
        "    route POST /notes [src/notes/list.nope]",
        "    route PUT /notes [src/notes/gone.main]",
        "  construct Cleanup [Cron]",
        "    function Cron job [src/notes/list.main]",
    ]


def test_document_symbols_none_for_handler_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    assert document_symbols(f.snap, f.p("src/notes/list.ts")) is None


def test_subsequence_match() -> None:
    assert matches("apst", "ApiStack")
    assert matches("", "anything")
    assert matches("GETn", "GET /notes")
    assert not matches("stapi", "ApiStack")


def test_workspace_symbols(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    got = workspace_symbols(f.snap, "notes")
    names = [(s.kind, s.name) for s in got]
    # Prefix matches first, then by kind.
    assert names[0] == ("construct", "Notes")
    assert ("route", "POST /notes") in names and ("route", "PUT /notes") in names
    assert ("stack", "ApiStack") not in names
    assert [s.name for s in workspace_symbols(f.snap, "apst")] == ["ApiStack"]
    everything = workspace_symbols(f.snap, "")
    assert len(everything) == len({(s.kind, s.path, s.selection_range) for s in everything})
    assert {"StorageStack", "ApiStack", "Notes", "Api", "Cleanup", "GET /😋"} <= {s.name for s in everything}


def test_document_links(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(APP)
    links = document_links(f.snap, f.resolver, f.p("stacks/ApiStack.ts"))
    assert [lk.range for lk in links] == [m.range for m in f.marks]
    ok, missing, cron = links
    target = f.p("src/notes/list.ts")
    assert ok.target == target and ok.target_range is not None and ok.target_range.start.line == 1
    assert ok.tooltip == "src/notes/list.ts (main)"
    assert missing.target == target and missing.target_range is None
    assert cron.target == target


def test_document_symbols_pair_each_route_with_the_handler_after_its_key(fx) -> None:  # type: ignore[no-untyped-def]
    # A key given twice (each with its handler), a handler in function props, a route without
    # a handler string, and two constructs with one id in two branches: each route gets the
    # first handler of its key after it, inside its own construct.
    f = fx(V2_CONFIG + STORAGE_ONLY + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack, app }: StackContext) {
  if (app.stage === "prod") {
    new Api(stack, "Api", {
      routes: {
        "GET /a": "src/a.main",
        "GET /a": "src/b.main",
        "GET /f": { function: { handler: "src/f.main", timeout: 3 } },
        "GET /none": fn,
      },
    });
  } else {
    new Api(stack, "Api", { routes: { "GET /a": "src/c.main" } });
  }
}
""")
    got = document_symbols(f.snap, f.p("stacks/ApiStack.ts"))
    assert tree(got) == [
        "stack ApiStack [stack ApiStack]",
        "  construct Api [Api]",
        "    route GET /a [src/a.main]",
        "    route GET /a [src/b.main]",
        "    route GET /f [src/f.main]",
        "    route GET /none [None]",
        "  construct Api [Api]",
        "    route GET /a [src/c.main]",
    ]


STORAGE_ONLY = """
//- stacks/StorageStack.ts
import { StackContext } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {}
"""
