"""Handler diagnostics (analyzers/handlers.py): codes, messages and quick-fix data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sst_lsp.analyzers import all_codes, run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.handlers import CODES, analyze
from sst_lsp.model.files import FileSource
from sst_lsp.model.resolve import HandlerResolver
from sst_lsp.model.types import App, AppSnapshot, Finding, Generation, HandlerRef
from sst_lsp.syntax.text import TextRange

if TYPE_CHECKING:
    from sst_lsp.model.index import WorkspaceIndex


def write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")


def h(root: Path, handler: str, runtime: str | None = None, src_path: str | None = None,
      line: int = 3) -> HandlerRef:
    return HandlerRef(
        handler=handler,
        path=root / "stacks" / "Api.ts",
        range=TextRange.of(line, 10, line, 10 + len(handler)),
        position='route "GET /notes"',
        stack="ApiStack",
        runtime=runtime,
        src_path=src_path,
    )


def make_app(root: Path, handlers: list[HandlerRef], generation: Generation = "v2",
             stack_suffix: str = ".ts") -> App:
    entry = root / f"sst.config{stack_suffix}"
    return App(
        root=root,
        config_path=entry,
        generation=generation,
        name="notes",
        region="us-east-1",
        entry=entry,
        files=(entry, root / f"stacks/Api{stack_suffix}"),
        stacks=(),
        constructs=(),
        handlers=tuple(handlers),
    )


def findings(app: App) -> list[Finding]:
    ctx = AnalysisContext(snapshot=AppSnapshot(revision=1, apps=(app,)), resolver=HandlerResolver(FileSource()))
    return list(analyze(ctx))


def only(app: App) -> Finding:
    got = findings(app)
    assert len(got) == 1, got
    return got[0]


def test_codes_are_documented() -> None:
    assert set(CODES) == {"handler-not-found", "handler-export-missing", "handler-case-mismatch",
                          "handler-outside-app"}
    for code, info in CODES.items():
        assert info.code == code
        assert info.severity == "error"
        assert info.summary
        assert "Example" in info.doc and "Fix" in info.doc and "Rule" in info.doc
    assert set(CODES) <= set(all_codes())


def test_valid_handlers_give_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;", "src/get.py": "def main(e, c): pass\n"})
    app = make_app(tmp_path, [h(tmp_path, "src/list.main"), h(tmp_path, "src/get.main", runtime="python3.11"),
                              h(tmp_path, "anything", runtime="rust")])
    assert findings(app) == []


def test_file_not_found_node(tmp_path: Path) -> None:
    write(tmp_path, {"services/src/list.ts": "export const main = 1;"})
    ref = h(tmp_path, "src/lis.main", runtime="nodejs16.x", src_path="services")
    f = only(make_app(tmp_path, [ref], generation="v1"))
    assert f.code == "handler-not-found"
    assert f.severity == "error"
    assert f.path == ref.path and f.range == ref.range
    assert f.message == (
        'Handler file not found for "src/lis.main": tried services/src/lis.ts, services/src/lis.tsx, '
        "services/src/lis.mts, services/src/lis.cts, services/src/lis.js, services/src/lis.jsx, "
        'services/src/lis.mjs, services/src/lis.cjs (srcPath "services", runtime nodejs16.x)'
    )
    assert f.data is not None
    assert f.data["file"] == str(tmp_path / "services/src/lis.ts")
    assert f.data["export"] == "main"
    assert f.data["language"] == "ts"
    assert f.data["runtime"] == "node"


def test_file_not_found_js_app_creates_js(tmp_path: Path) -> None:
    f = only(make_app(tmp_path, [h(tmp_path, "src/new.main")], stack_suffix=".js"))
    assert f.data is not None
    assert f.data["language"] == "js"
    assert f.data["file"] == str(tmp_path / "src/new.js")


def test_file_not_found_python(tmp_path: Path) -> None:
    f = only(make_app(tmp_path, [h(tmp_path, "functions/get.main", runtime="python3.9", src_path="src")],
                      generation="v1"))
    assert f.code == "handler-not-found"
    assert "tried src/functions/get.py, src/functions/get/__init__.py" in f.message
    assert f.data is not None
    assert f.data["language"] == "python"
    assert f.data["file"] == str(tmp_path / "src/functions/get.py")


def test_export_missing(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const list = 1;\nexport async function main() {}\n"})
    f = only(make_app(tmp_path, [h(tmp_path, "src/list.mian")]))
    assert f.code == "handler-export-missing"
    assert f.message == '"src/list.ts" has no export "mian". Did you mean "main"? Exports: main, list'
    assert f.data is not None
    assert f.data["available"] == ["main", "list"]
    assert f.data["closest"] == "main"
    assert f.data["file"] == str(tmp_path / "src/list.ts")
    assert f.related and f.related[0].path == tmp_path / "src/list.ts"


def test_export_missing_without_close_name(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.js": "exports.zzz = 1;\n"})
    f = only(make_app(tmp_path, [h(tmp_path, "src/list.main")]))
    assert f.message == '"src/list.js" has no export "main". Exports: zzz'
    assert f.data is not None
    assert f.data["closest"] is None
    assert f.data["language"] == "js"


def test_export_missing_empty_file(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "// nothing yet\n"})
    f = only(make_app(tmp_path, [h(tmp_path, "src/list.main")]))
    assert f.message == '"src/list.ts" has no export "main"; it exports nothing.'


def test_handler_without_export_name(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;\n"})
    f = only(make_app(tmp_path, [h(tmp_path, "src/list")]))
    assert f.code == "handler-export-missing"
    assert '"src/list.main"' in f.message


def test_python_function_missing(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "def handler(event, context):\n    pass\n"})
    f = only(make_app(tmp_path, [h(tmp_path, "get.handle", runtime="python3.9", src_path="src")], generation="v1"))
    assert f.message == '"src/get.py" has no function "handle". Did you mean "handler"? Functions: handler'


def test_case_mismatch(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    f = only(make_app(tmp_path, [h(tmp_path, "src/List.main")]))
    assert f.code == "handler-case-mismatch"
    assert f.message == (
        '"src/List.ts" exists only as "src/list.ts": letter case matters on Lambda\'s Linux (works on macOS). '
        'Write "src/list.main".'
    )
    assert f.data is not None
    assert f.data["fixedHandler"] == "src/list.main"
    assert f.data["file"] == str(tmp_path / "src/list.ts")


def test_case_mismatch_directory(tmp_path: Path) -> None:
    write(tmp_path, {"packages/functions/src/Notes/get.ts": "export const main = 1;"})
    f = only(make_app(tmp_path, [h(tmp_path, "packages/functions/src/notes/get.main")]))
    assert f.code == "handler-case-mismatch"
    assert '"packages/functions/src/notes/get.ts" exists only as "packages/functions/src/Notes/get.ts"' in f.message
    assert f.data is not None
    assert f.data["fixedHandler"] == "packages/functions/src/Notes/get.main"


def test_outside_app(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write(tmp_path, {"shared/x.ts": "export const main = 1;", "app/sst.config.ts": ""})
    f = only(make_app(root, [h(root, "../shared/x.main")]))
    assert f.code == "handler-outside-app"
    assert f.message.startswith('Handler "../shared/x.main" resolves outside the app (../shared/x,')


@pytest.mark.parametrize(
    ("files", "handler", "runtime", "code", "fragment"),
    [
        pytest.param({}, "cmd/api", "go1.x", "handler-not-found", "no file or package folder cmd/api",
                     id="go-missing"),
        pytest.param({"img/api/app.py": ""}, "img/api", "container", "handler-not-found",
                     "has no Dockerfile: img/api/Dockerfile", id="container-dockerfile"),
        pytest.param({}, "Notes::N.A::Run", "dotnet6", "handler-not-found", "Notes.csproj", id="dotnet-project"),
        pytest.param({"s/Notes.csproj": "", "s/A.cs": "namespace N { class A { void Ran() {} } }"},
                     "Notes::N.A::Run", "dotnet6", "handler-export-missing",
                     '"N.A" in s/A.cs has no method "Run". Did you mean "Ran"? Methods: Ran', id="dotnet-method"),
        pytest.param({"s/Notes.csproj": "", "s/A.cs": "namespace N { class A { void Run() {} } }"},
                     "Notes::N.B::Run", "dotnet6", "handler-export-missing", 'Class "N.B" not found',
                     id="dotnet-class"),
        pytest.param({}, "com.x.Handler::handleRequest", "java17", "handler-not-found",
                     "src/main/java/com/x/Handler.java", id="java-missing"),
    ],
)
def test_other_runtimes(tmp_path: Path, files: dict[str, str], handler: str, runtime: str, code: str,
                        fragment: str) -> None:
    write(tmp_path, files)
    f = only(make_app(tmp_path, [h(tmp_path, handler, runtime=runtime)]))
    assert f.code == code
    assert fragment in f.message
    assert f.data is not None and f.data["runtime"] in ("go", "container", "dotnet", "java")


def test_one_finding_per_ref_in_source_order(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    app = make_app(tmp_path, [h(tmp_path, "src/a.main", line=5), h(tmp_path, "src/list.main", line=6),
                              h(tmp_path, "src/list.nope", line=7)])
    got = findings(app)
    assert [f.code for f in got] == ["handler-not-found", "handler-export-missing"]
    assert [f.range.start.line for f in got] == [5, 7]


def test_run_all_includes_handlers(tmp_path: Path) -> None:
    app = make_app(tmp_path, [h(tmp_path, "src/a.main")])
    ctx = AnalysisContext(snapshot=AppSnapshot(revision=1, apps=(app,)), resolver=HandlerResolver(FileSource()))
    assert "handler-not-found" in [f.code for f in run_all(ctx, only=["handlers"])]


# ----------------------------------------------------------------------------------------------
# Through the real workspace index (extraction + app model + resolver).


def _index_findings(index: WorkspaceIndex) -> list[Finding]:
    ctx = AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver)
    return run_all(ctx, only=["handlers"])


def test_v1_app_through_the_index(tmp_path: Path) -> None:
    from sst_lsp.model.index import WorkspaceIndex

    write(tmp_path, {
        "sst.json": '{ "name": "v1app", "region": "us-east-1", "main": "stacks/index.ts" }',
        "stacks/index.ts": (
            'import { App } from "@serverless-stack/resources";\n'
            'import { ApiStack } from "./ApiStack";\n'
            "export default function main(app: App) {\n  app.stack(ApiStack);\n}\n"
        ),
        "stacks/ApiStack.ts": (
            'import { Api, Function, StackContext } from "@serverless-stack/resources";\n'
            "export function ApiStack({ stack }: StackContext) {\n"
            '  new Api(stack, "Api", {\n'
            '    defaults: { function: { srcPath: "services" } },\n'
            '    routes: { "GET /a": "fns/list.main", "GET /b": "fns/list.mian" },\n'
            "  });\n"
            '  new Function(stack, "Py", { handler: "functions/get.handle", runtime: "python3.9", srcPath: "src" });\n'
            "}\n"
        ),
        "services/fns/list.ts": "export const main = async () => ({});\n",
        "src/functions/get.py": "def handler(event, context):\n    return {}\n",
    })
    index = WorkspaceIndex([tmp_path])
    got = _index_findings(index)
    assert [(f.code, f.range.start.line) for f in got] == [
        ("handler-export-missing", 4), ("handler-export-missing", 6)]
    assert "has no export \"mian\"" in got[0].message
    assert 'has no function "handle"' in got[1].message
    # Fixing the Python file in an open buffer clears its finding.
    index.set_text(tmp_path / "src/functions/get.py", "def handle(event, context):\n    return {}\n")
    assert [f.range.start.line for f in _index_findings(index)] == [4]


def test_v2_example_shape_through_the_index(tmp_path: Path) -> None:
    from sst_lsp.model.index import WorkspaceIndex

    write(tmp_path, {
        "sst.config.ts": (
            'import { SSTConfig } from "sst";\nimport { Api } from "./stacks/Api";\n'
            'export default {\n  config() { return { name: "n", region: "us-east-1" }; },\n'
            "  stacks(app) { app.stack(Api); },\n} satisfies SSTConfig;\n"
        ),
        "stacks/Api.ts": (
            'import { Function, StackContext } from "sst/constructs";\n'
            "export function Api({ stack }: StackContext) {\n"
            '  new Function(stack, "Fn", { handler: "packages/functions/src/Notes/get.main" });\n'
            "}\n"
        ),
        "packages/functions/src/notes/get.ts": "export const main = 1;\n",
    })
    index = WorkspaceIndex([tmp_path])
    got = _index_findings(index)
    assert [f.code for f in got] == ["handler-case-mismatch"]
    assert got[0].data is not None
    assert got[0].data["fixedHandler"] == "packages/functions/src/notes/get.main"
    # Renaming the folder on disk (and telling the index) makes the handler right.
    (tmp_path / "packages/functions/src/notes").rename(tmp_path / "packages/functions/src/Notes")
    index.file_changed(tmp_path / "packages/functions/src/notes")
    index.file_changed(tmp_path / "packages/functions/src/Notes")
    assert _index_findings(index) == []
