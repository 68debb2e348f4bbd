"""The stateful-change analyzer (analyzers/stateful.py) and what it builds on: tracked constructs
with their CloudFormation view and removal policy (baseline/kinds.py), and `compare` over
hand-made states."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sst_lsp.analyzers import all_codes, run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.stateful import CODES, compare, replacement_causes
from sst_lsp.baseline import Baseline
from sst_lsp.baseline.kinds import app_default_policy, track
from sst_lsp.baseline.state import STAGE, AppState, CfnView, Policy, StackState, TrackedConstruct
from sst_lsp.model.extract import extract
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import Generation
from sst_lsp.syntax.parser import parse
from sst_lsp.syntax.text import TextRange
from tests.helpers.policy_app import NOTES_TABLE, POLICY_ENTRY, app_before_move, stateful_after_move

PATH = Path("/app/stacks/Stack.ts")


def tracked(body: str, imports: str = 'import { Table, Bucket, RDS, Cognito, Auth, KinesisStream, Api } from "sst/constructs";',
            generation: Generation = "v2", app: str | None = "notes") -> list[TrackedConstruct]:
    """The tracked constructs of a stack function whose body is `body`."""
    src = textwrap.dedent(imports) + "\nexport function Stack({ stack }) {\n" + textwrap.dedent(body) + "\n}\n"
    facts = extract(parse(src, "typescript"), PATH)
    return [t for c in facts.constructs if (t := track(c, app, generation)) is not None]


def one(body: str, **kw: object) -> TrackedConstruct:
    got = tracked(body, **kw)  # type: ignore[arg-type]
    assert len(got) == 1, got
    return got[0]


# ----------------------------------------------------------------------------------------------
# Codes.
# ----------------------------------------------------------------------------------------------


def test_codes_are_public_and_documented() -> None:
    assert {c: i.severity for c, i in CODES.items()} == {
        "stateful-construct-moved": "warning",
        "stateful-construct-renamed": "warning",
        "stateful-construct-replaced": "warning",
        "stateful-construct-removed": "warning",
        "api-endpoint-changed": "information",
        "stack-renamed": "warning",
    }
    for info in CODES.values():
        assert "Rule:" in info.doc and "Example:" in info.doc and "Fix:" in info.doc
    assert set(CODES) <= set(all_codes())


# ----------------------------------------------------------------------------------------------
# Families and CloudFormation views.
# ----------------------------------------------------------------------------------------------


def test_sst_table_maps_to_key_schema_and_sst_name() -> None:
    t = one("""
        new Table(stack, "Notes", {
          fields: { userId: "string", createdAt: "number" },
          primaryIndex: { partitionKey: "userId", sortKey: "createdAt" },
        });
    """)
    assert (t.family, t.kind, t.origin, t.cdk_id) == ("dynamodb-table", "Table", "sst", "Notes")
    assert t.cfn is not None and t.cfn.resource_type == "AWS::DynamoDB::Table"
    assert t.cfn.props == {
        "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}, {"AttributeName": "createdAt", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "userId", "AttributeType": "S"},
                                 {"AttributeName": "createdAt", "AttributeType": "N"}],
        "TableName": f"{STAGE}-notes-Notes",
    }
    assert t.cfn.known == {"KeySchema", "AttributeDefinitions", "TableName"}
    assert t.policy == Policy("retain", "aws-cdk-lib's default (SST's Table sets none)")


def test_sst_table_explicit_name_cdk_id_and_v0_fields() -> None:
    t = one("""
        new Table(stack, "Notes", {
          fields: { pk: "string" }, primaryIndex: { partitionKey: "pk" },
          cdk: { id: "NotesV1", table: { tableName: "notes-table" } },
        });
    """)
    assert t.cdk_id == "NotesV1" and t.cfn is not None and t.cfn.props["TableName"] == "notes-table"
    v0 = one("""
        new sst.Table(this, "Notes", {
          fields: { pk: sst.TableFieldType.BINARY },
          primaryIndex: { partitionKey: "pk" },
          dynamodbTable: { removalPolicy: cdk.RemovalPolicy.DESTROY },
        });
    """, imports='import * as sst from "@serverless-stack/resources";', generation="v0")
    assert v0.cfn is not None
    assert v0.cfn.props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "B"}]
    assert v0.policy == Policy("destroy", "its removalPolicy", explicit=True)


def test_raw_cdk_table_and_bucket() -> None:
    got = tracked("""
        new dynamodb.Table(stack, "Events", {
          partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
          tableName: "events",
        });
        new s3.Bucket(stack, "Files", { removalPolicy: RemovalPolicy.SNAPSHOT });
        new s3.CfnBucket(stack, "Raw", { bucketName: "raw-bucket", versioningConfiguration: { status: "Enabled" } });
    """, imports="""
        import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
        import * as s3 from "aws-cdk-lib/aws-s3";
        import { RemovalPolicy } from "aws-cdk-lib";
    """)
    table, bucket, raw = got
    assert table.origin == "aws-dynamodb" and table.cfn is not None
    assert table.cfn.props == {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                               "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                               "TableName": "events"}
    assert table.policy.value == "retain"
    assert bucket.cfn is not None and bucket.cfn.known == {"BucketName"} and bucket.cfn.props == {}
    assert bucket.policy == Policy("snapshot", "its removalPolicy", explicit=True)
    # L1 props are CloudFormation's in camelCase; there is no DeletionPolicy.
    assert raw.cfn is not None and raw.cfn.props == {"BucketName": "raw-bucket",
                                                     "VersioningConfiguration": {"Status": "Enabled"}}
    assert raw.policy.value == "destroy"


def test_untracked_and_unknown_shapes() -> None:
    got = tracked("""
        new Table(stack, "Imported", { cdk: { table: Table.fromTableName(stack, "T", "x") } });
        new Auth(stack, "Auth", { authenticator: { handler: "src/auth.handler" } });
        new Table(stack, "Spread", { ...shared, primaryIndex: { partitionKey: "pk" } });
    """)
    # An imported table creates nothing; v2's Auth holds no user pool.
    assert [t.id for t in got] == ["Spread"]
    spread = got[0]
    # Spread props: the fields are unknown, so no key schema is claimed.
    assert spread.cfn is not None and "KeySchema" not in (spread.cfn.known or ())
    assert "TableName" not in (spread.cfn.known or ())
    v1_auth = one('new Auth(stack, "Auth", { login: ["email"] });', generation="v1")
    assert v1_auth.family == "cognito-userpool" and v1_auth.cfn is not None
    assert v1_auth.cfn.props == {"UsernameAttributes": ["email"]}


def test_rds_kinesis_and_user_pool_views() -> None:
    rds, stream, pool = tracked("""
        new RDS(stack, "Db", { engine: "postgresql11.13", defaultDatabaseName: "main" });
        new KinesisStream(stack, "Events");
        new Cognito(stack, "Users", { login: ["username", "email"] });
    """)
    assert rds.cfn is not None and rds.cfn.props == {
        "DBClusterIdentifier": f"{STAGE}-notes-db".lower(), "DatabaseName": "main", "Engine": "aurora-postgresql"}
    assert rds.policy.value == "snapshot"
    assert stream.cfn is not None and stream.cfn.props == {"Name": f"{STAGE}-notes-Events"}
    assert stream.policy.value is None and "2.140.0" in stream.policy.source
    assert pool.cfn is not None and pool.cfn.props == {"AliasAttributes": ["email"]}


def test_api_families_and_custom_domain() -> None:
    api, ws = tracked("""
        new Api(stack, "Api", { customDomain: "api.example.com" });
        new WebSocketApi(stack, "Ws");
    """, imports='import { Api, WebSocketApi } from "sst/constructs";')
    assert (api.family, api.custom_domain, api.cfn) == ("http-api", True, None)
    assert (ws.family, ws.custom_domain) == ("websocket-api", False)


def test_app_default_removal_policy() -> None:
    src = 'export default { stacks(app) { app.setDefaultRemovalPolicy("destroy"); } };'
    assert app_default_policy(parse(src, "typescript")) == Policy("destroy", "the app's setDefaultRemovalPolicy")
    cond = 'export default function main(app) { app.setDefaultRemovalPolicy(app.local ? "destroy" : "retain"); }'
    got = app_default_policy(parse(cond, "typescript"))
    assert got is not None and got.value is None
    assert app_default_policy(parse("export default {};", "typescript")) is None


# ----------------------------------------------------------------------------------------------
# Replacement causes.
# ----------------------------------------------------------------------------------------------


_LINES = iter(range(1, 10_000))


def _t(family: str, cfn: CfnView | None, cid: str = "X", stack: str | None = "S", **kw: object) -> TrackedConstruct:
    """A tracked construct on a line of its own."""
    line = next(_LINES)
    return TrackedConstruct(family=family, kind="Thing", origin="sst", id=cid, cdk_id=cid, stack=stack, cfn=cfn,
                            path=PATH, range=TextRange.of(line, 1, line, 1 + len(cid)), **kw)  # type: ignore[arg-type]


def test_replacement_causes_use_the_schema_and_the_supplement() -> None:
    old = _t("cognito-userpool", CfnView("AWS::Cognito::UserPool", {}, frozenset({"UsernameAttributes", "AliasAttributes"})))
    new = _t("cognito-userpool", CfnView("AWS::Cognito::UserPool", {"UsernameAttributes": ["email"]},
                                          frozenset({"UsernameAttributes", "AliasAttributes"})))
    assert replacement_causes(old, new, None) == ["UsernameAttributes"]
    a = _t("kinesis-stream", CfnView("AWS::Kinesis::Stream", {"Name": "a"}, frozenset({"Name"})))
    b = _t("kinesis-stream", CfnView("AWS::Kinesis::Stream", {"Name": "b"}, frozenset({"Name"})))
    assert replacement_causes(a, b, None) == ["Name"]
    # A property only one side knows is not compared.
    c = _t("kinesis-stream", CfnView("AWS::Kinesis::Stream", {}, frozenset()))
    assert replacement_causes(a, c, None) == []
    # The RDS engine (documented "Update requires: Replacement", not in the schema).
    e1 = _t("rds-cluster", CfnView("AWS::RDS::DBCluster", {"Engine": "aurora-mysql"}, frozenset({"Engine"})))
    e2 = _t("rds-cluster", CfnView("AWS::RDS::DBCluster", {"Engine": "aurora-postgresql"}, frozenset({"Engine"})))
    assert replacement_causes(e1, e2, None) == ["Engine"]


def test_switching_between_sst_and_cdk_classes_changes_the_logical_id() -> None:
    view = CfnView("AWS::S3::Bucket", {}, frozenset({"BucketName"}), "BucketName")
    sst = _t("s3-bucket", view, "Files")
    raw = TrackedConstruct(family="s3-bucket", kind="Bucket", origin="aws-s3", id="Files", cdk_id="Files",
                           stack="S", cfn=view, path=PATH, range=TextRange.of(90, 1, 90, 6))
    assert replacement_causes(sst, raw, None) == ["construct"]
    got = compare(state(sst), state(raw), "git:HEAD")
    assert [f.code for f in got] == ["stateful-construct-replaced"]
    assert "construct class" in got[0].message


def test_stage_placeholder_against_a_template() -> None:
    code = _t("dynamodb-table", CfnView("AWS::DynamoDB::Table", {"TableName": f"{STAGE}-notes-Notes"},
                                        frozenset({"TableName"}), "TableName"))
    tpl_same = _t("dynamodb-table", CfnView("AWS::DynamoDB::Table", {"TableName": "prod-notes-Notes"}, None, "TableName"))
    assert replacement_causes(tpl_same, code, "prod") == []
    assert replacement_causes(tpl_same, code, "dev") == ["TableName"]
    # Code against code: an explicit name where SST's default was is a change only if it differs
    # for some stage; without a stage it is not claimed.
    explicit = _t("dynamodb-table", CfnView("AWS::DynamoDB::Table", {"TableName": "dev-notes-Notes"},
                                            frozenset({"TableName"}), "TableName"))
    assert replacement_causes(code, explicit, None) == []


# ----------------------------------------------------------------------------------------------
# compare() on hand-made states.
# ----------------------------------------------------------------------------------------------


def state(*cs: TrackedConstruct, stacks: tuple[str, ...] = ("S", "T"), stage: str | None = None,
          physical: dict[str, str] | None = None) -> AppState:
    return AppState(
        root=Path("/app"), name="notes",
        stacks={s: StackState(s, s, PATH, TextRange.of(0, 0, 0, 1), physical_name=(physical or {}).get(s))
                for s in stacks},
        constructs=cs, stage=stage, entry=Path("/app/sst.config.ts"), entry_range=TextRange.of(0, 0, 0, 0),
    )


BUCKET = CfnView("AWS::S3::Bucket", {}, frozenset({"BucketName"}), "BucketName")


def test_dynamic_ids_are_never_matched_and_hold_back_removals() -> None:
    old = state(_t("s3-bucket", BUCKET, "Files"))
    new = state(_t("s3-bucket", BUCKET, "`files-${i}`", dynamic=True))
    assert compare(old, new, "git:HEAD") == []


def test_unknown_stack_is_left_alone() -> None:
    old = state(_t("s3-bucket", BUCKET, "Files", stack="S"))
    new = state(_t("s3-bucket", BUCKET, "Files", stack=None))
    assert compare(old, new, "git:HEAD") == []


def test_explicit_unchanged_stack_name_is_the_same_stack() -> None:
    old = state(_t("s3-bucket", BUCKET, "Files", stack="S"), stacks=("S",), physical={"S": "shared-storage"})
    new = state(_t("s3-bucket", BUCKET, "Files", stack="N"), stacks=("N",), physical={"N": "shared-storage"})
    assert compare(old, new, "git:HEAD") == []


def test_two_renames_in_one_stack_pair_by_equal_properties() -> None:
    a = CfnView("AWS::S3::Bucket", {"BucketName": "a"}, frozenset({"BucketName"}), "BucketName")
    t1 = CfnView("AWS::DynamoDB::Table", {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]},
                 frozenset({"KeySchema"}), "TableName")
    t2 = CfnView("AWS::DynamoDB::Table", {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]},
                 frozenset({"KeySchema"}), "TableName")
    old = state(_t("dynamodb-table", t1, "A"), _t("dynamodb-table", t2, "B"), _t("s3-bucket", a, "C"))
    new = state(_t("dynamodb-table", t2, "B2"), _t("dynamodb-table", t1, "A2"), _t("s3-bucket", a, "C"))
    got = compare(old, new, "git:HEAD")
    assert sorted(f.message.split(" in stack")[0] for f in got) == [
        'Thing id changed from "A" to "A2"', 'Thing id changed from "B" to "B2"']


def test_analyzer_reads_per_app_baselines(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "stacks").mkdir(parents=True)
    (root / "sst.config.ts").write_text(
        'import { S } from "./stacks/S";\nexport default { config() { return { name: "notes" }; }, '
        "stacks(app) { app.stack(S); } };\n"
    )
    (root / "stacks/S.ts").write_text(
        'import { Bucket } from "sst/constructs";\nexport function S({ stack }) { new Bucket(stack, "Files"); }\n'
    )
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    old = state(_t("s3-bucket", BUCKET, "Uploads", stack="S"), stacks=("S",))
    old = AppState(root=root, name="notes", stacks=old.stacks, constructs=old.constructs)
    b = Baseline("git:HEAD (abc1234)", "git", {root: old})
    got = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver, baselines={root: b}), only=["stateful"])
    assert [f.code for f in got] == ["stateful-construct-renamed"]
    assert "git:HEAD (abc1234)" in got[0].message
    # An app explicitly without a baseline stays quiet even when a global one is set.
    quiet = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver, baseline=b, baselines={root: None}),
                    only=["stateful"])
    assert quiet == []


# ----------------------------------------------------------------------------------------------
# `setDefaultRemovalPolicy` in the baseline, decided for the stage (model/removal.py, shared
# with the embedded synth: tests/cloud/test_synth_coverage.py compares with the templates).
# ----------------------------------------------------------------------------------------------

# The entry of tests/helpers/policy_app.py a line lower (its removal-policy lines on line 12), and
# the table after a blank line.
_POLICY_ENTRY = "\n" + POLICY_ENTRY
_TABLE = "\n" + NOTES_TABLE


def moved_table_message(tmp_path: Path, entry: str, stage: str, storage: str = "") -> tuple[str, object]:
    """The stateful-construct-moved message (and its policy) for the Notes table moved from
    Storage to Api, against a baseline read from the app's files before the move (the way a git
    baseline reads a commit)."""
    root = tmp_path / "app"
    _app, old = app_before_move(root, entry, storage, template=_POLICY_ENTRY, table=_TABLE)
    got = stateful_after_move(root, entry, storage, stage, old, template=_POLICY_ENTRY, table=_TABLE)
    moved = [f for f in got if f.code == "stateful-construct-moved"]
    assert len(moved) == 1, [(f.code, f.message) for f in got]
    return moved[0].message, moved[0].data["policy"]


GUARDED = '    if (app.stage !== "prod") {\n      app.setDefaultRemovalPolicy("destroy");\n    }'


def test_moved_table_under_an_unconditional_destroy_default(tmp_path: Path) -> None:
    msg, policy = moved_table_message(tmp_path, '    app.setDefaultRemovalPolicy("destroy");', "prod")
    assert policy == "destroy"
    assert "is deleted with its items (DESTROY: the app's setDefaultRemovalPolicy)" in msg


def test_moved_table_under_a_stage_condition_follows_the_stage(tmp_path: Path) -> None:
    msg, policy = moved_table_message(tmp_path / "dev", GUARDED, "dev")
    assert policy == "destroy"
    assert ('is deleted with its items (DESTROY: the app\'s setDefaultRemovalPolicy under '
            '`app.stage !== "prod"` at stage "dev")') in msg
    # On prod the call does not run: the table keeps aws-cdk-lib's RETAIN (what the template says).
    msg, policy = moved_table_message(tmp_path / "prod", GUARDED, "prod")
    assert policy == "retain"
    assert "is orphaned" in msg and "RETAIN: aws-cdk-lib's default (SST's Table sets none)" in msg
    assert "setDefaultRemovalPolicy" not in msg
    # A ternary argument, decided the same way.
    ternary = '    app.setDefaultRemovalPolicy(app.stage === "prod" ? "retain" : "destroy");'
    assert moved_table_message(tmp_path / "t-prod", ternary, "prod")[1] == "retain"
    assert moved_table_message(tmp_path / "t-dev", ternary, "dev")[1] == "destroy"


def test_moved_table_under_an_undecidable_condition_says_what_the_template_keeps(tmp_path: Path) -> None:
    msg, policy = moved_table_message(tmp_path, '    if (process.env.CI) app.setDefaultRemovalPolicy("destroy");', "dev")
    assert policy == "retain"
    assert "is orphaned" in msg
    assert ("setDefaultRemovalPolicy at sst.config.ts:12 (under `process.env.CI`) is left out, as in the "
            "templates: it cannot be decided statically") in msg


def test_moved_table_under_a_stack_default_of_its_old_stack(tmp_path: Path) -> None:
    msg, policy = moved_table_message(tmp_path / "own", "", "dev",
                                      storage='  stack.setDefaultRemovalPolicy("destroy");')
    assert policy == "destroy"
    assert 'deleted with its items (DESTROY: stack "Storage"\'s setDefaultRemovalPolicy)' in msg
    # Another stack's default does not reach it; the app's is overridden by the stack's.
    other = '    app.setDefaultRemovalPolicy("destroy");'
    msg, policy = moved_table_message(tmp_path / "over", other, "dev",
                                      storage='  stack.setDefaultRemovalPolicy("retain");')
    assert policy == "retain" and 'RETAIN: stack "Storage"\'s setDefaultRemovalPolicy' in msg


def test_app_default_removal_policy_at_a_stage() -> None:
    pf = parse(_POLICY_ENTRY % GUARDED, "typescript")
    assert app_default_policy(pf, "dev") == Policy(
        "destroy", 'the app\'s setDefaultRemovalPolicy under `app.stage !== "prod"` at stage "dev"')
    assert app_default_policy(pf, "prod") is None
    # Without a stage, a conditional call is not decided.
    got = app_default_policy(pf)
    assert got is not None and got.value is None


# ----------------------------------------------------------------------------------------------
# aws-cdk-lib's real defaults (the table in baseline/kinds.py).
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cdk_default_removal_policies_match_real_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_VALIDATION", "false")
    monkeypatch.setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    import aws_cdk as cdk
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_dynamodb as ddb
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_rds as rds
    from aws_cdk import aws_s3 as s3

    from sst_lsp.baseline.kinds import CDK_DEFAULT_POLICY

    app = cdk.App(outdir=str(tmp_path / "out"))
    st = cdk.Stack(app, "S")
    ddb.Table(st, "T", partition_key=ddb.Attribute(name="id", type=ddb.AttributeType.STRING))
    s3.Bucket(st, "B")
    cognito.UserPool(st, "U")
    vpc = ec2.Vpc(st, "V")
    rds.DatabaseCluster(st, "C", vpc=vpc, writer=rds.ClusterInstance.provisioned("w"),
                        engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_15_4))
    rds.DatabaseInstance(st, "I", vpc=vpc,
                         engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_15))
    template = app.synth().get_stack_by_name("S").template
    # Logical ids start with the construct id (the cluster's writer instance starts with "Cw").
    want = {"T": "AWS::DynamoDB::Table", "B": "AWS::S3::Bucket", "U": "AWS::Cognito::UserPool",
            "C": "AWS::RDS::DBCluster", "I": "AWS::RDS::DBInstance"}
    seen = {res["Type"]: res.get("DeletionPolicy") for lid, res in template["Resources"].items()
            if want.get(lid[0]) == res["Type"] and not lid.startswith("Cw")}
    words = {"retain": "Retain", "snapshot": "Snapshot", "destroy": "Delete"}
    assert seen["AWS::DynamoDB::Table"] == words[CDK_DEFAULT_POLICY["dynamodb-table"] or ""]
    assert seen["AWS::S3::Bucket"] == words[CDK_DEFAULT_POLICY["s3-bucket"] or ""]
    assert seen["AWS::Cognito::UserPool"] == words[CDK_DEFAULT_POLICY["cognito-userpool"] or ""]
    assert seen["AWS::RDS::DBCluster"] == words[CDK_DEFAULT_POLICY["rds-cluster"] or ""]
    assert seen["AWS::RDS::DBInstance"] == words[CDK_DEFAULT_POLICY["rds-instance"] or ""]
