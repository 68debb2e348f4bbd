"""Quick fixes for handler findings, from the real handler analyzer's data.

Each case applies one action's edits and compares the files it leaves behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ide_fixtures import V2_CONFIG, Fixture

from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.handlers import analyze
from sst_lsp.ide.code_actions import code_actions
from sst_lsp.ide.types import CodeAction, TextEdit
from sst_lsp.syntax.text import LineIndex

STORAGE = """
//- stacks/StorageStack.ts
import { StackContext } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {}
"""


def apply(text: str, edits: list[TextEdit]) -> str:
    idx = LineIndex(text)
    for e in sorted(edits, key=lambda e: e.range.start, reverse=True):
        a, b = idx.offset_at(e.range.start), idx.offset_at(e.range.end)
        text = text[:a] + e.new_text + text[b:]
        idx = LineIndex(text)
    return text


def actions_for(f: Fixture, path: Path | None = None) -> list[CodeAction]:
    path = path or f.path
    findings = [x for x in analyze(AnalysisContext(f.snap, f.resolver)) if x.path == path]
    return code_actions(f.snap, findings, path, fs=f.index.fs)


def run(f: Fixture, title_part: str) -> dict[Path, str]:
    """Applies the one action whose title contains `title_part`; returns the changed files."""
    acts = [a for a in actions_for(f) if title_part in a.title]
    assert len(acts) == 1, [a.title for a in actions_for(f)]
    act = acts[0]
    out: dict[Path, str] = {}
    for p, edits in act.edits.items():
        before = "" if p in act.creates else p.read_text(encoding="utf-8")
        if p in act.creates:
            assert not p.exists()
        out[p] = apply(before, edits)
    return out


def api(route_value: str) -> str:
    return (
        V2_CONFIG
        + STORAGE
        + f"""
//- stacks/ApiStack.ts
import {{ Api, StackContext }} from "sst/constructs";
const NOTES = "src/notes";
export function ApiStack({{ stack }}: StackContext) {{
  new Api(stack, "Api", {{ routes: {{ "GET /notes": {route_value}$0 }} }});
}}
"""
    )


LIST_TS = """
//- src/notes/list.ts
export const main = async () => ({ statusCode: 200 });
"""


def test_create_missing_ts_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/gone.main"'))
    target = f.p("src/notes/gone.ts")
    got = run(f, "Create src/notes/gone.ts")
    assert got == {
        target: 'export async function main(event: unknown) {\n  return { statusCode: 200, body: "" };\n}\n'
    }
    act = next(a for a in actions_for(f) if a.creates)
    assert act.creates == [target] and act.fixes_codes == ("handler-not-found",) and act.is_preferred
    assert act.diagnostic_range is not None


def test_create_missing_python_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(
        """
//- sst.config.ts
import { Function } from "sst/constructs";
export default {
  config() { return { name: "py" }; },
  stacks(app) {
    app.stack(function Svc({ stack }) {
      new Function(stack, "Fn", { runtime: "python3.11", handler: "fns/new_one.handler$0" });
    });
  },
};
"""
    )
    got = run(f, "Create fns/new_one.py")
    assert got == {f.p("fns/new_one.py"): 'def handler(event, context):\n    return {"statusCode": 200, "body": ""}\n'}


def test_export_missing_change_to_closest_in_template(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api("`${NOTES}/list.mian`") + LIST_TS)
    got = run(f, "Change handler to `main`")
    assert "`${NOTES}/list.main`" in got[f.p("stacks/ApiStack.ts")]
    act = next(a for a in actions_for(f) if a.title.startswith("Change"))
    assert act.is_preferred  # "mian" is close to "main".


def test_export_missing_far_name_not_preferred(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/list.handler"') + LIST_TS)
    got = run(f, "Change handler to `main`")
    assert '"GET /notes": "src/notes/list.main"' in got[f.p("stacks/ApiStack.ts")]
    act = next(a for a in actions_for(f) if a.title.startswith("Change"))
    assert not act.is_preferred


def test_export_missing_add_stub(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/list.handler"') + LIST_TS)
    got = run(f, "Add `handler` to src/notes/list.ts")
    assert got == {
        f.p("src/notes/list.ts"): "export const main = async () => ({ statusCode: 200 });\n\n"
        'export async function handler(event: unknown) {\n  return { statusCode: 200, body: "" };\n}\n'
    }


def test_export_missing_python_add_def(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(
        """
