"""Structure diagnostics (analyzers/structure.py), on fixture apps and on small apps written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.analyzers import all_codes
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.structure import CODES, analyze, route_problem
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import Finding
from tests.conftest import FIXTURE_APPS, check_fixture_app, fixture_markers

APPS = ["v0-class-js", "v1-functional-ts", "v2-monorepo", "v3-run"]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    return root


def structure(root: Path) -> list[Finding]:
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    return sorted(analyze(AnalysisContext(snapshot=snap, resolver=index.resolver)), key=Finding.sort_key)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def v2_app(root: Path, stacks: str, stack_files: dict[str, str]) -> Path:
    files = {
        "sst.config.ts": (
            'import { A } from "./stacks/A";\n'
            'import { B } from "./stacks/B";\n'
            "export default {\n"
            '  config() { return { name: "t", region: "us-east-1" }; },\n'
            f"  stacks(app) {{\n{stacks}\n  }},\n"
            "};\n"
        ),
        "stacks/A.ts": 'import { StackContext } from "sst/constructs";\nexport function A({ stack }: StackContext) {}\n',
    }
    if "B" in stacks:
        files["stacks/B.ts"] = 'import { StackContext } from "sst/constructs";\nexport function B({ stack }: StackContext) {}\n'
    files.update(stack_files)
    return write(root, files)


# ----------------------------------------------------------------------------------------------
# Fixture apps: every marker is reported, nothing else is.
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app", APPS)
def test_fixture_app_diagnostics_match_markers(app: str) -> None:
    findings = check_fixture_app(FIXTURE_APPS / app)
    assert findings, "each fixture app carries at least one expected diagnostic"


def test_fixture_apps_cover_every_structure_code() -> None:
    marked = {m.code for app in APPS for m in fixture_markers(FIXTURE_APPS / app)}
    # config-invalid needs an unreadable config; it is tested below on apps written here.
    assert set(CODES) - {"config-invalid"} <= marked
    assert {"handler-not-found", "handler-export-missing"} <= marked


def test_markers_in_build_and_dependency_folders_would_be_caught(tmp_path: Path) -> None:
    # A marker the analyzers do not confirm fails the comparison (so fixtures cannot rot).
    root = v2_app(tmp_path, "    app.stack(A);", {
        "stacks/A.ts": (
            'import { StackContext, Table } from "sst/constructs";\n'
            "export function A({ stack }: StackContext) {\n"
            '  new Table(stack, "T", { fields: { pk: "string" }, primaryIndex: { partitionKey: "pk" } });\n'
            "//                 ^ error duplicate-construct-id\n"
            "}\n"
        ),
    })
    with pytest.raises(AssertionError, match="missing \\(marked, not reported\\)"):
        check_fixture_app(root)


def test_codes_are_documented_and_registered() -> None:
    registered = all_codes()
    for code, info in CODES.items():
        assert info.code == code
        assert registered[code] is info
        assert info.summary.endswith(".")
        assert "Rule:" in info.doc and "Example:" in info.doc and "Fix:" in info.doc
    assert {c: i.severity for c, i in CODES.items()} == {
        "route-invalid": "error",
        "duplicate-construct-id": "error",
        "duplicate-stack-id": "error",
        "stack-not-registered": "warning",
        "table-index-field-missing": "error",
        "config-invalid": "error",
    }


# ----------------------------------------------------------------------------------------------
# route-invalid
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "GET /notes", "POST /notes", "PUT /notes/{id}", "PATCH /a", "DELETE /a/{b}", "HEAD /", "OPTIONS /x",
        "ANY /{proxy+}", "ANY /", "$default", "get /lowercase", "GET   /extra/spaces", "GET\t/tab",
        "GET /a/{id}/b/{proxy+}", "GET /v1.0/a_b-c:d",
    ],
)
def test_valid_http_routes(key: str) -> None:
    assert route_problem(key, "Api") is None
    assert route_problem(key, "ApiGatewayV2") is None


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("GET notes", 'must start with "/"'),
        ("GET /notes/", 'must not end with "/"'),
        ("FETCH /notes", 'unknown method "FETCH"'),
        ("/notes", 'not "METHOD /path"'),
        ("GET", 'not "METHOD /path"'),
        (" GET /notes", 'not "METHOD /path"'),
        ("GET /a b", 'not "METHOD /path"'),
        ("$connect", 'only special route is "$default"'),
        ("GET /notes/{id", "malformed"),
        ("GET /notes/id}", "malformed"),
        ("GET /notes/x{id}", "malformed"),
        ("GET /notes/{}", "has no name"),
        ("GET /notes/{+}", "has no name"),
        ("GET /files/{proxy+}/meta", "must be the last part"),
        ("GET /a//b", "empty path segment"),
        ("GET /a/{b*}", "may only hold"),
        ("", 'not "METHOD /path"'),
    ],
)
def test_invalid_http_routes(key: str, fragment: str) -> None:
    problem = route_problem(key, "Api")
    assert problem is not None and fragment in problem


def test_rest_routes_follow_cdk_resource_paths() -> None:
    # CDK's resourceForPath accepts a path without its leading "/" and a trailing "/".
    for ok in ("GET /legacy", "GET legacy/{id}", "GET /legacy/", "ANY /{proxy+}", "GET /a/{id}/{path+}", "GET /"):
        assert route_problem(ok, "ApiGatewayV1Api") is None, ok
    for bad, fragment in [
        ("$default", "no \"$default\""),
        ("GET /a*b", "may only hold"),
        ("GET /a//b", "empty path segment"),
        ("GET /{proxy+}/x", "must be the last part"),
        ("TRACE /x", "unknown method"),
    ]:
        problem = route_problem(bad, "ApiGatewayV1Api")
        assert problem is not None and fragment in problem, bad


def test_websocket_routes() -> None:
    for ok in ("$connect", "$disconnect", "$default", "sendMessage", "GET /looks-like-http"):
        assert route_problem(ok, "WebSocketApi") is None
        assert route_problem(ok, "ApiGatewayWebSocket") is None
    assert "$connected" in (route_problem("$connected", "WebSocketApi") or "")
    assert route_problem("", "WebSocketApi") is not None


def test_appsync_resolver_keys() -> None:
    for ok in ("Query listNotes", "Mutation createNote", "Subscription  onNote", "_Type field_1"):
        assert route_problem(ok, "AppSyncApi") is None
    for bad in ("Query", "Query list notes", "Query list-notes", "1Query x", ""):
        assert route_problem(bad, "AppSyncApi") is not None, bad


def test_route_invalid_points_at_the_key(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", {
        "stacks/A.ts": (
            'import { Api, StackContext } from "sst/constructs";\n'
            "export function A({ stack }: StackContext) {\n"
            '  new Api(stack, "Api", { routes: { "GET notes": "src/a.handler" } });\n'
            "}\n"
        ),
    })
    (f,) = structure(root)
    assert f.code == "route-invalid" and f.severity == "error"
    assert (f.range.start.line, f.range.start.col, f.range.end.col) == (2, 37, 46)
    assert f.message == 'Route "GET notes": the path must start with "/" (write "/notes").'


# ----------------------------------------------------------------------------------------------
# duplicate-construct-id
# ----------------------------------------------------------------------------------------------


def _stack_a(body: str) -> dict[str, str]:
    return {
        "stacks/A.ts": (
            'import { Bucket, Function, StackContext, Table } from "sst/constructs";\n'
            'import * as s3 from "aws-cdk-lib/aws-s3";\n'
            f"export function A({{ stack, app }}: StackContext) {{\n{body}\n}}\n"
        )
    }


def test_duplicate_construct_id_reports_the_second_with_the_first_related(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(
        '  new Bucket(stack, "Files");\n'
        '  new s3.Bucket(stack, "Files");'
    ))
    (f,) = structure(root)
    assert f.code == "duplicate-construct-id"
    assert f.range.start.line == 4 and f.related[0].range.start.line == 3
    assert f.related[0].path == root / "stacks/A.ts"
    assert 'Construct id "Files" is already used in stack "A"' in f.message
    assert "Bucket on line 4" in f.message


@pytest.mark.parametrize(
    "body",
    [
        # Exclusive branches of an if/else, a ternary and a switch.
        '  if (app.stage === "prod") {\n    new Bucket(stack, "F");\n  } else {\n    new Bucket(stack, "F");\n  }',
        '  const b = app.local ? new Bucket(stack, "F") : new Bucket(stack, "F", { cors: true });',
        (
            '  switch (app.stage) {\n    case "a": new Bucket(stack, "F"); break;\n'
            '    default: new Bucket(stack, "F");\n  }'
        ),
        # Different callbacks, different scopes, dynamic ids.
        '  ["a"].forEach(() => new Bucket(stack, "F"));\n  ["b"].forEach(() => new Bucket(stack, "F"));',
        '  const api = new Bucket(stack, "F");\n  new Bucket(api, "F");',
        '  for (const n of ["a", "b"]) {\n    new Bucket(stack, `F${n}`);\n  }\n  new Bucket(stack, `F${x}`);',
    ],
)
def test_duplicate_construct_id_not_reported(tmp_path: Path, body: str) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(body))
    assert codes(structure(root)) == []


@pytest.mark.parametrize(
    "body",
    [
        # One unconditional, one conditional: both run when the condition holds.
        '  new Bucket(stack, "F");\n  if (app.local) {\n    new Bucket(stack, "F");\n  }',
        # Both in the same branch.
        '  if (app.local) {\n    new Bucket(stack, "F");\n    new Table(stack, "F", {});\n  }',
        # An id held in a constant is still one id.
        '  const ID = "F";\n  new Bucket(stack, ID);\n  new Bucket(stack, "F");',
    ],
)
def test_duplicate_construct_id_reported(tmp_path: Path, body: str) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(body))
    assert codes(structure(root)) == ["duplicate-construct-id"]


def test_same_ids_in_different_stacks_are_fine(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A).stack(B);", {
        "stacks/A.ts": 'import { Bucket } from "sst/constructs";\nexport function A({ stack }) { new Bucket(stack, "F"); }\n',
        "stacks/B.ts": 'import { Bucket } from "sst/constructs";\nexport function B({ stack }) { new Bucket(stack, "F"); }\n',
    })
    assert codes(structure(root)) == []


def test_v3_component_names_are_unique_per_app(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.config.ts": (
            'export default $config({\n  app() { return { name: "x" }; },\n  async run() {\n'
            '    await import("./infra");\n    new sst.aws.Queue("Q");\n  },\n});\n'
        ),
        "infra.ts": 'export const q = new sst.aws.Queue("Q");\nif ($app.stage === "x") { new sst.aws.Bucket("B"); } else { new sst.aws.Bucket("B"); }\n',
    })
    findings = structure(tmp_path)
    assert codes(findings) == ["duplicate-construct-id"]
    assert findings[0].path == tmp_path / "sst.config.ts"
    assert findings[0].related[0].path == tmp_path / "infra.ts"


# ----------------------------------------------------------------------------------------------
# duplicate-stack-id
# ----------------------------------------------------------------------------------------------


def test_duplicate_stack_ids(tmp_path: Path) -> None:
    root = v2_app(tmp_path, '    app.stack(A, { id: "x" });\n    app.stack(B, { id: "x" });', {})
    (f,) = structure(root)
    assert f.code == "duplicate-stack-id"
    assert f.message.startswith('Stack id "x" is already registered on line 6')
    text = (root / "sst.config.ts").read_text().split("\n")[f.range.start.line]
    assert text[f.range.start.col : f.range.end.col] == "x"


def test_one_stack_function_registered_twice(tmp_path: Path) -> None:
    root = v2_app(tmp_path, '    app.stack(A).stack(A, { id: "again" });', {})
    (f,) = structure(root)
    assert f.code == "duplicate-stack-id" and "StackDuplicates" in f.message


def test_stack_registrations_in_exclusive_branches(tmp_path: Path) -> None:
    root = v2_app(
        tmp_path,
        '    if (app.stage === "prod") { app.stack(A, { id: "x" }); } else { app.stack(B, { id: "x" }); }\n'
        "    app.stage === 'dev' ? app.stack(B) : app.stack(B);",
        {},
    )
    assert codes(structure(root)) == []


def test_v0_class_registered_twice_under_two_ids_is_fine(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "stacks/index.js" }',
        "stacks/index.js": 'import S from "./S";\nexport default function main(app) {\n'
                           '  new S(app, "one");\n  new S(app, "two");\n}\n',
        "stacks/S.js": 'import * as sst from "@serverless-stack/resources";\n'
                       "export default class S extends sst.Stack {}\n",
    })
    assert codes(structure(tmp_path)) == []


# ----------------------------------------------------------------------------------------------
# stack-not-registered
# ----------------------------------------------------------------------------------------------


def test_stack_not_registered(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", {
        "stacks/B.ts": 'import { StackContext } from "sst/constructs";\nexport function B({ stack }: StackContext) {}\n',
    })
    (f,) = structure(root)
    assert f.code == "stack-not-registered" and f.severity == "warning"
    assert f.path == root / "stacks/B.ts"
    assert f.message == 'Stack "B" is never registered, so it is never deployed: add `app.stack(B)` in sst.config.ts.'


def test_stack_not_registered_is_silent_when_a_registration_cannot_be_linked(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    for (const s of [A, B]) app.stack(s);", {
        "stacks/C.ts": 'import { StackContext } from "sst/constructs";\nexport function C({ stack }: StackContext) {}\n',
    })
    assert codes(structure(root)) == []


def test_stacks_from_packages_do_not_silence_it(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A).stack(Shared);", {
        "stacks/B.ts": 'import { StackContext } from "sst/constructs";\nexport function B({ stack }: StackContext) {}\n',
    })
    cfg = root / "sst.config.ts"
    cfg.write_text('import { Shared } from "@org/stacks";\n' + cfg.read_text())
    assert codes(structure(root)) == ["stack-not-registered"]


def test_helpers_taking_a_stack_context_and_wrapped_stacks(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A).stack((ctx) => B({ ...ctx, extra: 1 }));", {
        "stacks/A.ts": (
            'import { StackContext } from "sst/constructs";\nimport { helper } from "./helper";\n'
            "export function A(ctx: StackContext) { helper(ctx); }\n"
        ),
        "stacks/helper.ts": 'import { StackContext } from "sst/constructs";\nexport function helper({ stack }: StackContext) {}\n',
    })
    assert codes(structure(root)) == []


def test_no_stack_warnings_without_an_entry_or_in_v3(tmp_path: Path) -> None:
    write(tmp_path / "v1", {
        "sst.json": '{ "name": "x", "main": "nope.ts" }',
        "stacks/A.ts": 'export function A({ stack }) {}\n',
    })
    write(tmp_path / "v3", {
        "sst.config.ts": 'export default $config({ app() { return { name: "y" }; }, async run() {} });\n',
        "stacks/A.ts": 'export function A({ stack }) {}\n',
    })
    assert codes(structure(tmp_path)) == ["config-invalid"]


# ----------------------------------------------------------------------------------------------
# table-index-field-missing
# ----------------------------------------------------------------------------------------------


def test_table_index_fields(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(
        '  new Table(stack, "T", {\n'
        '    fields: { pk: "string", sk: "string" },\n'
        '    primaryIndex: { partitionKey: "pk", sortKey: "sK" },\n'
        '    globalIndexes: { g: { partitionKey: "gpk" }, ok: { partitionKey: "sk" } },\n'
        '    localIndexes: { l: { sortKey: "lsk" } },\n'
        "  });"
    ))
    findings = structure(root)
    assert codes(findings) == ["table-index-field-missing"] * 3
    assert [f.message for f in findings] == [
        'sortKey "sK" of the primary index of Table "T" is not declared in `fields` (declared: pk, sk).',
        'partitionKey "gpk" of the index "g" of Table "T" is not declared in `fields` (declared: pk, sk).',
        'sortKey "lsk" of the index "l" of Table "T" is not declared in `fields` (declared: pk, sk).',
    ]
    assert all(f.related[0].message == "the Table's fields" for f in findings)


@pytest.mark.parametrize(
    "fields",
    [
        "{ ...shared, pk: \"string\" }",  # A spread we cannot see into.
        "makeFields()",
        "FIELDS",  # An import.
    ],
)
def test_table_fields_we_cannot_see_are_not_checked(tmp_path: Path, fields: str) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(
        f'  new Table(stack, "T", {{ fields: {fields}, primaryIndex: {{ partitionKey: "pk", sortKey: "zz" }} }});'
    ))
    assert codes(structure(root)) == []


def test_table_fields_through_constants(tmp_path: Path) -> None:
    root = v2_app(tmp_path, "    app.stack(A);", _stack_a(
        '  const base = { pk: "string" };\n'
        '  new Table(stack, "T", { fields: { ...base, sk: "string" }, primaryIndex: { partitionKey: "pk", sortKey: "sk" } });\n'
        '  new Table(stack, "U", { fields: { ...base }, primaryIndex: { partitionKey: "pk", sortKey: "sk" } });'
    ))
    findings = structure(root)
    assert codes(findings) == ["table-index-field-missing"]
    assert '"U"' in findings[0].message


# ----------------------------------------------------------------------------------------------
# config-invalid
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "fragment", "line"),
    [
        ({"sst.json": '{ "region": "us-east-1", "main": "stacks/index.ts" }', "stacks/index.ts": ""}, 'has no "name"', 0),
        ({"sst.json": '{\n  "name": "x",\n  "main": "lib/nope.ts"\n}'}, '"lib/nope.ts" named by "main" does not exist', 2),
        ({"sst.json": '{ "name": "x" }'}, "No entry file", 0),
        ({"sst.json": '{\n  "name": "x",,\n}'}, "not valid JSON", 1),
        ({"sst.json": "[1, 2]"}, "must hold a JSON object", 0),
        ({"sst.config.ts": "export const x = 1;\n"}, "has no `export default", 0),
        ({"sst.config.ts": "export default {\n  config() { return { region: 'x' }; },\n  stacks(app) {},\n};\n"},
         "sets no app name", 1),
        ({"sst.config.ts": "export default $config({\n  async run() {},\n});\n"}, "sets no app name", 0),
    ],
)
def test_config_invalid(tmp_path: Path, files: dict[str, str], fragment: str, line: int) -> None:
    write(tmp_path, files)
    findings = structure(tmp_path)
    assert codes(findings) == ["config-invalid"]
    assert fragment in findings[0].message
    assert findings[0].range.start.line == line
    assert findings[0].path.name in ("sst.json", "sst.config.ts")


def test_config_invalid_for_binary_and_invalid_utf8_sst_json(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "sst.json").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "sst.json").write_bytes(b'{ "name": "caf\xe9", "main": "stacks/index.ts" }')
    (tmp_path / "b" / "stacks").mkdir()
    (tmp_path / "b" / "stacks" / "index.ts").write_text("")
    findings = structure(tmp_path)
    assert [(f.path.parent.name, f.code) for f in findings] == [("a", "config-invalid")]
    assert "cannot be read" in findings[0].message


def test_v2_config_name_anchor_is_the_config_key(tmp_path: Path) -> None:
    write(tmp_path, {"sst.config.ts": "export default {\n  config() {\n    return {};\n  },\n};\n"})
    (f,) = structure(tmp_path)
    assert (f.range.start.line, f.range.start.col, f.range.end.col) == (1, 2, 8)


def test_stack_folders_are_searched_recursively_for_unregistered_stacks(tmp_path: Path) -> None:
    write(tmp_path, {
        "sst.json": '{ "name": "x", "main": "lib/index.js" }',
        "lib/index.js": 'import A from "./A";\nexport default function main(app) { new A(app, "a"); }\n',
        "lib/A.js": 'import * as sst from "@serverless-stack/resources";\nexport default class A extends sst.Stack {}\n',
        "lib/nested/Old.js": 'import * as sst from "@serverless-stack/resources";\nexport class Old extends sst.Stack {}\n',
        "lib/__tests__/T.js": 'import * as sst from "@serverless-stack/resources";\nexport class T extends sst.Stack {}\n',
        "lib/A.test.js": 'import * as sst from "@serverless-stack/resources";\nexport class U extends sst.Stack {}\n',
        "stacks/deep/er/Fn.ts": "export function Fn({ stack }) {}\n",
        "stacks/types.d.ts": "export declare function D({ stack }): void;\n",
    })
    findings = structure(tmp_path)
    assert [(f.code, f.path.relative_to(tmp_path).as_posix()) for f in findings] == [
        ("stack-not-registered", "lib/nested/Old.js"),
        ("stack-not-registered", "stacks/deep/er/Fn.ts"),
    ]
    assert "new Old(app, \"id\")" in findings[0].message


def test_duplicate_names_speak_of_the_generation(tmp_path: Path) -> None:
    v3 = write(tmp_path / "v3", {
        "sst.config.ts": 'export default $config({ app() { return { name: "a" }; }, async run() {\n'
                         '  new sst.aws.Bucket("Files");\n  new sst.aws.Bucket("Files");\n} });\n',
    })
    [f] = [f for f in structure(v3) if f.code == "duplicate-construct-id"]
    assert "SST refuses two components with one name" in f.message and "CDK" not in f.message
    v2 = v2_app(tmp_path / "v2", "app.stack(A);", {
        "stacks/A.ts": 'import { Bucket, StackContext } from "sst/constructs";\n'
                       'export function A({ stack }: StackContext) {\n'
                       '  new Bucket(stack, "Files");\n  new Bucket(stack, "Files");\n}\n',
    })
    [g] = [f for f in structure(v2) if f.code == "duplicate-construct-id"]
    assert "CDK refuses two children with one id" in g.message
