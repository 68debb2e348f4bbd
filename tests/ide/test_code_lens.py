"""Code lenses: handler usage above exports, physical stack names above stack definitions."""

from __future__ import annotations

from ide_fixtures import Fixture

from sst_lsp.ide.code_lens import SHOW_REFERENCES, code_lenses
from sst_lsp.ide.types import Lens

APP = """
//- sst.config.ts
import { StorageStack } from "./stacks/StorageStack";
import { ApiStack } from "./stacks/ApiStack";
import { JobsStack } from "./stacks/JobsStack";
export default {
  config() { return { name: "notes" }; },
  stacks(app) {
    app.stack(StorageStack, { id: "core" }).stack(ApiStack).stack(JobsStack);
  },
};
//- stacks/StorageStack.ts
import { StackContext } from "sst/constructs";
export function [[StorageStack]]({ stack }: StackContext) {}
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
const NOTES = "src/notes";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "GET /notes": "src/notes/list.main",
      "GET /notes/{id}": `${NOTES}/list.main`,
      "GET /😋": "src/notes/list.other",
    },
  });
}
//- stacks/JobsStack.ts
import { Cron, StackContext } from "sst/constructs";
export function JobsStack({ stack }: StackContext) {
  new Cron(stack, "Cleanup", { schedule: "rate(1 day)", job: "src/notes/list.other" });
  new Cron(stack, "Wrong", { schedule: "rate(1 day)", job: "src/notes/list.missing" });
}
//- src/notes/list.ts
// 😋 handlers
export const [[main]] = async () => ({ statusCode: 200 });
export async function [[other]]() {}
export async function unused() {}
"""


def lenses(fx, rel: str, stage: str = "dev") -> tuple[Fixture, list[Lens]]:  # type: ignore[no-untyped-def]
    f = fx(APP)
    return f, code_lenses(f.snap, f.resolver, f.p(rel), stage)


def test_handler_lenses(fx) -> None:  # type: ignore[no-untyped-def]
    f, got = lenses(fx, "src/notes/list.ts")
    marks = [m for m in f.marks if m.path == f.p("src/notes/list.ts")]
    assert [g.range for g in got] == [m.range for m in marks]
    assert [g.title for g in got] == [
        "2 routes: GET /notes, GET /notes/{id} (ApiStack)",
        "1 route: GET /😋; Cron job (ApiStack, JobsStack)",
    ]
    main = got[0]
    assert main.command == SHOW_REFERENCES
    path, line, col, locations = main.arguments
    assert (path, line, col) == (str(f.p("src/notes/list.ts")), marks[0].range.start.line, marks[0].range.start.col)
    assert isinstance(locations, list) and len(locations) == 2
    assert {loc["path"] for loc in locations} == {str(f.p("stacks/ApiStack.ts"))}
    assert all(set(loc["range"]) == {"start", "end"} for loc in locations)


def test_stack_lens_names_stage(fx) -> None:  # type: ignore[no-untyped-def]
    f, got = lenses(fx, "stacks/StorageStack.ts", stage="prod")
    assert [g.title for g in got] == ["deploys as prod-notes-core"]
    assert got[0].range == next(m.range for m in f.marks if m.path == f.p("stacks/StorageStack.ts"))
    regs = got[0].arguments[3]
    assert isinstance(regs, list) and [r["path"] for r in regs] == [str(f.p("sst.config.ts"))]


def test_no_lenses_elsewhere(fx) -> None:  # type: ignore[no-untyped-def]
    _, got = lenses(fx, "sst.config.ts")
    assert got == []


def test_stack_lens_with_a_stack_name_template_and_a_computed_one(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx("""
//- sst.config.ts
import { Db } from "./stacks/Db";
export default {
  config() { return { name: "notes" }; },
  stacks(app) {
    app.stack(Db, { stackName: `${app.stage}-db` });
    app.stack(Db, { id: "copy", stackName: nameFor(app.stage) });
  },
};
//- stacks/Db.ts
import { StackContext } from "sst/constructs";
export function Db({ stack }: StackContext) {}
""")
    got = code_lenses(f.snap, f.resolver, f.p("stacks/Db.ts"), "prod")
    assert [g.title for g in got] == ["deploys as prod-db, stackName: nameFor(app.stage) (computed when SST runs)"]