//- sst.config.ts
import { Function } from "sst/constructs";
export default {
  config() { return { name: "py" }; },
  stacks(app) {
    app.stack(function Svc({ stack }) {
      new Function(stack, "Fn", { runtime: "python3.11", handler: "fns/get.handlr$0" });
    });
  },
};
//- fns/get.py
def other(event, context):
    return 1"""
    )
    got = run(f, "Add `handlr`")
    assert got[f.p("fns/get.py")].endswith(
        'return 1\n\ndef handlr(event, context):\n    return {"statusCode": 200, "body": ""}\n'
    )


def test_case_mismatch_rewrites_string(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/Notes/List.main"') + LIST_TS)
    got = run(f, "Fix letter case")
    assert '"GET /notes": "src/notes/list.main"' in got[f.p("stacks/ApiStack.ts")]


def test_case_mismatch_in_template_keeps_interpolation(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api("`${NOTES}/LIST.main`") + LIST_TS)
    got = run(f, "Fix letter case")
    assert "`${NOTES}/list.main`" in got[f.p("stacks/ApiStack.ts")]


def test_unicode_before_string(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /😋😋": "src/notes/list.mian$0" } });
}
"""
        + LIST_TS
    )
    got = run(f, "Change handler to `main`")
    assert '"GET /😋😋": "src/notes/list.main"' in got[f.p("stacks/ApiStack.ts")]


def test_other_paths_and_codes_ignored(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/gone.main"'))
    findings = list(analyze(AnalysisContext(f.snap, f.resolver)))
    assert findings
    assert code_actions(f.snap, findings, f.p("stacks/StorageStack.ts"), fs=f.index.fs) == []


@pytest.mark.parametrize("name", ["default", "b.c", "class"])
def test_no_stub_for_names_that_cannot_be_functions(fx, name: str) -> None:  # type: ignore[no-untyped-def]
    f = fx(api(f'"src/notes/list.{name}"') + LIST_TS)
    assert not [a for a in actions_for(f) if a.title.startswith("Add")]


def test_file_name_typo_offers_the_closest_existing_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/lst.main"') + LIST_TS)
    got = run(f, "Change to src/notes/list.main")
    assert '"GET /notes": "src/notes/list.main"' in got[f.p("stacks/ApiStack.ts")]
    # Creating the typo'd file is still offered.
    assert any(a.title.startswith("Create src/notes/lst.ts") for a in actions_for(f))


def test_file_name_typo_in_a_template_keeps_the_interpolation(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api("`${NOTES}/lsit.main`") + LIST_TS)
    got = run(f, "Change to src/notes/list.main")
    assert "`${NOTES}/list.main`" in got[f.p("stacks/ApiStack.ts")]


def test_no_closest_file_when_nothing_is_close(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/notes/zzzzzz.main"') + LIST_TS)
    assert not [a for a in actions_for(f) if a.title.startswith("Change to")]


def test_create_file_in_a_missing_folder_creates_the_folder(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/jobs/nightly/run.main"') + LIST_TS)
    act = next(a for a in actions_for(f) if a.creates)
    assert act.make_dirs == [f.p("src/jobs/nightly")]
    # A file in a folder that exists needs no folder.
    g = actions_for(fx(api('"src/notes/gone.main"') + LIST_TS))
    assert next(a for a in g if a.creates).make_dirs == []


def test_folder_typo_offers_the_closest_existing_path(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(api('"src/ntoes/lst.main"') + LIST_TS)
    got = run(f, "Change to src/notes/list.main")
    assert '"GET /notes": "src/notes/list.main"' in got[f.p("stacks/ApiStack.ts")]
