"""Template baselines: `assembly:PATH` (a cloud assembly on disk) and `stage:NAME` (deployed
templates handed in by the caller), compared with the current code."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gitkit import range_of, run

from sst_lsp.baseline import BaselineCache, BaselineError
from sst_lsp.baseline.templates import read_assembly, split_stack_name, state_from_templates
from sst_lsp.model.types import App

DATA = Path(__file__).parent / "data"

NOTES_APP = {
    "sst.config.ts": """
        import { SSTConfig } from "sst";
        import { Storage } from "./stacks/Storage";
        import { Api } from "./stacks/Api";

        export default {
          config(_input) {
            return { name: "notes", region: "us-east-1" };
          },
          stacks(app) {
            app.stack(Storage).stack(Api);
          },
        } satisfies SSTConfig;
    """,
    "stacks/Storage.ts": """
        import { RemovalPolicy } from "aws-cdk-lib";
        import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
        import { StackContext, Bucket, Table } from "sst/constructs";

        export function Storage({ stack }: StackContext) {
          const notes = new Table(stack, "Notes", {
            fields: { userId: "string", noteId: "string" },
            primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
          });
          const uploads = new Bucket(stack, "Uploads");
          const events = new dynamodb.Table(stack, "Events", {
            partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
            removalPolicy: RemovalPolicy.DESTROY,
          });
          return { notes, uploads, events };
        }
    """,
    "stacks/Api.ts": """
        import { StackContext, Api as SstApi, use } from "sst/constructs";
        import { Storage } from "./Storage";

        export function Api({ stack }: StackContext) {
          use(Storage);
          const api = new SstApi(stack, "Api", { routes: { "GET /": "src/index.handler" } });
          return { api };
        }
    """,
}


def write_app(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "notes", NOTES_APP)
    shutil.copytree(DATA / "notes-v2-assembly", root / ".sst" / "dist")
    return root


SPEC = "assembly:.sst/dist"


def test_reading_the_assembly() -> None:
    stacks = read_assembly(DATA / "notes-v2-assembly")
    assert sorted(s.name for s in stacks) == ["dev-notes-Api", "dev-notes-Storage"]
    api = next(s for s in stacks if s.name == "dev-notes-Api")
    # The Api template has no path metadata: the manifest's logical ids name the paths.
    assert api.paths["ApiCD79AAA0"] == "dev-notes-Api/Api/Api/Resource"
    storage = next(s for s in stacks if s.name == "dev-notes-Storage")
    assert storage.tree_ids == {"Notes", "Uploads", "Events", "CDKMetadata"}
    state = state_from_templates(Path("/app"), "notes", stacks)
    assert state.stage == "dev"
    assert set(state.stacks) == {"Storage", "Api"}
    got = {(c.kind, c.origin, c.id, c.stack, c.policy.value, c.logical_id) for c in state.constructs}
    assert got == {
        ("Table", "sst", "Notes", "Storage", "retain", "NotesTable6BA9B2D8"),
        ("Bucket", "sst", "Uploads", "Storage", "retain", "UploadsBucket7DB2F1A4"),
        ("Table", "aws-dynamodb", "Events", "Storage", "destroy", "Events1F4A2C5B"),
        ("Api", "sst", "Api", "Api", None, "ApiCD79AAA0"),
    }


def test_the_code_matching_its_assembly_is_quiet(notes: Path) -> None:
    got = run(notes, SPEC)
    assert got.findings == [] and got.notes == []
    assert got.baseline is not None and got.baseline.description == "assembly:.sst/dist, stage dev"


def test_key_change_against_the_assembly(notes: Path) -> None:
    p = notes / "stacks/Storage.ts"
    p.write_text(p.read_text().replace('sortKey: "noteId"', 'sortKey: "createdAt"')
                 .replace('noteId: "string"', 'noteId: "string", createdAt: "number"'))
    f = run(notes, SPEC).only("stateful-construct-replaced")
    assert f.data is not None and f.data["causes"] == ["KeySchema"]
    # The assembly's TableName is dev-notes-Notes, what SST derives for stage dev.
    assert '"dev-notes-Notes"' in f.message and "fixed name" in f.message
    assert f.data["logicalId"] == "NotesTable6BA9B2D8"


def test_table_moved_to_a_new_stack_against_the_assembly(notes: Path) -> None:
    write_app(notes, {
        "stacks/Data.ts": """
            import { StackContext, Table } from "sst/constructs";

            export function Data({ stack }: StackContext) {
              const notes = new Table(stack, "Notes", {
                fields: { userId: "string", noteId: "string" },
                primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
              });
              return { notes };
            }
        """,
        "stacks/Storage.ts": NOTES_APP["stacks/Storage.ts"].replace(
            """  const notes = new Table(stack, "Notes", {
            fields: { userId: "string", noteId: "string" },
            primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
          });
