"""The git baseline end to end: a repository with a committed app, an edited working tree, and
the stateful analyzer's findings against `git:HEAD` (or another ref)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import Repo, git, range_of, run

from sst_lsp.baseline import BaselineCache
from sst_lsp.baseline.git import GitTree

# ----------------------------------------------------------------------------------------------
# Apps.
# ----------------------------------------------------------------------------------------------

V1_APP = {
    "sst.json": '{ "name": "notes", "region": "us-east-1", "main": "stacks/index.ts" }\n',
    "stacks/index.ts": """
        import { App } from "@serverless-stack/resources";
        import { StorageStack } from "./StorageStack";
        import { ApiStack } from "./ApiStack";

        export default function main(app: App) {
          app.stack(StorageStack).stack(ApiStack);
        }
    """,
    "stacks/StorageStack.ts": """
        import { StackContext, Table, Bucket } from "@serverless-stack/resources";

        export function StorageStack({ stack }: StackContext) {
          const table = new Table(stack, "Notes", {
            fields: { userId: "string", noteId: "string" },
            primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
          });
          const bucket = new Bucket(stack, "Uploads");
          return { table, bucket };
        }
    """,
    "stacks/ApiStack.ts": """
        import { StackContext, Api, use } from "@serverless-stack/resources";
        import { StorageStack } from "./StorageStack";

        export function ApiStack({ stack }: StackContext) {
          const { table } = use(StorageStack);
          const api = new Api(stack, "Api", {
            routes: { "GET /notes": "functions/list.main" },
          });
          return { api };
        }
    """,
    "functions/list.ts": "export const main = async () => ({ statusCode: 200 });\n",
}


def committed(repo: Repo, files: dict[str, str], prefix: str = "") -> Path:
    repo.write({prefix + k: v for k, v in files.items()})
    repo.commit("app")
    return repo.root / prefix if prefix else repo.root


# ----------------------------------------------------------------------------------------------
# Moves.
# ----------------------------------------------------------------------------------------------


def test_v1_table_moved_into_a_new_stack_wired_with_use(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    repo.write({
        "stacks/DataStack.ts": """
            import { StackContext, Table } from "@serverless-stack/resources";

            export function DataStack({ stack }: StackContext) {
              const table = new Table(stack, "Notes", {
                fields: { userId: "string", noteId: "string" },
                primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
              });
              return { table };
            }
        """,
        "stacks/StorageStack.ts": """
            import { StackContext, Bucket, use } from "@serverless-stack/resources";
            import { DataStack } from "./DataStack";

            export function StorageStack({ stack }: StackContext) {
              const { table } = use(DataStack);
              const bucket = new Bucket(stack, "Uploads");
              return { table, bucket };
            }
        """,
        "stacks/index.ts": """
            import { App } from "@serverless-stack/resources";
            import { DataStack } from "./DataStack";
            import { StorageStack } from "./StorageStack";
            import { ApiStack } from "./ApiStack";

            export default function main(app: App) {
              app.stack(DataStack).stack(StorageStack).stack(ApiStack);
            }
        """,
    })
    got = run(root)
    f = got.only("stateful-construct-moved")
    assert got.codes() == ["stateful-construct-moved"]
    assert f.severity == "warning"
    assert f.path == root / "stacks/DataStack.ts"
    assert f.range == range_of(root / "stacks/DataStack.ts", '"Notes"')
    assert 'from stack "StorageStack" to stack "DataStack"' in f.message
    assert "the data does not move" in f.message
    # SST's Table sets no removal policy: aws-cdk-lib's RETAIN orphans the old table.
    assert "orphaned" in f.message and "RETAIN" in f.message
    # Both copies carry SST's `{stage}-{app}-{id}` name.
    assert '"dev-notes-Notes"' in f.message
    assert f.related and f.related[0].path == root / "stacks/StorageStack.ts"
    assert "git:HEAD (" in f.related[0].message
    assert got.baseline is not None and got.baseline.description.startswith("git:HEAD (")


def test_v0_class_move(repo: Repo) -> None:
    root = committed(repo, {
        "sst.json": '{ "name": "legacy", "region": "us-east-1", "main": "stacks/index.ts" }\n',
        "stacks/index.ts": """
            import * as sst from "@serverless-stack/resources";
            import StorageStack from "./StorageStack";
            import DataStack from "./DataStack";

            export default function main(app: sst.App): void {
              new StorageStack(app, "storage");
              new DataStack(app, "data");
            }
        """,
        "stacks/StorageStack.ts": """
            import * as sst from "@serverless-stack/resources";

            export default class StorageStack extends sst.Stack {
              constructor(scope: sst.App, id: string, props?: sst.StackProps) {
                super(scope, id, props);
                const table = new sst.Table(this, "Notes", {
                  fields: { pk: sst.TableFieldType.STRING },
                  primaryIndex: { partitionKey: "pk" },
                });
              }
            }
        """,
        "stacks/DataStack.ts": """
            import * as sst from "@serverless-stack/resources";

            export default class DataStack extends sst.Stack {
              constructor(scope: sst.App, id: string, props?: sst.StackProps) {
                super(scope, id, props);
              }
            }
        """,
    })
    repo.write({
        "stacks/StorageStack.ts": """
            import * as sst from "@serverless-stack/resources";

            export default class StorageStack extends sst.Stack {
              constructor(scope: sst.App, id: string, props?: sst.StackProps) {
                super(scope, id, props);
              }
            }
        """,
        "stacks/DataStack.ts": """
            import * as sst from "@serverless-stack/resources";

            export default class DataStack extends sst.Stack {
              constructor(scope: sst.App, id: string, props?: sst.StackProps) {
                super(scope, id, props);
                const table = new sst.Table(this, "Notes", {
                  fields: { pk: sst.TableFieldType.STRING },
                  primaryIndex: { partitionKey: "pk" },
                });
              }
            }
        """,
    })
    got = run(root)
    f = got.only("stateful-construct-moved")
    assert got.codes() == ["stateful-construct-moved"]
    assert 'from stack "storage" to stack "data"' in f.message
    assert f.range == range_of(root / "stacks/DataStack.ts", '"Notes"')


V2_APP = {
    "sst.config.ts": """
        import { SSTConfig } from "sst";
        import { Storage } from "./stacks/Storage";
        import { Web } from "./stacks/Web";

        export default {
          config(_input) {
            return { name: "shop", region: "us-east-1" };
          },
          stacks(app) {
            app.stack(Storage).stack(Web);
          },
        } satisfies SSTConfig;
    """,
    "stacks/Storage.ts": """
        import { StackContext, Bucket, Table } from "sst/constructs";

        export function Storage({ stack }: StackContext) {
          const orders = new Table(stack, "Orders", {
            fields: { id: "string" },
            primaryIndex: { partitionKey: "id" },
          });
          const images = new Bucket(stack, "Images");
          return { orders, images };
        }
    """,
    "stacks/Web.ts": """
        import { StackContext, Api, use } from "sst/constructs";
        import { Storage } from "./Storage";

        export function Web({ stack }: StackContext) {
          use(Storage);
          const api = new Api(stack, "Api", { routes: { "GET /": "src/index.handler" } });
          return { api };
        }
    """,
}


def test_v2_bucket_and_api_moved(repo: Repo) -> None:
    root = committed(repo, V2_APP)
    repo.write({
        "stacks/Storage.ts": """
            import { StackContext, Table } from "sst/constructs";

            export function Storage({ stack }: StackContext) {
              const orders = new Table(stack, "Orders", {
                fields: { id: "string" },
                primaryIndex: { partitionKey: "id" },
              });
              return { orders };
            }
        """,
        "stacks/Web.ts": """
            import { StackContext, Bucket, use } from "sst/constructs";
            import { Storage } from "./Storage";

            export function Web({ stack }: StackContext) {
              use(Storage);
              const images = new Bucket(stack, "Images");
              return { images };
            }
        """,
        "stacks/Rest.ts": """
            import { StackContext, Api } from "sst/constructs";

            export function Rest({ stack }: StackContext) {
              const api = new Api(stack, "Api", { routes: { "GET /": "src/index.handler" } });
              return { api };
            }
        """,
        "sst.config.ts": V2_APP["sst.config.ts"]
        .replace('import { Web } from "./stacks/Web";', 'import { Web } from "./stacks/Web";\n'
                 '        import { Rest } from "./stacks/Rest";')
        .replace("app.stack(Storage).stack(Web);", "app.stack(Storage).stack(Web).stack(Rest);"),
    })
    got = run(root)
    assert got.codes() == ["api-endpoint-changed", "stateful-construct-moved"]
    moved = got.only("stateful-construct-moved")
    assert moved.path == root / "stacks/Web.ts"
    assert 'Bucket "Images" moved from stack "Storage" to stack "Web"' in moved.message
    # A bucket without a name gets a generated one: no clash to report.
    assert "named" not in moved.message
    api = got.only("api-endpoint-changed")
    assert api.severity == "information"
    assert api.path == root / "stacks/Rest.ts"
    assert "new URL" in api.message


def test_app_in_a_subfolder_of_the_repository(repo: Repo) -> None:
    root = committed(repo, V2_APP, prefix="services/shop/")
    text = (root / "stacks/Storage.ts").read_text()
    (root / "stacks/Storage.ts").write_text(text.replace('"Orders"', '"OrderTable"'))
    got = run(root)
    f = got.only("stateful-construct-renamed")
    assert f.range == range_of(root / "stacks/Storage.ts", '"OrderTable"')
    assert f.related[0].path == root / "stacks/Storage.ts"


# ----------------------------------------------------------------------------------------------
# Renames, replacements, policies.
# ----------------------------------------------------------------------------------------------


def test_rename_in_the_same_stack(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    p = root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('"Notes"', '"NotesTable"'))
    got = run(root)
    f = got.only("stateful-construct-renamed")
    assert got.codes() == ["stateful-construct-renamed"]
    assert 'id changed from "Notes" to "NotesTable"' in f.message
    assert "logical id" in f.message
    assert f.related[0].range == range_of(p, "Notes") or f.related[0].path == p


def test_key_change_replaces_and_the_fixed_name_fails(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    p = root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('partitionKey: "userId", sortKey: "noteId"',
                                       'partitionKey: "noteId", sortKey: "userId"'))
    got = run(root)
    f = got.only("stateful-construct-replaced")
    assert got.codes() == ["stateful-construct-replaced"]
    assert "primary key (KeySchema)" in f.message
    assert f.data is not None and f.data["causes"] == ["KeySchema"]
    # SST names the table itself: CloudFormation cannot replace a custom-named resource.
    assert "fixed name" in f.message


def test_key_type_change(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    p = root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('noteId: "string"', 'noteId: "number"'))
    f = run(root).only("stateful-construct-replaced")
    assert f.data is not None and f.data["causes"] == ["AttributeDefinitions (key attribute type)"]


def test_explicit_bucket_name_change(repo: Repo) -> None:
    repo.write(V2_APP)
    p = repo.root / "stacks/Storage.ts"
    p.write_text(p.read_text().replace('new Bucket(stack, "Images")',
                                       'new Bucket(stack, "Images", { name: "shop-images" })'))
    repo.commit()
    p.write_text(p.read_text().replace('"shop-images"', '"shop-pictures"'))
    f = run(repo.root).only("stateful-construct-replaced")
    assert f.data is not None and f.data["causes"] == ["BucketName"]
    assert "the bucket name" in f.message


def test_explicit_retain_and_destroy_policies(repo: Repo) -> None:
    repo.write(V1_APP)
    p = repo.root / "stacks/StorageStack.ts"
    p.write_text(
        'import { RemovalPolicy } from "aws-cdk-lib";\n'
        + p.read_text()
        .replace('primaryIndex: { partitionKey: "userId", sortKey: "noteId" },',
                 'primaryIndex: { partitionKey: "userId", sortKey: "noteId" },\n'
                 "    cdk: { table: { removalPolicy: RemovalPolicy.DESTROY } },")
        .replace('new Bucket(stack, "Uploads")',
                 'new Bucket(stack, "Uploads", { cdk: { bucket: { removalPolicy: RemovalPolicy.RETAIN } } })')
    )
    repo.commit()
    p.write_text(p.read_text().replace('"Notes"', '"Notes2"').replace('"Uploads"', '"Files"'))
    got = run(repo.root)
    assert got.codes() == ["stateful-construct-renamed", "stateful-construct-renamed"]
    table = next(f for f in got.findings if '"Notes2"' in f.message)
    bucket = next(f for f in got.findings if '"Files"' in f.message)
    assert "deleted with its items (DESTROY: its removalPolicy)" in table.message
    assert "orphaned" in bucket.message and "(RETAIN: its removalPolicy)" in bucket.message
    assert table.data is not None and table.data["policy"] == "destroy"
    assert bucket.data is not None and bucket.data["policy"] == "retain"


def test_app_default_removal_policy_overrides(repo: Repo) -> None:
    files = dict(V2_APP)
    files["sst.config.ts"] = files["sst.config.ts"].replace(
        "app.stack(Storage).stack(Web);", 'app.setDefaultRemovalPolicy("destroy");\n    app.stack(Storage).stack(Web);'
    )
    root = committed(repo, files)
    p = root / "stacks/Storage.ts"
    p.write_text(p.read_text().replace('"Images"', '"Pictures"'))
    f = run(root).only("stateful-construct-renamed")
    assert "DESTROY: the app's setDefaultRemovalPolicy" in f.message


def test_removed_table_is_reported_on_its_stack(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    p = root / "stacks/StorageStack.ts"
    p.write_text(
        """import { StackContext, Bucket } from "@serverless-stack/resources";

