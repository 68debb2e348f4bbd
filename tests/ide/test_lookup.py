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
