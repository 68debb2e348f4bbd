"""A file that stops parsing mid-edit keeps its last good facts for the lines the edit left
alone, and says so with one `syntax-error` (model/recover.py, analyzers/syntax.py)."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.analyzers import AnalysisContext, run_all
from sst_lsp.ide.symbols import document_symbols
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.recover import LineMap
from sst_lsp.syntax.text import Pos

CONFIG = (
    'import { SSTConfig } from "sst";\nimport { Api as ApiStack } from "./stacks/Api";\n'
    'export default {\n  config() {\n    return { name: "notes", region: "us-east-1" };\n  },\n'
    "  stacks(app) {\n    app.stack(ApiStack);\n  },\n} satisfies SSTConfig;\n"
)
STACK = """import { Api as SstApi, StackContext, Table } from "sst/constructs";

export function Api({ stack }: StackContext) {
  const table = new Table(stack, "Notes", {
    fields: { id: "string" },
    primaryIndex: { partitionKey: "id" },
  });
  const api = new SstApi(stack, "Api", {
    defaults: {
      function: {
        bind: [table],
      },
    },
    routes: {
      "GET /notes": "src/list.main",
      "POST /notes": "src/missing.main",
    },
  });
  return { api };
}
"""


def app(tmp_path: Path) -> tuple[WorkspaceIndex, Path]:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "sst.config.ts").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "src" / "list.ts").write_text("export const main = async () => ({});\n", encoding="utf-8")
    stack = tmp_path / "stacks" / "Api.ts"
    stack.write_text(STACK, encoding="utf-8")
    return WorkspaceIndex([tmp_path]), stack


def findings(index: WorkspaceIndex) -> list[tuple[str, int]]:
    snap = index.snapshot()
    return [(f.code, f.range.start.line) for f in run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))]


def test_missing_brace_keeps_diagnostics_and_symbols_and_reports_the_error(tmp_path: Path) -> None:
    index, stack = app(tmp_path)
    assert findings(index) == [("handler-not-found", 15)]
    # The `}` that closes `function: {...}` goes: tree-sitter now nests `routes` in `defaults`.
    broken = STACK.replace("        bind: [table],\n      },\n", "        bind: [table],\n\n", 1)
    index.set_text(stack, broken)
    got = findings(index)
    assert ("handler-not-found", 15) in got
    assert [c for c, _ in got].count("syntax-error") >= 1
    assert all(line < broken.count("\n") + 1 for _, line in got)
    syms = document_symbols(index.snapshot(), stack)
    assert syms is not None
    (api_stack,) = syms
    assert [c.name for c in api_stack.children] == ["Notes", "Api"]
    assert [r.name for r in api_stack.children[1].children] == ["GET /notes", "POST /notes"]
    # Parsing again: the new facts, no syntax error.
    index.set_text(stack, STACK)
    assert findings(index) == [("handler-not-found", 15)]


def test_lines_removed_before_the_kept_facts_move_them(tmp_path: Path) -> None:
    index, stack = app(tmp_path)
    findings(index)
    # Two lines fewer above the routes, and the closing brace gone.
    broken = STACK.replace("        bind: [table],\n      },\n", "", 1)
    index.set_text(stack, broken)
    got = findings(index)
    line = broken.split("\n").index('      "POST /notes": "src/missing.main",')
    assert ("handler-not-found", line) in got
    assert line == 13


def test_a_new_route_typed_inside_the_broken_region_is_seen(tmp_path: Path) -> None:
    index, stack = app(tmp_path)
    findings(index)
    broken = STACK.replace('      "POST /notes": "src/missing.main",\n',
                           '      "POST /notes": "src/missing.main",\n      "GET /x": "src/other.main", {\n', 1)
    index.set_text(stack, broken)
    snap = index.snapshot()
    handlers = [h.handler for h in snap.facts[stack].handlers]
    assert "src/missing.main" in handlers and "src/list.main" in handlers


def test_a_file_broken_from_the_start_reports_only_its_syntax_error(tmp_path: Path) -> None:
    index, stack = app(tmp_path)
    stack.write_text(STACK.replace("  });\n  return", "  \n  return", 1), encoding="utf-8")
    got = findings(index)
    assert any(c == "syntax-error" for c, _ in got)


def test_line_map() -> None:
    lm = LineMap.between("a\nb\nc\nd", "a\nX\nY\nc\nd")
    assert (lm.prefix, lm.old_end, lm.new_end, lm.delta) == (1, 2, 3, 1)
    assert lm.pos(Pos(0, 3)) == Pos(0, 3)
    assert lm.pos(Pos(2, 1)) == Pos(3, 1)
    assert lm.pos(Pos(1, 0)) == Pos(1, 0)
    shrink = LineMap.between("a\nb\nc\nd", "a\nd")
    assert shrink.pos(Pos(2, 5)) == Pos(1, 0) and shrink.pos(Pos(3, 0)) == Pos(1, 0)
