"""Fact extraction (model/extract.py) and the static evaluator (model/evaluate.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sst_lsp.model.evaluate import MAX_DEPTH, Evaluator
from sst_lsp.model.extract import extract
from sst_lsp.model.types import FileFacts, HandlerRef
from sst_lsp.syntax.parser import parse

PATH = Path("/app/stacks/Api.ts")

V2 = 'import { Api, ApiGatewayV1Api, AppSyncApi, Auth, Bucket, Cron, EventBus, Function, GraphQLApi, KinesisStream, Queue, Script, StackContext, Table, Topic, WebSocketApi, Cognito } from "sst/constructs";\n'


def facts(src: str, lang: str = "typescript", path: Path = PATH) -> FileFacts:
    return extract(parse(src, lang), path)


def stack(body: str, header: str = V2) -> FileFacts:
    return facts(f"{header}export function S({{ stack, app }}: StackContext) {{\n{body}\n}}\n")


def handlers(f: FileFacts) -> list[tuple[str, str]]:
    return [(h.handler, h.position) for h in f.handlers]


def text_at(src: str, h: HandlerRef) -> str:
    lines = src.split("\n")
    assert h.range.start.line == h.range.end.line
    return lines[h.range.start.line][h.range.start.col : h.range.end.col]


# ----------------------------------------------------------------------------------------------
# Handler positions.
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('new Api(stack, "A", { routes: { "GET /": "a.main" } });', [("a.main", 'route "GET /"')]),
        ('new Api(stack, "A", { routes: { "GET /": { function: "a.main" } } });', [("a.main", 'route "GET /"')]),
        ('new Api(stack, "A", { routes: { "GET /": { function: { handler: "a.main" } } } });',
         [("a.main", 'route "GET /"')]),
        ('new Api(stack, "A", { routes: { "GET /": { handler: "a.main" } } });', [("a.main", 'route "GET /"')]),
        ('new ApiGatewayV1Api(stack, "A", { routes: { "GET /": "a.main" } });', [("a.main", 'route "GET /"')]),
        ('new WebSocketApi(stack, "A", { routes: { $connect: "a.main" } });', [("a.main", 'route "$connect"')]),
        ('new GraphQLApi(stack, "A", { server: "a.main" });', [("a.main", "GraphQL server")]),
        ('new AppSyncApi(stack, "A", { dataSources: { ds: "a.main" }, resolvers: { "Query x": "b.main" } });',
         [("a.main", 'data source "ds"'), ("b.main", 'resolver "Query x"')]),
        ('new Function(stack, "F", "a.main");', [("a.main", "Function")]),
        ('new Function(stack, "F", { handler: "a.main" });', [("a.main", "Function")]),
        ('new Cron(stack, "C", { job: "a.main" });', [("a.main", "Cron job")]),
        ('new Cron(stack, "C", { job: { function: "a.main" } });', [("a.main", "Cron job")]),
        ('new Queue(stack, "Q", { consumer: "a.main" });', [("a.main", "Queue consumer")]),
        ('new Queue(stack, "Q", { consumer: { function: { handler: "a.main" } } });', [("a.main", "Queue consumer")]),
        ('new Topic(stack, "T", { subscribers: { s: "a.main" } });', [("a.main", 'Topic subscriber "s"')]),
        ('new Topic(stack, "T", { subscribers: ["a.main"] });', [("a.main", "Topic subscriber #1")]),
        ('new Bucket(stack, "B", { notifications: { n: { function: "a.main", events: [] } } });',
         [("a.main", 'Bucket notification "n"')]),
        ('new EventBus(stack, "E", { rules: { r: { targets: { t: "a.main" } } } });',
         [("a.main", 'rule "r" target "t"')]),
        ('new KinesisStream(stack, "K", { consumers: { c: "a.main" } });', [("a.main", 'KinesisStream consumer "c"')]),
        ('new Table(stack, "T", { consumers: { c: { function: "a.main" } } });', [("a.main", 'Table consumer "c"')]),
        ('new Auth(stack, "A", { triggers: { preSignUp: "a.main" } });', [("a.main", 'trigger "preSignUp"')]),
        ('new Cognito(stack, "A", { cognito: { triggers: { preSignUp: "a.main" } } });',
         [("a.main", 'trigger "preSignUp"')]),
        ('new Script(stack, "S", { onCreate: "a.main", onUpdate: "b.main", onDelete: "c.main" });',
         [("a.main", "Script onCreate"), ("b.main", "Script onUpdate"), ("c.main", "Script onDelete")]),
        # The add* methods.
        ('const api = new Api(stack, "A");\napi.addRoutes(stack, { "GET /": "a.main" });', [("a.main", 'route "GET /"')]),
        ('const q = new Queue(stack, "Q");\nq.addConsumer(stack, "a.main");', [("a.main", "Queue consumer")]),
        ('const t = new Topic(stack, "T");\nt.addSubscribers(stack, { s: "a.main" });', [("a.main", 'Topic subscriber "s"')]),
        ('const b = new EventBus(stack, "E");\nb.subscribe("x.y", "a.main");', [("a.main", 'subscriber "x.y"')]),
        ('const b = new EventBus(stack, "E");\nb.subscribe(["x", "y"], { handler: "a.main" });', [("a.main", 'subscriber "x, y"')]),
        ('const b = new EventBus(stack, "E");\nb.addRules(stack, { r: { targets: { t: "a.main" } } });',
         [("a.main", 'rule "r" target "t"')]),
        ('const t = new Table(stack, "T");\nt.addConsumers(stack, { c: "a.main" });', [("a.main", 'Table consumer "c"')]),
        ('const b = new Bucket(stack, "B");\nb.addNotifications(stack, { n: "a.main" });',
         [("a.main", 'Bucket notification "n"')]),
        ('const g = new AppSyncApi(stack, "G");\ng.addResolvers(stack, { "Query x": "a.main" });',
         [("a.main", 'resolver "Query x"')]),
    ],
)
def test_handler_positions(body: str, expected: list[tuple[str, str]]) -> None:
    f = stack(body)
    assert handlers(f) == expected
    assert f.unresolved == 0
    assert all(h.stack == "S" for h in f.handlers)


@pytest.mark.parametrize(
    "body",
    [
        # Not handler positions: file paths, folders, HTML pages, CloudFormation types.
        'new AppSyncApi(stack, "G", { schema: "graphql/schema.graphql" });',
        'new Function(stack, "F", { handler: "a.main", environment: { T: "AWS::Events::Rule" } });',
        'new Api(stack, "A", { routes: { "GET /": { type: "url", url: "https://x.y" } } });',
        # A data source name, by key or because it has no dot (SST's own rule).
        'new AppSyncApi(stack, "G", { dataSources: { ds: { type: "dynamodb" } }, resolvers: { "Query a": "ds", "Query b": "other" } });',
        'new AppSyncApi(stack, "G", { resolvers: { "Query a": { dataSource: "ds" } } });',
        # Unknown constructs, raw CDK functions and commented-out code.
        'new Unknown(stack, "U", { handler: "a.main" });',
        '// new Function(stack, "F", { handler: "a.main" });\n/* new Cron(stack, "C", { job: "b.main" }); */',
    ],
)
def test_not_handlers(body: str) -> None:
    f = stack(body)
    expected = ["a.main"] if "environment" in body else []
    assert [h.handler for h in f.handlers] == expected
    assert f.unresolved == 0


def test_handler_range_is_the_string_content_and_unicode_safe() -> None:
    src = V2 + 'export function S({ stack }: StackContext) {\n  /* é😀 */ new Function(stack, "F", { handler: "src/a.main" });\n}\n'
    f = facts(src)
    (h,) = f.handlers
    assert text_at(src, h) == "src/a.main"
    assert h.literal is True


def test_ranges_in_a_file_with_lone_cr_line_endings() -> None:
    # LSP ends lines at a lone CR too; tree-sitter's rows count only LF. Every range the model
    # gives (handler, construct id, the memo's reuse of a construct) is in LSP lines.
    src = (V2 + 'export function S({ stack }: StackContext) {\r  new Function(stack, "F", {\r'
           '    handler: "src/😀.main" });\r  new Function(stack, "G", { handler: "src/b.main" });\r}\r')
    f = facts(src)
    lines = src.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    got = {}
    for h in f.handlers:
        r = h.range
        assert r.start.line == r.end.line
        got[h.handler] = lines[r.start.line][r.start.col:r.end.col]
    assert got == {"src/😀.main": "src/😀.main", "src/b.main": "src/b.main"}


# ----------------------------------------------------------------------------------------------
# Indirections.
# ----------------------------------------------------------------------------------------------


def test_same_file_indirections() -> None:
    src = V2 + (
        'const BASE = "src";\n'
        "const fn = { handler: `${BASE}/list.main`, timeout: 10 };\n"
        'const ROUTES = { "GET /a": BASE + "/a.main", "GET /b": { function: fn } };\n'
        "export function S({ stack }: StackContext) {\n"
        '  const local = "src/local.main";\n'
        '  new Api(stack, "A", { routes: { ...ROUTES, "GET /c": local, "GET /d": fn, [`GET /${"e"}`]: "e.main" } });\n'
        '  new Api(stack, "B", { routes: ROUTES });\n'
        "}\n"
    )
    f = facts(src)
    assert handlers(f) == [
        ("src/a.main", 'route "GET /a"'),
        ("src/list.main", 'route "GET /b"'),
        ("src/local.main", 'route "GET /c"'),
        ("src/list.main", 'route "GET /d"'),
        ("e.main", 'route "GET /e"'),
        ("src/a.main", 'route "GET /a"'),
        ("src/list.main", 'route "GET /b"'),
    ]
    assert f.unresolved == 0
    local = f.handlers[2]
    assert local.literal is False and text_at(src, local) == "src/local.main"  # Where the constant is.
    assert not f.handlers[0].literal


@pytest.mark.parametrize(
    ("body", "unresolved"),
    [
        ('for (const n of names) { new Function(stack, "F" + n, { handler: `${n}.main` }); }', 1),
        ('new Api(stack, "A", { routes: { "GET /": makeHandler() } });', 1),
        ('new Api(stack, "A", { routes: makeRoutes() });', 1),
        ('new Api(stack, "A", { routes: { ...makeRoutes(), "GET /": "a.main" } });', 1),
        ('new Function(stack, "F", { handler: imported });', 1),
        ('new Function(stack, "F", { handler: "a.main", runtime: pickRuntime() });', 1),
        ('let h = "a.main";\nif (app.local) h = "b.main";\nnew Function(stack, "F", { handler: h });', 1),
        # Each branch of a conditional is a reference (see test_interp.py); a call is not.
        ("new Cron(stack, \"C\", { job: cond ? pickJob() : \"a.main\" });", 1),
        # A Function construct passed by variable is extracted where it is built.
        ('const fn = new Function(stack, "F", { handler: "a.main" });\nnew Api(stack, "A", { routes: { "GET /": fn } });', 0),
    ],
)
def test_unresolvable_positions_are_counted_not_reported(body: str, unresolved: int) -> None:
    f = stack(body)
    assert f.unresolved == unresolved
    assert all(h.handler in ("a.main",) for h in f.handlers)


def test_parameters_shadow_constants() -> None:
    # Over items not known statically (a literal list is run item by item: see test_interp.py).
    f = facts(V2 + 'const h = "outer.main";\nexport function S({ stack }: StackContext) {\n'
              '  ids.forEach((h) => new Function(stack, "F", { handler: h }));\n}\n')
    assert f.handlers == () and f.unresolved == 1
    f = facts(V2 + 'const h = "outer.main";\nexport function S({ stack }: StackContext) {\n'
              '  ["inner.main"].forEach((h) => new Function(stack, "F", { handler: h }));\n}\n')
    assert [x.handler for x in f.handlers] == ["inner.main"] and f.unresolved == 0


def test_evaluator_depth_and_cycles() -> None:
    chain = "\n".join(f"const c{i} = [c{i + 1}, c{i + 1}];" for i in range(40)) + "\nconst c40 = 1;\n"
    pf = parse(chain + "const a = { ...a };\nconst b = c0;\n", "typescript")
    ev = Evaluator(pf)
    start = time.perf_counter()
    decl = pf.root.named_children[-1].named_children[0]
    v = ev.value(decl.child_by_field_name("value"))
    assert v.kind == "array" and time.perf_counter() - start < 5  # Memoised: not 2^40 evaluations.
    cyc = ev.value(pf.root.named_children[-2].named_children[0].child_by_field_name("value"))
    assert cyc.kind == "object" and cyc.partial


def test_deep_nesting_does_not_recurse_without_bound() -> None:
    depth = 5000
    src = (
        V2 + "export function S({ stack }: StackContext) {\n"
        f"  const x = {'[' * depth}1{']' * depth};\n"
        f"  const y = {'(' * depth}2{')' * depth};\n"
        f"  const z = {'{a: ' * depth}1{'}' * depth};\n"
        '  new Function(stack, "F", { handler: "a.main", nested: ' + "[" * depth + "]" * depth + " });\n"
        "}\n"
    )
    f = facts(src)
    assert handlers(f) == [("a.main", "Function")]
    pf = parse(f"const v = {'[' * depth}1{']' * depth};\n", "typescript")
    v = Evaluator(pf).value(pf.root.named_children[0].named_children[0].child_by_field_name("value"))
    items = v
    levels = 0
    while items.kind == "array" and items.items:
        items = items.items[0]
        levels += 1
    assert levels <= MAX_DEPTH + 2 and items.kind == "unknown"


# ----------------------------------------------------------------------------------------------
# Imports, constructs, stack definitions.
# ----------------------------------------------------------------------------------------------


def test_construct_classification() -> None:
    src = (
        'import * as sst from "@serverless-stack/resources";\n'
        'import { Table as T, Config } from "sst/constructs";\n'
        'import * as dynamodb from "aws-cdk-lib/aws-dynamodb";\n'
        'import { aws_s3 as s3, Duration } from "aws-cdk-lib";\n'
        'import * as cdk from "aws-cdk-lib";\n'
        'const rds = require("@aws-cdk/aws-rds");\n'
        'const { UserPool } = require("aws-cdk-lib/aws-cognito");\n'
        "export function S({ stack }) {\n"
        '  new sst.Api(stack, "A");\n'
        '  new T(stack, "T");\n'
        '  new Config.Secret(stack, "S");\n'
        '  new dynamodb.Table(stack, "D", {});\n'
        '  new s3.Bucket(stack, "B");\n'
        '  new cdk.aws_sqs.Queue(stack, "Q");\n'
        '  new rds.DatabaseCluster(stack, "R", {});\n'
        '  new UserPool(stack, "U");\n'
        '  new Duration(1);\n'
        '  new Map();\n'
        "}\n"
    )
    f = facts(src, "javascript", Path("/app/stacks/S.js"))
    assert [(c.kind, c.origin, c.id) for c in f.constructs] == [
        ("Api", "sst", "A"),
        ("Table", "sst", "T"),
        ("Config.Secret", "sst", "S"),
        ("Table", "aws-dynamodb", "D"),
        ("Bucket", "aws-s3", "B"),
        ("Queue", "aws-sqs", "Q"),
        ("DatabaseCluster", "aws-rds", "R"),
        ("UserPool", "aws-cognito", "U"),
    ]
    assert [s.name for s in f.stacks] == ["S"]


def test_construct_fields() -> None:
    src = V2 + (
        "export function S({ stack }: StackContext) {\n"
        '  const t = new Table(stack, "Notes", { fields: { pk: "string" } });\n'
        "  new Bucket(stack, `B${x}`);\n"
        "}\n"
    )
    f = facts(src)
    t, b = f.constructs
    assert (t.var_name, t.scope, t.stack, t.dynamic_id) == ("t", "stack", "S", False)
    assert t.props is not None and t.props.to_python() == {"fields": {"pk": "string"}}
    assert src.split("\n")[t.id_range.start.line][t.id_range.start.col : t.id_range.end.col] == "Notes"
    assert b.dynamic_id and b.id == "`B${x}`"


@pytest.mark.parametrize(
    ("src", "names"),
    [
        (V2 + "export function A({ stack }: StackContext) {}", ["A"]),
        (V2 + "export const A = ({ stack }: StackContext) => {};", ["A"]),
        (V2 + "export const A = function ({ stack, app }) {};", ["A"]),
        (V2 + "export default function A({ stack }: StackContext) {}", ["A"]),
        (V2 + "export function A(ctx: StackContext) {}", ["A"]),
        (V2 + "export function A(ctx) { new Api(ctx.stack, 'x'); }", ["A"]),
        (V2 + "export function A(ctx: any) { const { stack } = ctx; }", ["A"]),
        (V2 + "function A({ stack: s }: StackContext) {}", ["A"]),
        # Not stacks: other parameters, typed as something else.
        (V2 + "export function helper(stack: Stack) {}\nexport function f(x) { return x.y; }", []),
        (V2 + "export function g(ctx: Options) { return ctx.stack; }", []),
        ('import * as sst from "@serverless-stack/resources";\nexport default class M extends sst.Stack {}', ["M"]),
        ('import { Stack } from "@serverless-stack/resources";\nexport class M extends Stack {}', ["M"]),
        ('import { Stack } from "aws-cdk-lib";\nexport class M extends Stack {}', []),
    ],
)
def test_stack_definitions(src: str, names: list[str]) -> None:
    assert [s.name for s in facts(src).stacks] == names


def test_stack_default_function_props_and_uses() -> None:
    f = facts(V2 + (
        "export function S({ stack, app }: StackContext) {\n"
        '  stack.setDefaultFunctionProps({ runtime: "python3.9" });\n'
        '  stack.setDefaultFunctionProps((s) => ({ srcPath: "x" }));\n'
        '  app.setDefaultFunctionProps({ timeout: 3 });\n'
        "  const { t } = use(Other);\n"
        "  use(Other);\n"
        "}\n"
    ))
    (s,) = f.stacks
    assert [v.to_python() for v in s.default_function_props] == [{"runtime": "python3.9"}, {"srcPath": "x"}]
    assert s.uses == ("Other",)
    assert [v.to_python() for v in f.app_default_function_props] == [{"timeout": 3.0}]


# ----------------------------------------------------------------------------------------------
# Entries and registrations.
# ----------------------------------------------------------------------------------------------


def test_v2_config_and_registrations() -> None:
    src = (
        'import { A } from "./stacks/A";\nimport * as stacks from "./stacks";\n'
        "export default {\n"
        "  config(_input) {\n"
        '    return { name: "app", region: "eu-west-1" };\n'
        "  },\n"
        "  stacks(app) {\n"
        '    app.setDefaultFunctionProps({ runtime: "nodejs18.x" });\n'
        '    app.stack(A).stack(B, { id: "b", stackName: "custom-b" }).stack((ctx) => C({ ...ctx, app }));\n'
        "    app.stack(function Inline({ stack }) {});\n"
        "    app.stack(stacks.D);\n"
        "    other.stack(E);\n"
        "  },\n"
        "} satisfies SSTConfig;\n"
    )
    f = facts(src, path=Path("/app/sst.config.ts"))
    assert f.is_entry and f.config is not None
    assert (f.config.name, f.config.region, f.config.generation) == ("app", "eu-west-1", "v2")
    assert f.config.anchor is not None and f.config.anchor.start.line == 3
    regs = [(r.target, r.explicit_id, r.stack_name, r.wrapped) for r in f.registrations]
    assert regs == [
        ("A", None, None, None),
        ("B", "b", "custom-b", None),
        ("", None, None, "C"),
        ("Inline", None, None, None),
        ("stacks.D", None, None, None),
    ]
    assert [s.name for s in f.stacks] == ["Inline"]
    assert [v.to_python() for v in f.app_default_function_props] == [{"runtime": "nodejs18.x"}]


def test_v2_config_through_a_constant() -> None:
    src = 'const config = { config() { return { name: "c" }; }, stacks(app) { app.stack(A); } };\nexport default config;\n'
    f = facts(src, path=Path("/app/sst.config.ts"))
    assert f.config is not None and f.config.name == "c"
    assert [r.target for r in f.registrations] == ["A"]


def test_v1_and_v0_entries() -> None:
    v1 = facts('export default function main(a: App) {\n  a.stack(X);\n}\n', path=Path("/app/stacks/index.ts"))
    assert v1.is_entry and [r.target for r in v1.registrations] == ["X"]
    v0 = facts(
        'import M from "./M";\nexport default function main(app) {\n  new M(app, "m-id");\n  new Other(x, "no");\n}\n',
        "javascript", Path("/app/lib/index.js"),
    )
    assert [(r.target, r.explicit_id) for r in v0.registrations] == [("M", "m-id")]


def test_a_factory_taking_the_stack_from_its_context_type_is_not_a_stack() -> None:
    # `stack: StackContext["stack"]` is a type read from the context: the helper is a function
    # of the stack (its calls are evaluated with their arguments), not a stack of its own.
    src = V2 + (
        'function worker(stack: StackContext["stack"], id: string, handler: string) {\n'
        "  return new Function(stack, id, { handler, timeout: 30 });\n"
        "}\n"
        "export function Jobs({ stack }: StackContext) {\n"
        '  const a = worker(stack, "Nightly", "src/nightly.main");\n'
        '  worker(stack, "Hourly", "src/missing.main");\n'
        '  new Cron(stack, "NightlyCron", { schedule: "rate(1 day)", job: a });\n'
        "}\n"
        "export function Typed(ctx: StackContext & { extra: 1 }) {\n"
        '  new Function(ctx.stack, "F", { handler: "src/f.main" });\n'
        "}\n"
    )
    f = facts(src)
    assert sorted(sd.name for sd in f.stacks) == ["Jobs", "Typed"]
    assert sorted((c.stack, c.kind, c.id) for c in f.constructs) == [
        ("Jobs", "Cron", "NightlyCron"), ("Jobs", "Function", "Hourly"), ("Jobs", "Function", "Nightly"),
        ("Typed", "Function", "F")]
    assert sorted(handlers(f)) == [("src/f.main", "Function"), ("src/missing.main", "Function"),
                                   ("src/nightly.main", "Function")]


def test_v3_function_arns_are_existing_functions_not_handlers() -> None:
    # SST v3 takes `Input<string | FunctionArgs | FunctionArn>` at routes, subscribers,
    # notifications and Cron's function: an `arn:` string names a deployed function. The same
    # string in v2 (where a string is always a handler) stays a handler reference.
    arn = "arn:aws:lambda:us-east-1:123456789012:function:existing"
    src = (
        "export default $config({\n"
        '  app() { return { name: "v3" }; },\n'
        "  async run() {\n"
        '    const api = new sst.aws.ApiGatewayV2("Api");\n'
        f'    api.route("GET /", "{arn}");\n'
        '    api.route("GET /b", "src/b.handler");\n'
        f'    new sst.aws.Queue("Q").subscribe("{arn}");\n'
        f'    new sst.aws.SnsTopic("T").subscribe("Name", "{arn}");\n'
        f'    new sst.aws.Bucket("Bk").notify({{ notifications: [{{ name: "n", function: "{arn}" }}] }});\n'
        f'    new sst.aws.Cron("C", {{ function: "{arn}" }});\n'
        "  },\n"
        "});\n"
    )
    f = facts(src, path=Path("/app/sst.config.ts"))
    assert handlers(f) == [("src/b.handler", 'route "GET /b"')]
    assert [r.key for r in f.routes] == ["GET /", "GET /b"]
    v2 = stack(f'new Queue(stack, "Q", {{ consumer: "{arn}" }});')
    assert handlers(v2) == [(arn, "Queue consumer")]


def test_v3_config_and_components() -> None:
    src = (
        "export default $config({\n"
        "  app(input) {\n"
        '    return { name: "v3", removal: "retain", providers: { aws: { region: "us-west-2" } } };\n'
        "  },\n"
        "  async run() {\n"
        '    const infra = await import("./infra");\n'
        '    const api = new sst.aws.ApiGatewayV2("Api");\n'
        '    api.route("GET /", "src/a.handler");\n'
        '    new sst.aws.ApiGatewayV2("B").route("GET /b", { handler: "src/b.handler" });\n'
        '    const q = new sst.aws.Queue("Q");\n'
        '    q.subscribe("src/q.handler");\n'
        '    const t = new sst.aws.SnsTopic("T");\n'
        '    t.subscribe("Name", "src/t.handler");\n'
        '    const b = new sst.aws.Bucket("Bk");\n'
        '    b.notify({ notifications: [{ name: "n", function: "src/n.handler" }] });\n'
        '    new sst.aws.Cron("C", { job: "src/c.handler" });\n'
        '    new sst.aws.Function("F", { handler: "src/f.handler" });\n'
        "  },\n"
        "});\n"
    )
    f = facts(src, path=Path("/app/sst.config.ts"))
    assert f.config is not None
    assert (f.config.name, f.config.region, f.config.generation, f.config.removal) == ("v3", "us-west-2", "v3", "retain")
    assert [i.specifier for i in f.imports] == ["./infra"]
    assert handlers(f) == [
        ("src/c.handler", "Cron job"),
        ("src/f.handler", "Function"),
        ("src/a.handler", 'route "GET /"'),
        ("src/b.handler", 'route "GET /b"'),
        ("src/q.handler", "subscriber"),
        ("src/t.handler", 'subscriber "Name"'),
        ("src/n.handler", 'notification "n"'),
    ]
    assert [r.key for r in f.routes] == ["GET /", "GET /b"]
    assert all(c.origin == "sst3" and c.stack is None for c in f.constructs)


# ----------------------------------------------------------------------------------------------
# Branch paths, syntax errors, other languages.
# ----------------------------------------------------------------------------------------------


def test_branch_paths() -> None:
    f = stack(
        '  new Bucket(stack, "a");\n'
        '  if (x) { new Bucket(stack, "b"); } else { new Bucket(stack, "c"); }\n'
        '  const y = x ? new Bucket(stack, "d") : null;\n'
        '  [1].map(() => new Bucket(stack, "e"));\n'
        '  x && new Bucket(stack, "f");\n'
    )
    by_id = {c.id: c.branch for c in f.constructs}
    assert by_id["a"] == ()
    assert len(by_id["b"]) == 1 and by_id["b"][0][1] == 0
    assert by_id["c"][0] == (by_id["b"][0][0], 1)
    assert by_id["d"][0][1] == 0 and by_id["e"][0][1] == 0 and by_id["f"][0][1] == 1


def test_syntax_error_keeps_everything_outside_the_broken_region() -> None:
    src = V2 + (
        "export function S({ stack }: StackContext) {\n"
        '  new Function(stack, "Before", { handler: "before.main" });\n'
        '  const half = { routes: { "GET /x": ;\n'
        '  new Api(stack, "After", { routes: { "GET /after": "after.main" } });\n'
        "}\n"
        "export function T({ stack }: StackContext) {\n"
        '  new Function(stack, "Fine", { handler: "fine.main" });\n'
        "}\n"
    )
    f = facts(src)
    assert f.syntax_errors
    assert [s.name for s in f.stacks] == ["S", "T"]
    assert [(h.handler, h.stack) for h in f.handlers] == [("before.main", "S"), ("after.main", "S"), ("fine.main", "T")]
    assert [c.id for c in f.constructs] == ["Before", "After", "Fine"]


def test_non_js_files_have_no_facts() -> None:
    f = extract(parse("def main():\n    pass\n", "python"), Path("/app/x.py"))
    assert f == FileFacts(path=Path("/app/x.py"), lang="python")


@pytest.mark.parametrize("text", ["\x00\x01\x02" * 100, "\ufffd" * 50 + "new Api(", "}" * 1000, ""])
def test_garbage_never_raises(text: str) -> None:
    f = facts(text)
    assert f.handlers == ()
