"""Handler resolution (model/resolve.py) against small apps written into tmp_path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from sst_lsp.model.files import FileSource
from sst_lsp.model.resolve import NODE_EXTENSIONS, HandlerResolver, Resolution, runtime_family
from sst_lsp.model.types import App, Generation, HandlerRef
from sst_lsp.syntax.text import LineIndex, TextRange


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")


def ref(handler: str, root: Path, runtime: str | None = None, src_path: str | None = None) -> HandlerRef:
    return HandlerRef(
        handler=handler,
        path=root / "stacks" / "Api.ts",
        range=TextRange.of(0, 0, 0, len(handler)),
        position="Function",
        stack="Api",
        runtime=runtime,
        src_path=src_path,
    )


def make_app(root: Path, handlers: Sequence[HandlerRef] = (), generation: Generation = "v2",
             default_runtime: str = "nodejs") -> App:
    entry = root / ("sst.config.ts" if generation in ("v2", "v3") else "stacks/index.ts")
    return App(
        root=root,
        config_path=root / ("sst.config.ts" if generation in ("v2", "v3") else "sst.json"),
        generation=generation,
        name="app",
        region="us-east-1",
        entry=entry,
        files=(entry,),
        stacks=(),
        constructs=(),
        handlers=tuple(handlers),
        default_runtime=default_runtime,
    )


def resolve(root: Path, handler: str, *, runtime: str | None = None, src_path: str | None = None,
            generation: Generation = "v2", fs: FileSource | None = None) -> Resolution:
    resolver = HandlerResolver(fs or FileSource())
    return resolver.resolve(make_app(root, generation=generation), ref(handler, root, runtime, src_path))


def text_at(path: Path, rng: TextRange | None) -> str:
    assert rng is not None
    text = path.read_text(encoding="utf-8")
    idx = LineIndex(text)
    return text[idx.offset_at(rng.start) : idx.offset_at(rng.end)]


# ----------------------------------------------------------------------------------------------
# Node.


@pytest.mark.parametrize("ext", NODE_EXTENSIONS)
def test_node_each_extension(tmp_path: Path, ext: str) -> None:
    write(tmp_path, {f"src/list{ext}": "export const main = async () => 1;\n"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "ok"
    assert r.file == tmp_path / "src" / f"list{ext}"
    assert r.export == "main"
    assert text_at(r.file, r.export_range) == "main"


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        pytest.param([".js", ".ts"], ".ts", id="ts-before-js"),
        pytest.param([".tsx", ".js"], ".tsx", id="tsx-before-js"),
        pytest.param([".mjs", ".js"], ".js", id="js-before-mjs"),
        pytest.param([".cjs", ".mts"], ".mts", id="mts-before-cjs"),
    ],
)
def test_node_extension_order(tmp_path: Path, present: list[str], chosen: str) -> None:
    write(tmp_path, {f"src/list{e}": "export const main = 1;" for e in present})
    assert resolve(tmp_path, "src/list.main").file == tmp_path / "src" / f"list{chosen}"


def test_node_file_missing_lists_candidates_in_order(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "src/lis.main")
    assert r.status == "file-missing"
    assert r.tried == tuple(tmp_path / "src" / f"lis{e}" for e in NODE_EXTENSIONS)
    assert r.export == "main"
    assert r.file is None


def test_node_export_missing_closest_first(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const list = 1;\nexport const other = 2;\nexport function main() {}\n"})
    r = resolve(tmp_path, "src/list.mian")
    assert r.status == "export-missing"
    assert r.available[0] == "main"
    assert set(r.available) == {"main", "list", "other"}
    assert r.closest == "main"


def test_node_export_missing_nothing_close(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const zzz = 1;\n"})
    r = resolve(tmp_path, "src/list.handler")
    assert r.status == "export-missing"
    assert r.available == ("zzz",)
    assert r.closest is None


def test_node_handler_without_export(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;\n"})
    r = resolve(tmp_path, "src/list")
    assert r.status == "export-missing"
    assert r.export is None
    assert r.available == ("main",)


def test_node_default_export_is_a_valid_handler(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export default async function handler() {}\n"})
    assert resolve(tmp_path, "src/list.default").status == "ok"
    assert resolve(tmp_path, "src/list.handler").status == "export-missing"


def test_node_cjs_function_export_is_default_only(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.js": "module.exports = async function (event) {};\n"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "export-missing"
    assert r.available == ("default",)


def test_node_dynamic_exports_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.js": "module.exports = buildHandlers();\n"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "ok"
    assert r.export_range is None


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param("./src/list.main", "src/list.ts", id="dot-slash"),
        pytest.param("src/./list.main", "src/list.ts", id="inner-dot"),
        pytest.param("src/other/../list.main", "src/list.ts", id="dot-dot-inside"),
        pytest.param("src/missing-dir/../list.main", "src/list.ts", id="dot-dot-through-missing-dir"),
    ],
)
def test_node_relative_forms(tmp_path: Path, handler: str, expected: str) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;", "src/other/x.ts": ""})
    r = resolve(tmp_path, handler)
    assert r.status == "ok"
    assert r.file == tmp_path / expected


def test_v1_srcpath_applies(tmp_path: Path) -> None:
    write(tmp_path, {"services/functions/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "functions/list.main", src_path="services", generation="v1")
    assert r.status == "ok"
    assert r.base_dir == tmp_path / "services"
    assert r.file == tmp_path / "services" / "functions" / "list.ts"
    # The same handler without srcPath: relative to the root, where it is not.
    assert resolve(tmp_path, "functions/list.main", generation="v1").status == "file-missing"


def test_v1_default_srcpath_is_root(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "src/list.main", generation="v1")
    assert r.status == "ok"
    assert r.src_path == "."


def test_v2_ignores_srcpath_for_node(tmp_path: Path) -> None:
    write(tmp_path, {"packages/functions/src/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "packages/functions/src/list.main", src_path="packages/functions")
    assert r.status == "ok"
    assert r.base_dir == tmp_path
    assert r.src_path is None


def test_v1_dot_dot_inside_app(tmp_path: Path) -> None:
    write(tmp_path, {"shared/x.ts": "export const main = 1;", "services/a.ts": ""})
    r = resolve(tmp_path, "../shared/x.main", src_path="services", generation="v1")
    assert r.status == "ok"
    assert r.file == tmp_path / "shared" / "x.ts"


@pytest.mark.parametrize(
    ("handler", "src_path", "generation"),
    [
        pytest.param("../../shared/x.main", None, "v2", id="v2-dot-dot"),
        pytest.param("../shared/x.main", None, "v2", id="v2-one-level"),
        pytest.param("../../x.main", "services", "v1", id="v1-through-srcpath"),
        pytest.param("x.main", "../other", "v1", id="srcpath-outside"),
        pytest.param("/etc/passwd.main", None, "v2", id="v2-absolute"),
    ],
)
def test_outside_app(tmp_path: Path, handler: str, src_path: str | None, generation: Generation) -> None:
    app_root = tmp_path / "app"
    write(tmp_path, {"shared/x.ts": "export const main = 1;", "x.ts": "export const main = 1;",
                     "other/x.ts": "export const main = 1;", "app/services/a.ts": ""})
    r = resolve(app_root, handler, src_path=src_path, generation=generation)
    assert r.status == "outside-app"


def test_v1_leading_slash_is_relative(tmp_path: Path) -> None:
    # node's path.join(srcPath, "/src/list") keeps the handler under srcPath.
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    assert resolve(tmp_path, "/src/list.main", generation="v1").status == "ok"


def test_v1_first_dot_v2_last_dot(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.ts": "export const b = {};", "src/a.b.ts": "export const main = 1;"})
    v1 = resolve(tmp_path, "src/a.b.main", generation="v1")
    assert (v1.status, v1.file, v1.export) == ("ok", tmp_path / "src" / "a.ts", "b")
    v2 = resolve(tmp_path, "src/a.b.main")
    assert (v2.status, v2.file, v2.export) == ("ok", tmp_path / "src" / "a.b.ts", "main")


def test_unicode_paths(tmp_path: Path) -> None:
    write(tmp_path, {"src/😋/naïve.ts": 'const s = "é😋";\nexport const main = s;\n'})
    r = resolve(tmp_path, "src/😋/naïve.main")
    assert r.status == "ok"
    assert text_at(tmp_path / "src/😋/naïve.ts", r.export_range) == "main"
    assert r.export_range == TextRange.of(1, 13, 1, 17)


def test_binary_handler_file_is_unchecked(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": b"\x00\x01\x02binary\x00"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "unchecked"
    assert r.file == tmp_path / "src" / "list.ts"
    assert r.message and "could not be read" in r.message


def test_invalid_utf8_handler_file_still_checked(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": b"export const main = 1; // caf\xe9 \xff\n"})
    assert resolve(tmp_path, "src/list.main").status == "ok"
    assert resolve(tmp_path, "src/list.other").status == "export-missing"


def test_syntax_error_after_export(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = async () => 1;\n\nfunction broken( {\n  const = ;\n"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "ok"
    assert r.export_range == TextRange.of(0, 13, 0, 17)


# Re-exports.


def test_reexport_chain(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/index.ts": 'export { impl as main } from "./impl";\n',
        "src/impl.ts": 'export { inner as impl } from "./deep/inner";\n',
        "src/deep/inner.ts": "export async function inner() {}\n",
    })
    resolver = HandlerResolver(FileSource())
    r = resolver.resolve(make_app(tmp_path), ref("src/index.main", tmp_path))
    assert r.status == "ok"
    # The range in the handler's own file is the re-export; resolve_export follows to the end.
    assert text_at(tmp_path / "src/index.ts", r.export_range) == "main"
    target = resolver.resolve_export(tmp_path / "src/index.ts", "main")
    assert target is not None
    assert target[0] == tmp_path / "src/deep/inner.ts"
    assert text_at(target[0], target[1]) == "inner"


def test_import_then_export_is_followed(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/index.ts": 'import { handler } from "./impl";\nexport { handler as main };\n',
        "src/impl.ts": "export const handler = 1;\n",
    })
    resolver = HandlerResolver(FileSource())
    target = resolver.resolve_export(tmp_path / "src/index.ts", "main")
    assert target is not None and target[0] == tmp_path / "src/impl.ts"


def test_star_chain(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/a.ts": 'export * from "./b";\nexport const a = 1;\n',
        "src/b.ts": 'export * from "./lib";\n',
        "src/lib/index.ts": "export const main = 1;\nexport default 2;\n",
    })
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path)
    r = resolver.resolve(app, ref("src/a.main", tmp_path))
    assert r.status == "ok"
    assert r.export_range is None  # Defined in another file.
    assert resolver.resolve_export(tmp_path / "src/a.ts", "main") == (
        tmp_path / "src/lib/index.ts", TextRange.of(0, 13, 0, 17))
    # `export *` does not re-export the default export.
    missing = resolver.resolve(app, ref("src/a.default", tmp_path))
    assert missing.status == "export-missing"
    assert set(missing.available) == {"a", "main"}


def test_star_cycle_terminates(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/a.ts": 'export * from "./b";\nexport const fromA = 1;\n',
        "src/b.ts": 'export * from "./a";\nexport * from "./b";\nexport const fromB = 1;\n',
    })
    r = resolve(tmp_path, "src/a.main")
    assert r.status == "export-missing"
    assert set(r.available) == {"fromA", "fromB"}
    assert resolve(tmp_path, "src/a.fromB").status == "ok"


def test_reexport_cycle_terminates(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/a.ts": 'export { main } from "./b";\n',
        "src/b.ts": 'export { main } from "./a";\n',
    })
    resolver = HandlerResolver(FileSource())
    # The name is spelled in a.ts, so the handler is accepted; the chain just ends there.
    assert resolver.resolve(make_app(tmp_path), ref("src/a.main", tmp_path)).status == "ok"
    assert resolver.resolve_export(tmp_path / "src/a.ts", "main") is not None


def test_star_from_js_specifier_means_ts(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.ts": 'export * from "./impl.js";\n', "src/impl.ts": "export const main = 1;\n"})
    assert resolve(tmp_path, "src/a.main").status == "ok"
    assert resolve(tmp_path, "src/a.nope").status == "export-missing"


@pytest.mark.parametrize(
    "spec",
    [pytest.param("some-package", id="package"), pytest.param("./missing", id="missing-file"),
     pytest.param("@/alias/x", id="path-alias")],
)
def test_star_from_unresolvable_is_not_reported(tmp_path: Path, spec: str) -> None:
    write(tmp_path, {"src/a.ts": f'export * from "{spec}";\n'})
    assert resolve(tmp_path, "src/a.main").status == "ok"


def test_cjs_require_reexport(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.js": 'module.exports = require("./impl");\n', "src/impl.js": "exports.main = 1;\n"})
    assert resolve(tmp_path, "src/a.main").status == "ok"
    assert resolve(tmp_path, "src/a.other").status == "export-missing"


# Letter case.


def test_case_mismatch_file(tmp_path: Path) -> None:
    write(tmp_path, {"src/List.ts": "export const main = 1;"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "case-mismatch"
    assert r.case_match == tmp_path / "src" / "List.ts"
    assert r.case_fixed_handler == "src/List.main"
    assert r.export_range is not None


def test_case_mismatch_directory(tmp_path: Path) -> None:
    write(tmp_path, {"src/Notes/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "./src/notes/list.main")
    assert r.status == "case-mismatch"
    assert r.case_match == tmp_path / "src" / "Notes" / "list.ts"
    assert r.case_fixed_handler == "./src/Notes/list.main"


def test_case_mismatch_with_dot_dot(tmp_path: Path) -> None:
    write(tmp_path, {"src/Shared/x.ts": "export const main = 1;", "src/fns/a.ts": ""})
    r = resolve(tmp_path, "src/fns/../shared/X.main")
    assert r.status == "case-mismatch"
    assert r.case_fixed_handler == "src/fns/../Shared/x.main"


def test_case_mismatch_in_srcpath_has_no_handler_fix(tmp_path: Path) -> None:
    write(tmp_path, {"services/list.ts": "export const main = 1;"})
    r = resolve(tmp_path, "list.main", src_path="Services", generation="v1")
    assert r.status == "case-mismatch"
    assert r.case_match == tmp_path / "services" / "list.ts"
    assert r.case_fixed_handler is None


def test_exact_case_wins_over_other_case(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.js": "export const main = 1;", "src/List.ts": "export const main = 1;"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "ok"
    assert r.file == tmp_path / "src" / "list.js"


def test_case_mismatch_python_and_export_missing_later(tmp_path: Path) -> None:
    write(tmp_path, {"src/functions/Get.py": "def main(event, context):\n    pass\n"})
    r = resolve(tmp_path, "functions/get.main", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "case-mismatch"
    assert r.case_fixed_handler == "functions/Get.main"


# ----------------------------------------------------------------------------------------------
# Python.


def test_python_v1_srcpath(tmp_path: Path) -> None:
    write(tmp_path, {"src/functions/get.py": "import json\n\ndef main(event, context):\n    return 1\n"})
    r = resolve(tmp_path, "functions/get.main", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "ok"
    assert r.runtime_family == "python"
    assert r.file == tmp_path / "src/functions/get.py"
    assert text_at(r.file, r.export_range) == "main"


def test_python_v0_srcpath_is_package_dir(tmp_path: Path) -> None:
    write(tmp_path, {"src/functions/get.py": "def handler(event, context):\n    return 1\n"})
    r = resolve(tmp_path, "get.handler", runtime="python3.8", src_path="src/functions", generation="v0")
    assert r.status == "ok"


def test_python_v2_relative_to_root(tmp_path: Path) -> None:
    write(tmp_path, {"functions/src/get.py": "def main(e, c): pass\n", "functions/requirements.txt": ""})
    assert resolve(tmp_path, "functions/src/get.main", runtime="python3.11").status == "ok"
    assert resolve(tmp_path, "functions/src/get.main", runtime="python3.11",
                   src_path="functions").status == "ok"


def test_python_package_init(tmp_path: Path) -> None:
    write(tmp_path, {"src/api/__init__.py": "async def main(e, c):\n    pass\n"})
    r = resolve(tmp_path, "api.main", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "ok"
    assert r.file == tmp_path / "src/api/__init__.py"


def test_python_missing_function(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "import os\nimport boto3 as b3\n\ndef handler(e, c): pass\ndef helper(): pass\n"})
    r = resolve(tmp_path, "get.handle", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "export-missing"
    assert r.available[0] == "handler"
    assert "os" not in r.available


def test_python_missing_file(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "def main(): pass\n"})
    r = resolve(tmp_path, "functions/get.main", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "file-missing"
    assert r.tried == (tmp_path / "src/functions/get.py", tmp_path / "src/functions/get/__init__.py")


def test_node_tried_ends_at_the_file_found(tmp_path: Path) -> None:
    # The hover of an ok handler and the go-to-definition of a file read `tried`: the candidates
    # before the file found, then the file itself.
    write(tmp_path, {"src/list.js": "export const main = 1;"})
    r = resolve(tmp_path, "src/list.main")
    assert r.status == "ok"
    assert r.tried == tuple(tmp_path / "src" / f"list{e}" for e in (".ts", ".tsx", ".mts", ".cts", ".js"))
    assert r.target == tmp_path / "src" / "list"


def test_node_case_mismatch_tried_every_extension_as_written(tmp_path: Path) -> None:
    write(tmp_path, {"src/Notes/List.ts": "export const main = 1;"})
    r = resolve(tmp_path, "src/notes/list.main")
    assert r.status == "case-mismatch"
    assert r.tried == tuple(tmp_path / "src" / "notes" / f"list{e}" for e in NODE_EXTENSIONS)
    assert r.target == tmp_path / "src" / "notes" / "list"


def test_node_outside_app_and_folder_handler_targets(tmp_path: Path) -> None:
    out = resolve(tmp_path, "../other/list.main")
    assert (out.status, out.target, out.tried) == ("outside-app", tmp_path.parent / "other" / "list", ())
    folder = resolve(tmp_path, "src/")
    assert folder.status == "file-missing"
    assert folder.target == tmp_path / "src"
    assert folder.tried == tuple(tmp_path / f"src{e}" for e in NODE_EXTENSIONS)


@pytest.mark.parametrize(
    ("files", "tried"),
    [
        pytest.param({"src/get.py": "def main(): pass\n"}, ("get.py",), id="module"),
        pytest.param({"src/get/__init__.py": "def main(): pass\n"}, ("get.py", "get/__init__.py"), id="package"),
        pytest.param({"src/Get.py": "def main(): pass\n"}, ("get.py", "get/__init__.py"), id="case-mismatch"),
    ],
)
def test_python_tried_and_target(tmp_path: Path, files: dict[str, str], tried: tuple[str, ...]) -> None:
    write(tmp_path, files)
    r = resolve(tmp_path, "get.main", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == ("case-mismatch" if "src/Get.py" in files else "ok")
    assert r.tried == tuple(tmp_path / "src" / t for t in tried)
    assert r.target == tmp_path / "src" / "get"
    assert r.file == tmp_path / next(iter(files))


def test_resolutions_survive_the_check_cache_pickle(tmp_path: Path) -> None:
    # The lazily kept candidates (`Candidates`) are among the classes a cache entry may hold.
    from sst_lsp import cache

    write(tmp_path, {"src/list.js": "export const main = 1;", "fns/get.py": "def main(): pass\n"})
    for r in (resolve(tmp_path, "src/list.main"), resolve(tmp_path, "src/lis.main"),
              resolve(tmp_path, "fns/get.main", runtime="python3.9")):
        back = cache._loads(cache._dumps(r))
        assert back == r
        assert back.tried == r.tried and back.target == r.target


def test_python_relative_star_import(tmp_path: Path) -> None:
    write(tmp_path, {"src/pkg/get.py": "from .impl import *\n", "src/pkg/impl.py": "def main(e, c): pass\n"})
    assert resolve(tmp_path, "pkg/get.main", runtime="python3.9", src_path="src", generation="v1").status == "ok"
    r = resolve(tmp_path, "pkg/get.other", runtime="python3.9", src_path="src", generation="v1")
    assert r.status == "export-missing"
    assert r.available == ("main",)


def test_python_absolute_star_import_is_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "from handlers import *\n"})
    assert resolve(tmp_path, "get.main", runtime="python3.9", src_path="src", generation="v1").status == "ok"


def test_python_syntax_error_keeps_function(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "def main(e, c):\n    return 1\n\ndef broken(:\n"})
    assert resolve(tmp_path, "get.main", runtime="python3.9", src_path="src", generation="v1").status == "ok"


# ----------------------------------------------------------------------------------------------
# Go, container, .NET, Java, unchecked runtimes.


GO_MAIN = "package main\n\nfunc handler() {}\n\nfunc main() {\n\tlambda.Start(handler)\n}\n"


def test_go_file(tmp_path: Path) -> None:
    write(tmp_path, {"cmd/api/main.go": GO_MAIN})
    r = resolve(tmp_path, "cmd/api/main.go", runtime="go1.x")
    assert r.status == "ok"
    assert r.file == tmp_path / "cmd/api/main.go"
    assert text_at(r.file, r.export_range) == "main"


def test_go_package_folder(tmp_path: Path) -> None:
    write(tmp_path, {"cmd/api/a.go": "package main\nfunc helper() {}\n", "cmd/api/b.go": GO_MAIN,
                     "cmd/api/b_test.go": "package main\nfunc main() {}\n"})
    r = resolve(tmp_path, "cmd/api", runtime="go")
    assert r.status == "ok"
    assert r.file == tmp_path / "cmd/api/b.go"


@pytest.mark.parametrize(
    ("files", "handler", "status"),
    [
        pytest.param({}, "cmd/api", "file-missing", id="missing"),
        pytest.param({"cmd/api/README.md": "x"}, "cmd/api", "file-missing", id="folder-without-go"),
        pytest.param({"cmd/API/main.go": GO_MAIN}, "cmd/api/main.go", "case-mismatch", id="case"),
        pytest.param({"main.go": GO_MAIN}, "./main.go", "ok", id="root-file"),
    ],
)
def test_go_cases(tmp_path: Path, files: dict[str, str], handler: str, status: str) -> None:
    write(tmp_path, {"sst.config.ts": "", **files})
    assert resolve(tmp_path, handler, runtime="go1.x").status == status


def test_go_v1_srcpath(tmp_path: Path) -> None:
    write(tmp_path, {"services/cmd/main.go": GO_MAIN})
    assert resolve(tmp_path, "cmd/main.go", runtime="go1.x", src_path="services", generation="v1").status == "ok"


@pytest.mark.parametrize(
    ("files", "status"),
    [
        pytest.param({"images/api/Dockerfile": "FROM x"}, "ok", id="dockerfile"),
        pytest.param({"images/api/app.py": ""}, "file-missing", id="no-dockerfile"),
        pytest.param({"images/other/Dockerfile": ""}, "file-missing", id="no-folder"),
        pytest.param({"images/API/Dockerfile": ""}, "case-mismatch", id="case"),
    ],
)
def test_container(tmp_path: Path, files: dict[str, str], status: str) -> None:
    write(tmp_path, files)
    assert resolve(tmp_path, "images/api", runtime="container").status == status


CS = (
    "namespace Notes.Handlers\n{\n  public class Api\n  {\n"
    "    public async Task<Response> List(Request r, ILambdaContext c) => null;\n"
    "    public Response Get(Request r) => null;\n  }\n}\n"
)


@pytest.mark.parametrize(
    ("handler", "status", "first_available"),
    [
        pytest.param("Notes::Notes.Handlers.Api::List", "ok", None, id="ok"),
        pytest.param("Notes::Notes.Handlers.Api::Lst", "export-missing", "Notes.Handlers.Api::List", id="method"),
        pytest.param("Notes::Notes.Handlers.Apx::List", "export-missing", "Notes.Handlers.Api", id="class"),
        pytest.param("Other::Notes.Handlers.Api::List", "file-missing", None, id="project"),
    ],
)
def test_dotnet_v2(tmp_path: Path, handler: str, status: str, first_available: str | None) -> None:
    write(tmp_path, {"services/Notes/Notes.csproj": "<Project/>", "services/Notes/Handlers/Api.cs": CS,
                     "services/Notes/bin/Release/Gen.cs": "namespace Gen { class Z { void Y() {} } }"})
    r = resolve(tmp_path, handler, runtime="dotnet6")
    assert r.status == status
    if first_available:
        assert r.available[0] == first_available
        assert "Gen.Z" not in r.available  # bin/ is build output.
    if status == "ok":
        assert r.file == tmp_path / "services/Notes/Handlers/Api.cs"
        assert text_at(r.file, r.export_range) == "List"


def test_dotnet_v1_needs_project_in_srcpath(tmp_path: Path) -> None:
    write(tmp_path, {"services/Api.csproj": "<Project/>", "services/Api.cs": CS})
    ok = resolve(tmp_path, "Api::Notes.Handlers.Api::Get", runtime="dotnetcore3.1", src_path="services",
                 generation="v1")
    assert ok.status == "ok"
    missing = resolve(tmp_path, "Api::Notes.Handlers.Api::Get", runtime="dotnetcore3.1", generation="v1")
    assert missing.status == "file-missing"


@pytest.mark.parametrize(("project", "language"), [("Notes.fsproj", "F#"), ("Notes.vbproj", "Visual Basic")])
def test_dotnet_fsharp_and_vb_projects_are_found(tmp_path: Path, project: str, language: str) -> None:
    write(tmp_path, {f"services/notes/{project}": "<Project/>", "services/notes/Api.fs": "module Api\n"})
    r = resolve(tmp_path, "Notes::Notes.Api::handler", runtime="dotnet8")
    # The project is there: not "file-missing". Its sources are not parsed: nothing is claimed.
    assert r.status == "unchecked"
    assert r.file == tmp_path / "services/notes" / project
    assert r.message == (f"{language} project services/notes/{project} found; {language} sources are not read, "
                         'so "Notes.Api::handler" is not checked')
    other = resolve(tmp_path, "Other::Notes.Api::handler", runtime="dotnet8")
    assert other.status == "file-missing"
    assert [p.name for p in other.tried] == ["Other.csproj", "Other.fsproj", "Other.vbproj"]


def test_dotnet_csharp_project_wins_over_fsharp_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, {"a/Notes.fsproj": "<Project/>", "b/Notes.csproj": "<Project/>", "b/Api.cs": CS})
    assert resolve(tmp_path, "Notes::Notes.Handlers.Api::Get", runtime="dotnet6").status == "ok"


def test_dotnet_v1_fsharp_project_in_srcpath(tmp_path: Path) -> None:
    write(tmp_path, {"services/Api.fsproj": "<Project/>", "services/Api.fs": "module Api\n"})
    r = resolve(tmp_path, "Api::Api::handler", runtime="dotnetcore3.1", src_path="services", generation="v1")
    assert (r.status, r.file) == ("unchecked", tmp_path / "services/Api.fsproj")
    assert resolve(tmp_path, "Api::Api::handler", runtime="dotnetcore3.1", generation="v1").status == "file-missing"


def test_dotnet_malformed_handler_is_unchecked(tmp_path: Path) -> None:
    r = resolve(tmp_path, "Notes.Handlers.Api.List", runtime="dotnet8")
    assert r.status == "unchecked"
    assert r.message


JAVA = (
    "package com.example;\n\npublic class Handler implements RequestHandler<Map, String> {\n"
    "  public String handleRequest(Map in, Context c) { return \"\"; }\n"
    "  public String other() { return \"\"; }\n}\n"
)


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        pytest.param("com.example.Handler::handleRequest", "ok", id="ok"),
        pytest.param("com.example.Handler", "ok", id="default-method"),
        pytest.param("com.example.Handler::other", "ok", id="other-method"),
        pytest.param("com.example.Handler::missing", "export-missing", id="method"),
        pytest.param("com.example.Nope::handleRequest", "file-missing", id="class-file"),
        pytest.param("com.example.handler::handleRequest", "case-mismatch", id="case"),
    ],
)
def test_java(tmp_path: Path, handler: str, status: str) -> None:
    write(tmp_path, {"services/build.gradle": "", "services/src/main/java/com/example/Handler.java": JAVA,
                     "services/build/generated/com/example/Nope.java": "package com.example; class Nope {}"})
    r = resolve(tmp_path, handler, runtime="java11")
    assert r.status == status
    if status == "ok":
        assert r.file == tmp_path / "services/src/main/java/com/example/Handler.java"
    if status == "case-mismatch":
        assert r.case_fixed_handler == "com.example.Handler::handleRequest"


@pytest.mark.parametrize("runtime", ["rust", "provided.al2", "nim1.0", "ruby3.2"])
def test_unchecked_runtimes(tmp_path: Path, runtime: str) -> None:
    r = resolve(tmp_path, "does/not/exist.main", runtime=runtime)
    assert r.status == "unchecked"
    assert r.message


@pytest.mark.parametrize(
    ("runtime", "family"),
    [("nodejs16.x", "node"), (None, "node"), ("python3.9", "python"), ("go1.x", "go"), ("go", "go"),
     ("dotnetcore3.1", "dotnet"), ("dotnet8", "dotnet"), ("java21", "java"), ("container", "container"),
     ("rust", "rust"), ("provided.al2023", "unknown")],
)
def test_runtime_family(runtime: str | None, family: str) -> None:
    assert runtime_family(runtime) == family


def test_app_default_runtime_applies(tmp_path: Path) -> None:
    write(tmp_path, {"src/get.py": "def main(): pass\n"})
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path, generation="v1", default_runtime="python3.9")
    r = resolver.resolve(app, ref("get.main", tmp_path, src_path="src"))
    assert (r.status, r.runtime_family, r.runtime) == ("ok", "python", "python3.9")


# ----------------------------------------------------------------------------------------------
# Caching and invalidation.


class CountingSource(FileSource):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[Path] = []

    def read_text(self, path: Path) -> str | None:
        self.reads.append(path)
        return super().read_text(path)


def test_resolve_is_memoized(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;", "src/other.ts": "export const x = 1;"})
    fs = CountingSource()
    resolver = HandlerResolver(fs)
    app = make_app(tmp_path)
    first = resolver.resolve(app, ref("src/list.main", tmp_path))
    reads = len(fs.reads)
    assert reads >= 1
    for _ in range(5):
        assert resolver.resolve(app, ref("src/list.main", tmp_path)) is first
    assert len(fs.reads) == reads
    # An unrelated file changing keeps the result.
    resolver.invalidate(tmp_path / "elsewhere" / "x.ts")
    assert resolver.resolve(app, ref("src/list.main", tmp_path)) is first
    assert len(fs.reads) == reads
    # The handler file changing drops it.
    (tmp_path / "src/list.ts").write_text("export const renamed = 1;")
    resolver.invalidate(tmp_path / "src/list.ts")
    again = resolver.resolve(app, ref("src/list.main", tmp_path))
    assert again.status == "export-missing"
    assert len(fs.reads) > reads


def test_exports_cached_per_text(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    resolver = HandlerResolver(FileSource())
    a = resolver.exports(tmp_path / "src/list.ts")
    assert a is not None and resolver.exports(tmp_path / "src/list.ts") is a
    assert resolver.exports(tmp_path / "src/nope.ts") is None


def test_created_file_is_seen_after_invalidate(tmp_path: Path) -> None:
    write(tmp_path, {"src/other.ts": ""})
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path)
    assert resolver.resolve(app, ref("src/list.main", tmp_path)).status == "file-missing"
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    resolver.invalidate(tmp_path / "src/list.ts")
    assert resolver.resolve(app, ref("src/list.main", tmp_path)).status == "ok"


def test_reexported_file_change_invalidates(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.ts": 'export * from "./b";\n', "src/b.ts": "export const main = 1;\n"})
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path)
    assert resolver.resolve(app, ref("src/a.main", tmp_path)).status == "ok"
    write(tmp_path, {"src/b.ts": "export const other = 1;\n"})
    resolver.invalidate(tmp_path / "src/b.ts")
    assert resolver.resolve(app, ref("src/a.main", tmp_path)).status == "export-missing"


def test_open_buffer_overlay(tmp_path: Path) -> None:
    fs = FileSource()
    resolver = HandlerResolver(fs)
    app = make_app(tmp_path)
    path = tmp_path / "src" / "new.ts"
    fs.set_overlay(path, "export const main = 1;")
    resolver.invalidate(path)
    assert resolver.resolve(app, ref("src/new.main", tmp_path)).status == "ok"
    fs.set_overlay(path, "export const other = 1;")
    resolver.invalidate(path)
    assert resolver.resolve(app, ref("src/new.main", tmp_path)).status == "export-missing"
    fs.set_overlay(path, None)
    resolver.invalidate(path)
    assert resolver.resolve(app, ref("src/new.main", tmp_path)).status == "file-missing"


def test_invalidate_all(tmp_path: Path) -> None:
    write(tmp_path, {"src/list.ts": "export const main = 1;"})
    fs = CountingSource()
    resolver = HandlerResolver(fs)
    app = make_app(tmp_path)
    resolver.resolve(app, ref("src/list.main", tmp_path))
    n = len(fs.reads)
    resolver.invalidate()
    resolver.resolve(app, ref("src/list.main", tmp_path))
    assert len(fs.reads) > n


def test_dotnet_walk_sees_new_source(tmp_path: Path) -> None:
    write(tmp_path, {"svc/Notes.csproj": "<Project/>", "svc/A.cs": "namespace N { class A { void X() {} } }"})
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path)
    h = ref("Notes::N.B::Run", tmp_path, runtime="dotnet6")
    assert resolver.resolve(app, h).status == "export-missing"
    write(tmp_path, {"svc/sub/B.cs": "namespace N { class B { void Run() {} } }"})
    resolver.invalidate(tmp_path / "svc" / "sub")
    resolver.invalidate(tmp_path / "svc" / "sub" / "B.cs")
    assert resolver.resolve(app, h).status == "ok"


def test_renamed_folder_seen_through_file_events(tmp_path: Path) -> None:
    # Editors report the files of a renamed folder, not the folder's parent.
    write(tmp_path, {"src/Notes/get.ts": "export const main = 1;"})
    resolver = HandlerResolver(FileSource())
    app = make_app(tmp_path)
    h = ref("src/notes/get.main", tmp_path)
    assert resolver.resolve(app, h).status == "case-mismatch"
    (tmp_path / "src/Notes").rename(tmp_path / "src/NOTES")
    resolver.invalidate(tmp_path / "src/Notes/get.ts")
    resolver.invalidate(tmp_path / "src/NOTES/get.ts")
    r = resolver.resolve(app, h)
    assert r.status == "case-mismatch"
    assert r.case_match == tmp_path / "src/NOTES/get.ts"