""", "").replace("return { notes, uploads, events };", "return { uploads, events };"),
        "sst.config.ts": NOTES_APP["sst.config.ts"]
        .replace('import { Api } from "./stacks/Api";', 'import { Api } from "./stacks/Api";\n'
                 '        import { Data } from "./stacks/Data";')
        .replace("app.stack(Storage).stack(Api);", "app.stack(Data).stack(Storage).stack(Api);"),
    })
    got = run(notes, SPEC)
    f = got.only("stateful-construct-moved")
    assert got.codes() == ["stateful-construct-moved"]
    assert f.range == range_of(notes / "stacks/Data.ts", '"Notes"')
    assert "orphaned" in f.message and "the baseline's DeletionPolicy Retain" in f.message
    assert '"dev-notes-Notes"' in f.message
    # A template has no source location: related names the old stack's definition.
    assert f.related[0].path == notes / "stacks/Storage.ts"
    assert f.related[0].range == range_of(notes / "stacks/Storage.ts", "Storage")


def test_raw_table_removed_against_the_assembly(notes: Path) -> None:
    p = notes / "stacks/Storage.ts"
    text = p.read_text()
    start = text.index("  const events")
    end = text.index("  return")
    p.write_text(text[:start] + text[end:].replace(", events }", " }"))
    f = run(notes, SPEC).only("stateful-construct-removed")
    assert f.path == p and f.range == range_of(p, "Storage")
    assert "deleted with its items (DESTROY: the baseline's DeletionPolicy Delete)" in f.message


def test_assembly_path_problems_are_notes(notes: Path, tmp_path: Path) -> None:
    missing = run(notes, "assembly:nowhere/cdk.out")
    assert missing.findings == [] and "does not exist" in missing.notes[0]
    (tmp_path / "empty").mkdir()
    empty = run(notes, f"assembly:{tmp_path / 'empty'}")
    assert "holds no manifest.json" in empty.notes[0]
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{ not json")
    broken = run(notes, f"assembly:{tmp_path / 'broken'}")
    assert "cannot be read" in broken.notes[0]


def test_assembly_relative_to_the_current_directory(notes: Path, tmp_path: Path) -> None:
    shutil.copytree(DATA / "notes-v2-assembly", tmp_path / "elsewhere")
    p = notes / "stacks/Storage.ts"
    p.write_text(p.read_text().replace('"Uploads"', '"Files"'))
    got = run(notes, "assembly:elsewhere", cwd=tmp_path)
    assert got.codes() == ["stateful-construct-renamed"]


def test_real_sst_v1_assembly(tmp_path: Path) -> None:
    """SST v1.18.4's own `sst build` output (tests/baseline/data/sst-v1-rest-api-python)."""
    root = write_app(tmp_path / "rest", {
        "sst.json": '{ "name": "rest-api-python", "region": "us-east-1", "main": "stacks/index.ts" }\n',
        "stacks/index.ts": """
            import { App } from "@serverless-stack/resources";
            import { MyStack } from "./MyStack";

            export default function main(app: App) {
              app.stack(MyStack);
            }
        """,
        "stacks/MyStack.ts": """
            import { Api, StackContext } from "@serverless-stack/resources";

            export function MyStack({ stack }: StackContext) {
              const api = new Api(stack, "Api", { routes: { "GET /notes": "functions/list.main" } });
            }
        """,
    })
    spec = f"assembly:{DATA / 'sst-v1-rest-api-python'}"
    assert run(root, spec).findings == []
    p = root / "stacks/MyStack.ts"
    p.write_text(p.read_text().replace('"Api"', '"NotesApi"'))
    got = run(root, spec)
    f = got.only("api-endpoint-changed")
    assert 'id changed from "Api" to "NotesApi"' in f.message and "new URL" in f.message
    assert got.baseline is not None and got.baseline.description.endswith(", stage dev")


def test_stack_names_split_into_ids() -> None:
    assert split_stack_name("dev-notes-Storage", {"sst:stage": "dev", "sst:app": "notes"}, None) == ("Storage", "dev")
    assert split_stack_name("prod-my-app-Api-v2", {}, "my-app") == ("Api-v2", "prod")
    assert split_stack_name("custom", {}, "notes") == ("custom", None)


# ----------------------------------------------------------------------------------------------
# stage:NAME through an injected reader.
# ----------------------------------------------------------------------------------------------


@dataclass
class FakeDeployedStack:
    """The shape of the cloud layer's DeployedStack that the baseline reads."""

    name: str
    template: Mapping[str, Any]
    tags: Mapping[str, str] = field(default_factory=dict)


def _deployed(stage: str) -> list[FakeDeployedStack]:
    out = []
    for name in ("dev-notes-Storage", "dev-notes-Api"):
        text = (DATA / "notes-v2-assembly" / f"{name}.template.json").read_text().replace("dev-notes-", f"{stage}-notes-")
        out.append(FakeDeployedStack(name.replace("dev-", f"{stage}-"), json.loads(text), {}))
    return out


def test_stage_baseline_through_a_reader(notes: Path) -> None:
    calls: list[tuple[str, str]] = []

    def reader(app: App, stage: str) -> list[FakeDeployedStack]:
        calls.append((app.name or "", stage))
        return _deployed(stage)

    cache = BaselineCache()
    assert run(notes, "stage:prod", stage_reader=reader, cache=cache).findings == []
    p = notes / "stacks/Storage.ts"
    p.write_text(p.read_text().replace('"Uploads"', '"Files"'))
    got = run(notes, "stage:prod", stage_reader=reader, cache=cache)
    assert got.codes() == ["stateful-construct-renamed"]
    assert got.baseline is not None and got.baseline.description == "stage:prod"
    # The deployed state is read once and kept until the cache is invalidated.
    assert calls == [("notes", "prod")]
    cache.invalidate()
    run(notes, "stage:prod", stage_reader=reader, cache=cache)
    assert len(calls) == 2


def test_stage_baseline_failures_are_notes(notes: Path) -> None:
    def failing(app: App, stage: str) -> list[FakeDeployedStack]:
        raise BaselineError("no credentials")

    got = run(notes, "stage:prod", stage_reader=failing)
    assert got.findings == [] and "no credentials" in got.notes[0]
    none = run(notes, "stage:prod")
    assert none.findings == [] and "cannot read" in none.notes[0]
    empty = run(notes, "stage:prod", stage_reader=lambda app, stage: [])
    assert empty.findings == [] and "no deployed stacks" in empty.notes[0]
