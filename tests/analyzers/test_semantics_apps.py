"""SST semantics on fixture apps written the way real apps are (issue 10, items 2 and 3), and the
honesty of the fixture checks themselves (issue 9, item 4)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from sst_lsp import analyzers
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App
from tests.conftest import FIXTURE_APPS, check_fixture_app

APPS = ["v0-lib-default-ts", "v1-unregistered-js", "v2-stack-names-ts", "v3-components-ts"]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def app_of(root: Path) -> App:
    (app,) = WorkspaceIndex([root]).snapshot().apps
    return app


@pytest.mark.parametrize("name", APPS)
def test_fixture_app_diagnostics_match_markers(name: str) -> None:
    assert check_fixture_app(FIXTURE_APPS / name)


def test_v0_app_without_main_loads_lib_index() -> None:
    root = (FIXTURE_APPS / "v0-lib-default-ts").resolve()
    app = app_of(root)
    assert app.entry == root / "lib/index.ts"
    assert app.config_errors == ()
    assert app.generation == "v0"
    # The stack nothing imports: its handlers are checked, its constructs are not the app's.
    assert {(h.path.name, h.handler) for h in app.handlers} >= {("ReportsStack.ts", "src/report.main"),
                                                                ("ReportsStack.ts", "src/list.main")}
    assert {c.id for c in app.constructs} == {"Api"}


def test_unregistered_stacks_get_app_defaults() -> None:
    root = (FIXTURE_APPS / "v1-unregistered-js").resolve()
    app = app_of(root)
    archive = next(h for h in app.handlers if h.handler == "functions/archive.handler")
    # `app.setDefaultFunctionProps({ srcPath: "services" })` applies to it as to any stack.
    assert (archive.src_path, archive.runtime) == ("services", "nodejs16.x")
    # The test file's construct and the settings module are nothing of the app's.
    assert not any("nowhere" in h.handler for h in app.handlers)
    assert [s.id for s in app.stacks] == ["JobsStack"]


def test_stack_names_from_templates_per_stage() -> None:
    app = app_of((FIXTURE_APPS / "v2-stack-names-ts").resolve())
    assert app.name == "ledger" and app.config_errors == ()
    by_id = {s.id: s for s in app.stacks}
    assert by_id["Database"].physical_name("dev", "ledger") == "dev-db"
    assert by_id["Database"].physical_name("prod", "ledger") == "prod-db"
    assert by_id["AuthStack"].stack_name == "ledger-${stage}-auth"
    assert by_id["AuthStack"].physical_name("pr-12", "ledger") == "ledger-pr-12-auth"
    # A name computed by a function: not replaced by the default silently.
    web = by_id["Web"]
    assert (web.stack_name, web.stack_name_expr) == (None, "siteStackName(app.stage)")
    # v2 `Auth`: `authenticator` as FunctionProps and as a string.
    auth = [(h.construct_id, h.handler, h.position) for h in app.handlers if h.construct_kind == "Auth"]
    assert auth == [("auth", "packages/functions/src/auth.handler", "Auth authenticator"),
                    ("partners", "packages/functions/src/partners.handler", "Auth authenticator")]


def test_v3_components_handler_positions() -> None:
    root = (FIXTURE_APPS / "v3-components-ts").resolve()
    app = app_of(root)
    got = {(h.handler, h.position) for h in app.handlers}
    assert got == {
        ("packages/functions/src/authorizer.handler", "Realtime authorizer"),
        ("packages/functions/src/message.handler", "subscriber"),
        ("packages/functions/src/presence.handler", "subscriber"),
        ("packages/functions/src/typing.handlr", "subscriber"),
        ("packages/functions/src/orders.handler", 'subscriber "OrderPlaced"'),
        ("packages/functions/src/audit.handler", "subscriber"),
        ("packages/functions/src/pager.handler", 'subscriber "Pager"'),
        # `(subscriber, args)`: the filter object is the args, not a subscriber.
        ("packages/functions/src/email.handler", "subscriber"),
        # A computed subscriber name: the handler is still the second argument.
        ("packages/functions/src/digest.handler", "subscriber"),
        ("packages/functions/src/worker.handler", "subscriber"),
        ("packages/functions/src/stream.handler", 'subscriber "OrderStream"'),
        ("packages/functions/src/issuer.handler", "Auth issuer"),
        ("packages/functions/src/authenticator.handler", "Auth authenticator"),
        ("index.handler", "Function"),
        ("preview.handler", "Function"),
    }
    render = next(h for h in app.handlers if h.handler == "index.handler")
    assert render.bundle == "packages/render/dist"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param('topic.subscribe("src/a.handler");', [("src/a.handler", "subscriber")], id="one-arg"),
        pytest.param('topic.subscribe("src/a.handler", { filter: { k: ["v"] } });',
                     [("src/a.handler", "subscriber")], id="subscriber-args"),
        pytest.param('topic.subscribe("Sub", "src/a.handler");', [("src/a.handler", 'subscriber "Sub"')],
                     id="name-subscriber"),
        pytest.param('topic.subscribe("Sub", "src/a.handler", { filter: {} });',
                     [("src/a.handler", 'subscriber "Sub"')], id="name-subscriber-args"),
        pytest.param('topic.subscribe("Sub", { handler: "src/a.handler" });',
                     [("src/a.handler", 'subscriber "Sub"')], id="name-function-args"),
        pytest.param('topic.subscribe(`${$app.stage}-sub`, "src/a.handler", {});',
                     [("src/a.handler", "subscriber")], id="computed-name"),
        pytest.param("topic.subscribe(\"src/a.handler\", filterArgs);", [("src/a.handler", "subscriber")],
                     id="args-variable"),
        pytest.param('topic.subscribe("src/a.handler", { filter: {} }, { provider });',
                     [("src/a.handler", "subscriber")], id="subscriber-args-opts"),
        pytest.param('topic.subscribe("Sub", fnArgs, { filter: {} });', [], id="name-variable-args"),
        pytest.param('topic.subscribe("Sub", { handler: "src/a.handler", link: [topic] }, { filter: {} }, { provider });',
                     [("src/a.handler", 'subscriber "Sub"')], id="name-function-args-args-opts"),
    ],
)
def test_v3_subscribe_forms(tmp_path: Path, call: str, expected: list[tuple[str, str]]) -> None:
    root = write(tmp_path, {
        "sst.config.ts": 'export default $config({\n  app() { return { name: "x", home: "aws" }; },\n'
                         '  async run() {\n    const filterArgs = { filter: {} };\n'
                         '    const topic = new sst.aws.SnsTopic("T");\n'
                         f"    {call}\n  }},\n}});\n",
    })
    assert [(h.handler, h.position) for h in app_of(root).handlers] == expected


def test_v3_queue_subscribe_with_args_is_never_a_name(tmp_path: Path) -> None:
    # Queue's subscribe takes no name: its second argument is always the args.
    root = write(tmp_path, {
        "sst.config.ts": 'export default $config({\n  app() { return { name: "x", home: "aws" }; },\n'
                         '  async run() {\n    const q = new sst.aws.Queue("Q");\n'
                         '    q.subscribe("src/a.handler", { batch: { size: 5 } });\n  },\n});\n',
    })
    assert [(h.handler, h.position) for h in app_of(root).handlers] == [("src/a.handler", "subscriber")]


def test_v3_computed_bundle_is_unresolved(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.config.ts": 'export default $config({\n  app() { return { name: "x", home: "aws" }; },\n'
                         '  async run() {\n    new sst.aws.Function("F", { bundle: dist(), handler: "index.handler" });\n'
                         "  },\n});\n",
    })
    app = app_of(root)
    assert app.handlers == () and app.unresolved == 1


# ----------------------------------------------------------------------------------------------
# The app name (v2 config(), v3 app()).
# ----------------------------------------------------------------------------------------------

V2 = ('import {{ SSTConfig }} from "sst";\n{pre}\nexport default {{\n  config(input) {{\n'
      '    return {{ name: {name}, region: "us-east-1" }};\n  }},\n  stacks(app) {{}},\n}} satisfies SSTConfig;\n')
V3 = ('{pre}\nexport default $config({{\n  app(input) {{\n    return {{ name: {name}, home: "aws" }};\n  }},\n'
      "  async run() {{}},\n}});\n")


@pytest.mark.parametrize(
    ("template", "pre", "name", "app_name", "error"),
    [
        pytest.param(V2, 'const NAME = "notes";', "NAME", "notes", None, id="v2-constant"),
        pytest.param(V2, "", 'process.env.APP_NAME || "notes"', "notes", None, id="v2-env-fallback"),
        pytest.param(V2, "", 'process.env.APP_NAME ?? "notes"', "notes", None, id="v2-env-nullish"),
        pytest.param(V2, 'const base = "notes";', "`${base}-api`", "notes-api", None, id="v2-template"),
        pytest.param(V2, "", "`notes-${input.stage}`", None, None, id="v2-template-stage"),
        pytest.param(V2, "", "appName()", None, None, id="v2-call"),
        pytest.param(V2, "", '""', None, "the app name is empty", id="v2-empty"),
        pytest.param(V2, "", '"my_notes"', None, 'Invalid app name "my_notes"', id="v2-underscore"),
        pytest.param(V2, "", '"2fast"', "2fast", None, id="v2-digit-first-is-fine"),
        pytest.param(V3, "", '"chat"', "chat", None, id="v3-literal"),
        pytest.param(V3, "", '"2fast"', None, 'Invalid app name "2fast"', id="v3-digit-first"),
        pytest.param(V3, "", '"chat app"', None, 'Invalid app name "chat app"', id="v3-space"),
        pytest.param(V3, "", 'process.env.APP || "chat"', "chat", None, id="v3-env-fallback"),
        pytest.param(V3, "", "`chat-${input.stage}`", None, None, id="v3-template-stage"),
    ],
)
def test_app_name(tmp_path: Path, template: str, pre: str, name: str, app_name: str | None,
                  error: str | None) -> None:
    root = write(tmp_path, {"sst.config.ts": template.format(pre=pre, name=name)})
    app = app_of(root)
    messages = [e.message for e in app.config_errors]
    if error is None:
        assert messages == []
        assert app.name == app_name
    else:
        assert len(messages) == 1 and error in messages[0]
        line = (root / "sst.config.ts").read_text().split("\n")[app.config_errors[0].range.start.line]
        assert "name:" in line


def test_v2_name_missing_is_still_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"sst.config.ts": V2.format(pre="", name='"x"').replace('name: "x", ', "")})
    assert [e.message for e in app_of(root).config_errors] == [
        'sst.config.ts sets no app name: config() must return { name: "..." }']


# ----------------------------------------------------------------------------------------------
# Honest fixture checks (issue 9, item 4).
# ----------------------------------------------------------------------------------------------


def test_a_marker_of_an_undeclared_code_fails(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.config.ts": V2.format(pre="", name='"x"'),
        "stacks/A.ts": 'export const a = 1;\n//           ^ error handler-not-fonud\n',
    })
    with pytest.raises(AssertionError, match="markers name codes that no analyzer declares:\n  stacks/A.ts:1: "
                                             "handler-not-fonud"):
        check_fixture_app(root)


def test_an_analyzer_that_fails_to_import_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def broken(name: str, package: str | None = None) -> object:
        if name == "sst_lsp.analyzers.stateful":
            raise ImportError("boom")
        return real(name, package)

    monkeypatch.setattr(analyzers.importlib, "import_module", broken)
    with pytest.raises(ImportError, match="boom"):
        analyzers.all_codes()


def test_stack_names_in_hover_lens_and_synth() -> None:
    from sst_lsp.cloud.synth_spec import app_to_spec
    from sst_lsp.ide.naming import shown_stack_name, stack_physical

    app = app_of((FIXTURE_APPS / "v2-stack-names-ts").resolve())
    by_id = {s.id: s for s in app.stacks}
    assert shown_stack_name(by_id["Database"], "dev", app) == "dev-db"
    assert shown_stack_name(by_id["Web"], "dev", app) == "stackName: siteStackName(app.stage) (computed when SST runs)"
    assert stack_physical(app, "AuthStack", "qa") == "ledger-qa-auth"
    assert stack_physical(app, "Web", "qa") is None
    spec = app_to_spec(app, "prod")
    assert [(s["id"], s["name"]) for s in spec["stacks"]] == [("Database", "prod-db"), ("AuthStack", "ledger-prod-auth")]
    assert {"kind": "Stack", "id": "Web", "stack": "Web",
            "reason": "its stackName (siteStackName(app.stage)) is computed when SST runs"} in spec["skipped"]


def test_a_name_computed_when_sst_runs_is_said_by_stage_operations(tmp_path: Path) -> None:
    from sst_lsp.cloud.ops import OpsError, check_app

    root = write(tmp_path, {"sst.config.ts": V2.format(pre="", name="`notes-${input.stage}`")})
    app = app_of(root)
    assert (app.name, app.name_note) == (None, "computed when SST runs: `notes-${input.stage}`")
    with pytest.raises(OpsError, match=r"only known when SST runs \(computed when SST runs: `notes-\$\{input.stage\}`\)"):
        check_app(app)
    fallback = app_of(write(tmp_path / "b", {"sst.config.ts": V2.format(pre="", name='process.env.N || "notes"')}))
    assert (fallback.name, fallback.name_note) == ("notes", 'process.env.N when set, else "notes"')
    check_app(fallback)


@pytest.mark.parametrize(
    ("stack_name", "dev_name", "expr"),
    [
        pytest.param('"fixed-dev-db"', "fixed-dev-db", None, id="literal"),
        pytest.param("`${app.stage}-db`", "dev-db", None, id="template"),
        pytest.param('app.stage + "-db"', "dev-db", None, id="concatenation"),
        pytest.param("`${PREFIX}-${app.stage}`", "acme-dev", None, id="constant"),
        pytest.param("`${app.name}-${app.stage}-db`", "notes-dev-db", None, id="app-name"),
        pytest.param("`${a.stage}-db`", "dev-db", None, id="entry-parameter"),
        pytest.param("`${process.env.PREFIX}-${app.stage}`", "dev-notes-Db", "`${process.env.PREFIX}-${app.stage}`",
                     id="environment"),
        pytest.param("`${app.region}-${app.stage}`", "dev-notes-Db", "`${app.region}-${app.stage}`", id="region"),
    ],
)
def test_stack_name_expressions(tmp_path: Path, stack_name: str, dev_name: str, expr: str | None) -> None:
    param = "a" if "a.stage" in stack_name and "app." not in stack_name else "app"
    root = write(tmp_path, {
        "sst.config.ts": ('import { SSTConfig } from "sst";\nimport { Db } from "./stacks/Db";\n'
                          'const PREFIX = "acme";\nexport default {\n'
                          '  config() { return { name: "notes", region: "us-east-1" }; },\n'
                          f"  stacks({param}) {{ {param}.stack(Db, {{ stackName: {stack_name} }}); }},\n"
                          "} satisfies SSTConfig;\n"),
        "stacks/Db.ts": 'import { StackContext } from "sst/constructs";\nexport function Db({ stack }: StackContext) {}\n',
    })
    (s,) = app_of(root).stacks
    assert s.physical_name("dev", "notes") == dev_name
    assert s.stack_name_expr == expr


def test_a_malformed_marker_fails(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.config.ts": V2.format(pre="", name='"x"'),
        "stacks/A.ts": 'export const a = 1;\n//           ^ eror handler-not-found\n',
    })
    with pytest.raises(AssertionError, match="stacks/A.ts:2: a marker must read"):
        check_fixture_app(root)


def test_stack_name_through_a_variable(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.config.ts": ('import { Db } from "./stacks/Db";\nexport default {\n'
                          '  config() { return { name: "notes" }; },\n'
                          "  stacks(app) {\n    const dbOptions = { stackName: `${app.stage}-db` };\n"
                          "    app.stack(Db, dbOptions);\n  },\n};\n"),
        "stacks/Db.ts": 'import { StackContext } from "sst/constructs";\nexport function Db({ stack }: StackContext) {}\n',
    })
    (s,) = app_of(root).stacks
    assert s.physical_name("qa", "notes") == "qa-db"


def test_v0_class_stack_name(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.json": '{ "name": "legacy", "region": "us-east-1" }',
        "lib/index.js": ('import DbStack from "./DbStack";\n\nexport default function main(app) {\n'
                         '  new DbStack(app, "db", { stackName: `${app.stage}-legacy-db` });\n'
                         '  new DbStack(app, "other", { stackName: tableStackName(app) });\n}\n'),
        "lib/DbStack.js": ('import * as sst from "@serverless-stack/resources";\n\n'
                           "export default class DbStack extends sst.Stack {}\n"),
    })
    app = app_of(root)
    assert app.entry == root / "lib/index.js"
    by_id = {s.id: s for s in app.stacks}
    assert by_id["db"].physical_name("prod", "legacy") == "prod-legacy-db"
    assert by_id["other"].stack_name_expr == "tableStackName(app)"


# ----------------------------------------------------------------------------------------------
# SST refuses a stack name that does not hold the stage (v1/v2 `App`, unless v2's
# `advanced.disableParameterizedStackNameCheck`).
# ----------------------------------------------------------------------------------------------

STACK_NAME_V2 = ('import {{ SSTConfig }} from "sst";\nimport {{ Db }} from "./stacks/Db";\nexport default {{\n'
                 '  config() {{ return {{ name: "notes", region: "us-east-1"{extra} }}; }},\n'
                 "  stacks(app) {{\n    app.stack(Db, {{ stackName: {stack_name} }});\n  }},\n}} satisfies SSTConfig;\n")
DB_STACK = 'import { StackContext } from "sst/constructs";\nexport function Db({ stack }: StackContext) {}\n'


@pytest.mark.parametrize(
    ("stack_name", "extra", "refused"),
    [
        pytest.param('"database"', "", True, id="fixed-without-stage"),
        pytest.param("`db${app.stage}`", "", True, id="stage-glued-to-a-word"),
        pytest.param("`${app.stage}db`", "", True, id="stage-glued-at-the-start"),
        pytest.param("`${app.name}`", "", True, id="app-name-only"),
        pytest.param("`${app.stage}-db`", "", False, id="starts-with-stage"),
        pytest.param("`db-${app.stage}`", "", False, id="ends-with-stage"),
        pytest.param("`${app.name}-${app.stage}-db`", "", False, id="contains-stage"),
        pytest.param('app.stage + "-db"', "", False, id="concatenation"),
        # False-positive traps: a fixed name deploys on the stage it spells; a computed name
        # is SST's to judge; the check turned off.
        pytest.param('"prod-db"', "", False, id="fixed-name-of-one-stage"),
        pytest.param("dbName(app.stage)", "", False, id="computed"),
        pytest.param('"database"', ", advanced: { disableParameterizedStackNameCheck: true }", False, id="check-off"),
        pytest.param('"database"', ", advanced: { disableParameterizedStackNameCheck: false }", True,
                     id="check-explicitly-on"),
    ],
)
def test_stack_name_must_hold_the_stage(tmp_path: Path, stack_name: str, extra: str, refused: bool) -> None:
    root = write(tmp_path, {"sst.config.ts": STACK_NAME_V2.format(stack_name=stack_name, extra=extra),
                            "stacks/Db.ts": DB_STACK})
    index = WorkspaceIndex([root])
    (app,) = index.snapshot().apps
    found = [f for f in analyzers.run_all(analyzers.AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver))
             if f.code == "config-invalid"]
    assert [e.message for e in app.config_errors] == [f.message for f in found]
    if not refused:
        assert found == []
        return
    (f,) = found
    assert "is not parameterized with the stage name" in f.message
    # The diagnostic sits on the stackName value, where the user fixes it.
    line = (root / "sst.config.ts").read_text().split("\n")[f.range.start.line]
    assert line[f.range.start.col:f.range.end.col] == stack_name


def test_v1_stack_names_are_checked_too(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "sst.json": '{ "name": "legacy", "region": "us-east-1", "main": "stacks/index.ts" }',
        "stacks/index.ts": ('import { App } from "@serverless-stack/resources";\nimport { Db } from "./Db";\n\n'
                            'export default function main(app: App) {\n'
                            '  app.stack(Db, { stackName: "legacy-database" });\n'
                            '  app.stack(Db, { id: "other", stackName: "database" });\n}\n'),
        "stacks/Db.ts": ('import { StackContext } from "@serverless-stack/resources";\n'
                         "export function Db({ stack }: StackContext) {}\n"),
    })
    errors = [e for e in app_of(root).config_errors if "parameterized" in e.message]
    assert [(e.path.name, e.range.start.line, e.message.split('"')[1]) for e in errors] == [
        ("index.ts", 5, "database")]
