"""A v2 app whose "Notes" table moves from the Storage stack to Api, with a removal policy set
by the entry or the stack: what the stateful analyzer says of the move, and what synth puts in
the template (tests/analyzers/test_stateful.py, tests/cloud/test_synth_coverage.py)."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.analyzers import run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.baseline import Baseline
from sst_lsp.baseline.kinds import app_state
from sst_lsp.baseline.state import AppState
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App, Finding

#: The entry (`sst.config.ts`); `%s` is where the removal-policy lines go (line 11).
POLICY_ENTRY = """import { SSTConfig } from "sst";
import { Storage } from "./stacks/Storage";
import { Api } from "./stacks/Api";

export default {
  config(_input) {
    return { name: "notes", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
%s
    app.stack(Storage).stack(Api);
  },
} satisfies SSTConfig;
"""

NOTES_TABLE = """  const notes = new Table(stack, "Notes", {
    fields: { userId: "string", noteId: "string" },
    primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
  });
"""


def write_policy_app(root: Path, entry: str, storage: str = "", *, moved: bool = False,
                     template: str = POLICY_ENTRY, table: str = NOTES_TABLE) -> None:
    """Writes the app: `entry` in the entry `template`, `storage` at the top of the Storage
    stack, and the Notes `table` in Storage (or, `moved`, in Api)."""
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "sst.config.ts").write_text(template % entry)
    (root / "stacks" / "Storage.ts").write_text(
        'import { StackContext, Table, Bucket } from "sst/constructs";\n\n'
        "export function Storage({ stack, app }: StackContext) {\n"
        f"{storage}\n{'' if moved else table}"
        '  const uploads = new Bucket(stack, "Uploads");\n'
        "  return { uploads };\n}\n"
    )
    (root / "stacks" / "Api.ts").write_text(
        'import { StackContext, Table, use } from "sst/constructs";\n'
        'import { Storage } from "./Storage";\n\n'
        "export function Api({ stack }: StackContext) {\n"
        "  const { uploads } = use(Storage);\n"
        f"{table if moved else ''}"
        "  stack.addOutputs({ UploadsBucket: uploads.bucketName });\n}\n"
    )


def app_before_move(root: Path, entry: str, storage: str = "", *, template: str = POLICY_ENTRY,
                    table: str = NOTES_TABLE) -> tuple[App, AppState]:
    """Writes the app with the table in Storage: the app, and its state read from the files (the
    way a git baseline reads a commit)."""
    write_policy_app(root, entry, storage, template=template, table=table)
    before = WorkspaceIndex([root])
    [app] = before.snapshot().apps
    return app, app_state(app, parsed=before.parsed, cache=None)


def stateful_after_move(root: Path, entry: str, storage: str, stage: str, old: AppState, *,
                        template: str = POLICY_ENTRY, table: str = NOTES_TABLE) -> list[Finding]:
    """Moves the table to Api and runs the stateful analyzers against `old` as a git baseline."""
    write_policy_app(root, entry, storage, moved=True, template=template, table=table)
    index = WorkspaceIndex([root])
    b = Baseline("git:HEAD (abc1234)", "git", {root: old})
    return run_all(AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver, stage=stage,
                                   baselines={root: b}), only=["stateful"])