export function StorageStack({ stack }: StackContext) {
  const bucket = new Bucket(stack, "Uploads");
  return { bucket };
}
"""
    )
    f = run(root).only("stateful-construct-removed")
    assert f.path == p
    assert f.range == range_of(p, "StorageStack")
    assert 'Table "Notes" of stack "StorageStack" is gone' in f.message


def test_stack_renamed(repo: Repo) -> None:
    root = committed(repo, V2_APP)
    repo.write({
        "stacks/Storage.ts": V2_APP["stacks/Storage.ts"].replace("function Storage", "function Data"),
        "stacks/Web.ts": V2_APP["stacks/Web.ts"]
        .replace("import { Storage }", "import { Data }").replace("use(Storage)", "use(Data)"),
        "sst.config.ts": V2_APP["sst.config.ts"]
        .replace("import { Storage }", "import { Data }").replace("app.stack(Storage)", "app.stack(Data)"),
    })
    got = run(root)
    st = got.only("stack-renamed")
    assert st.path == root / "stacks/Storage.ts"
    assert st.range == range_of(root / "stacks/Storage.ts", "Data")
    assert '"Storage" to "Data"' in st.message and '"dev-shop-Data"' in st.message
    moved = [f for f in got.findings if f.code == "stateful-construct-moved"]
    assert sorted(m.message.split('"')[1] for m in moved) == ["Images", "Orders"]
    assert all("moved with its stack" in m.message and "no longer in the app" in m.message for m in moved)


def test_v2_explicit_stack_id_change_is_a_rename(repo: Repo) -> None:
    files = dict(V2_APP)
    files["sst.config.ts"] = files["sst.config.ts"].replace("app.stack(Storage)", 'app.stack(Storage, { id: "storage" })')
    root = committed(repo, files)
    cfg = root / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace('{ id: "storage" }', '{ id: "data" }'))
    st = run(root).only("stack-renamed")
    assert st.path == cfg and st.range == range_of(cfg, '"data"')


# ----------------------------------------------------------------------------------------------
# Quiet cases.
# ----------------------------------------------------------------------------------------------


def test_no_finding_for_an_unrelated_change_a_reformat_or_a_move_inside_the_stack(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    repo.write({
        # Reformatted, reordered (the bucket first) and a comment: the same stack.
        "stacks/StorageStack.ts": """
            import { StackContext, Table, Bucket } from "@serverless-stack/resources";

            export function StorageStack({ stack }: StackContext) {
              // Uploads first now.
              const bucket = new Bucket(stack, "Uploads");
              const table = new Table(stack, "Notes", { fields: { userId: "string", noteId: "string" }, primaryIndex: { partitionKey: "userId", sortKey: "noteId" } });
              return { table, bucket };
            }
        """,
        # An unrelated change: a new route.
        "stacks/ApiStack.ts": V1_APP["stacks/ApiStack.ts"].replace(
            '"GET /notes": "functions/list.main" },', '"GET /notes": "functions/list.main", "POST /notes": "functions/create.main" },'
        ),
    })
    got = run(root)
    assert got.findings == []
    assert got.notes == []


def test_nothing_changed(repo: Repo) -> None:
    root = committed(repo, V2_APP)
    got = run(root)
    assert got.findings == [] and got.notes == []


def test_not_a_git_repository_says_so_once(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    for rel, text in V2_APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    got = run(root)
    assert got.findings == []
    assert got.baseline is None
    assert len(got.notes) == 1 and "is not in a git repository" in got.notes[0]


def test_repository_without_commits(repo: Repo) -> None:
    repo.write(V2_APP)
    got = run(repo.root)
    assert got.findings == []
    assert len(got.notes) == 1 and '"HEAD" does not name a commit' in got.notes[0]


def test_app_new_since_the_ref(repo: Repo) -> None:
    repo.write({"README.md": "hello\n"})
    repo.commit()
    repo.write(V2_APP)
    got = run(repo.root)
    assert got.findings == []
    assert got.notes and "no SST app at git:HEAD" in got.notes[0]


def test_other_refs_and_bad_specs(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    p = root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('"Uploads"', '"Files"'))
    first = repo.commit("rename")
    # Against HEAD~1 the rename shows; against HEAD it does not.
    assert run(root, "git:HEAD~1").codes() == ["stateful-construct-renamed"]
    assert run(root, "git:HEAD").codes() == []
    assert run(root, f"git:{first}").codes() == []
    bad = run(root, "git:--output=x")
    assert bad.findings == [] and "not a valid git revision" in bad.notes[0]
    unknown = run(root, "svn:trunk")
    assert unknown.findings == [] and "Unknown baseline" in unknown.notes[0]


# ----------------------------------------------------------------------------------------------
# Caching.
# ----------------------------------------------------------------------------------------------


def test_state_is_computed_once_per_commit(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = committed(repo, V1_APP)
    cache = BaselineCache()
    built: list[str] = []
    original = GitTree.__init__

    def counting(self: GitTree, top: Path, sha: str) -> None:
        built.append(sha)
        original(self, top, sha)

    monkeypatch.setattr(GitTree, "__init__", counting)
    first = run(root, cache=cache)
    p = root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('"Uploads"', '"Files"'))
    second = run(root, cache=cache)
    # Editing the working tree reuses the commit's state: only the current side is rebuilt.
    assert len(built) == 1
    assert first.baseline is not None and second.baseline is not None
    assert first.baseline.app(root) is second.baseline.app(root)
    assert second.codes() == ["stateful-construct-renamed"]
    sha = repo.commit("next")
    third = run(root, cache=cache)
    assert built == [built[0], sha]
    assert third.codes() == []


def test_git_reads_never_lock_the_index(repo: Repo) -> None:
    root = committed(repo, V1_APP)
    run(root)
    assert not (repo.root / ".git" / "index.lock").exists()
    assert git(repo.root, "status", "--porcelain") == ""
