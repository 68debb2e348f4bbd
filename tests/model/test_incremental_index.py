"""The index's edit path (model/index.py): app assembly copies the facts of files whose stacks
need nothing filled in, and fills in stack ids and defaults everywhere else."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.model.index import WorkspaceIndex

CONFIG = """import { Renamed, WithDefaults, Plain } from "./stacks/All";
export default {
  config() { return { name: "a" }; },
  stacks(app) { app.stack(Renamed, { id: "renamed-id" }).stack(WithDefaults).stack(Plain); },
};
"""

STACKS = """import { Api, Function, StackContext } from "sst/constructs";
export function Renamed({ stack }: StackContext) {
  new Function(stack, "R", { handler: "src/r.main" });
}
export function WithDefaults({ stack }: StackContext) {
  stack.setDefaultFunctionProps({ runtime: "python3.11" });
  new Api(stack, "Api", { routes: { "GET /": "src/w.main" } });
}
export function Plain({ stack }: StackContext) {
  new Function(stack, "P", { handler: "src/p.main" });
}
"""

PLAIN_ONLY = """import { Function, StackContext } from "sst/constructs";
export function Other({ stack }: StackContext) {
  new Function(stack, "O", { handler: "src/o.main" });
}
"""


def _app(tmp_path: Path) -> tuple[WorkspaceIndex, Path]:
    root = tmp_path / "app"
    (root / "stacks").mkdir(parents=True)
    (root / "sst.config.ts").write_text(CONFIG, encoding="utf-8")
    (root / "stacks" / "All.ts").write_text(STACKS, encoding="utf-8")
    return WorkspaceIndex([root]), root


def test_assembly_fills_ids_and_defaults_and_copies_the_rest(tmp_path: Path) -> None:
    index, root = _app(tmp_path)
    (root / "stacks" / "Other.ts").write_text(PLAIN_ONLY, encoding="utf-8")
    app = index.snapshot().apps[0]
    by_handler = {h.handler: h for h in app.handlers}
    assert by_handler["src/r.main"].stack == "renamed-id"
    assert by_handler["src/w.main"].stack == "WithDefaults"
    assert by_handler["src/w.main"].runtime == "python3.11"
    assert by_handler["src/p.main"].stack == "Plain" and by_handler["src/p.main"].runtime is None
    assert {c.id: c.stack for c in app.constructs} == {"R": "renamed-id", "Api": "WithDefaults", "P": "Plain"}
    assert [(r.key, r.stack) for r in app.routes] == [("GET /", "WithDefaults")]
    facts = index.facts(root / "stacks" / "All.ts")
    assert facts is not None
    plain = next(h for h in facts.handlers if h.handler == "src/p.main")
    assert plain in app.handlers and any(h is plain for h in app.handlers), "copied as it is"


def test_edits_keep_assembly_right(tmp_path: Path) -> None:
    """After edits that add and remove defaults and ids, the app equals a fresh index's."""
    index, root = _app(tmp_path)
    path = root / "stacks" / "All.ts"
    index.snapshot()
    texts = [
        STACKS.replace('  stack.setDefaultFunctionProps({ runtime: "python3.11" });\n', ""),
        STACKS.replace('export function Plain({ stack }: StackContext) {\n',
                       'export function Plain({ stack }: StackContext) {\n  stack.setDefaultFunctionProps({ runtime: "go1.x" });\n'),
        STACKS,
    ]
    for text in texts:
        index.set_text(path, text)
        got = index.snapshot().apps[0]
        fresh = WorkspaceIndex([root])
        fresh.set_text(path, text)
        assert got == fresh.snapshot().apps[0]
