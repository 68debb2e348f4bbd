"""`sst.createFolders` (the command a "Create file" quick fix runs after its edit): a folder it
creates is a change on disk like a watched one, so the next analysis sees what lands in it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sst_lsp.host.host import AnalysisHost
from sst_lsp.server.features import create_folders

CONFIG = """import { SSTConfig } from "sst";
import { Api } from "./stacks/Api";

export default {
  config(_input) {
    return { name: "notes", region: "us-east-1" };
  },
  stacks(app) {
    app.stack(Api);
  },
} satisfies SSTConfig;
"""

STACK = """import { Api, StackContext } from "sst/constructs";

export function Api({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "POST /jobs": "packages/functions/src/jobs/new/create.main",
    },
  });
}
"""


def _codes(host: AnalysisHost) -> list[str]:
    return sorted(f.code for f in host.analysis().findings())


def test_a_created_folder_is_seen_by_the_next_analysis(tmp_path: Path) -> None:
    (tmp_path / "sst.config.ts").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Api.ts").write_text(STACK, encoding="utf-8")
    (tmp_path / "packages" / "functions" / "src").mkdir(parents=True)
    host = AnalysisHost([tmp_path])
    assert "handler-not-found" in _codes(host)
    folder = tmp_path / "packages" / "functions" / "src" / "jobs" / "new"
    ls = SimpleNamespace(settings=SimpleNamespace(folders=[tmp_path]), host=host,
                         path_of=lambda uri: Path(uri.removeprefix("file://")))
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    assert create_folders(ls, [folder.as_uri(), outside.as_uri()]) == [folder.as_uri()]  # type: ignore[arg-type]
    assert folder.is_dir() and not outside.exists()
    # The editor saves the new buffer into the folder; no watched-file event for it has come yet.
    (folder / "create.ts").write_text("export const main = async () => ({ statusCode: 201 });\n", encoding="utf-8")
    assert "handler-not-found" not in _codes(host)
