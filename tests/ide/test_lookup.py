"""`lookup.hit_at`: what lies under a position."""

from __future__ import annotations

from sst_lsp.ide.lookup import hit_at
from sst_lsp.model.types import Construct
from sst_lsp.syntax.text import Pos

# An app that registers no stack: the stack file is outside every app, so a lookup in it falls
# back to the file's own facts. Its handler string is a constant written in a helper module.
ORPHAN = """
//- sst.config.ts
import { SSTConfig } from "sst";
export default {
  config(_input) {
    return { name: "notes", region: "us-east-1" };
  },
  stacks(app) {},
} satisfies SSTConfig;
//- stacks/Orphan.ts
import { Function, StackContext } from "sst/constructs";
import { H } from "./handlers";
export function Orphan({ stack }: StackContext) {
  new Function(stack, "Fn", { handler: H });
}
//- stacks/handlers.ts
export const H = "src/a.han$0dler";
"""


def test_file_facts_fallback_ignores_objects_written_in_another_file(fx) -> None:  # type: ignore[no-untyped-def]
    f = fx(ORPHAN)
    stack = f.p("stacks/Orphan.ts")
    f.index.set_text(stack, stack.read_text(encoding="utf-8"))
    snap = f.index.snapshot()
    assert not any(stack in a.files for a in snap.apps)
    (ref,) = snap.facts[stack].handlers
    # The reference is recorded in the stack file's facts, at the literal in the helper module.
    assert ref.path == f.path and ref.range.contains(f.pos)
    # The same line and column in the stack file is its first line's import: no handler there.
    assert hit_at(snap, stack, f.pos) is None
    # The construct id written in the stack file is still found.
    hit = hit_at(snap, stack, Pos(3, 24))
    assert hit is not None and isinstance(hit.target, Construct) and hit.target.id == "Fn"


def test_line_index_answers_what_a_scan_of_the_app_answers() -> None:
    """Every position of every file of the fixture apps (helpers, loops, several stacks,
    registrations, multi-line ranges): the per-file index sorted by line finds the object the
    scan of the app's handlers, routes, constructs, registrations and stacks finds first."""
    from pathlib import Path

    from sst_lsp.host.host import AnalysisHost
    from sst_lsp.ide.lookup import _file_index, _in_app, prepare

    apps_dir = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
    checked = found = 0
    for root in sorted(p for p in apps_dir.iterdir() if p.is_dir()):
        snap = AnalysisHost([root]).snapshot()
        for app in snap.apps:
            prepare(snap, list(app.files))
            for path in app.files:
                lines = (path.read_text(encoding="utf-8", errors="replace")).split("\n")
                index = _file_index(app, path)
                for ln, line in enumerate(lines):
                    for col in range(len(line) + 2):
                        pos = Pos(ln, col)
                        want = _in_app(app, path, pos)
                        assert index.at(pos) is want, (path, pos)
                        checked += 1
                        found += want is not None
    assert checked > 10_000 and found > 500
