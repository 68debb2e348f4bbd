"""Completion in handler strings (folders, files, exports) and route keys (methods)."""

from __future__ import annotations

import pytest
from ide_fixtures import V2_CONFIG, Fixture

from sst_lsp.ide.completion import complete
from sst_lsp.ide.types import CompletionItem
from sst_lsp.syntax.text import Pos, TextRange

STORAGE = """
//- stacks/StorageStack.ts
import { StackContext } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {}
"""

FILES = """
//- src/notes/list.ts
export const main = async () => ({ statusCode: 200 });
export function helper() {}
export default function () {}
//- src/notes/list.test.ts
test("x", () => {});
//- src/notes/get.js
exports.main = async () => ({});
//- src/notes/types.d.ts
export type T = 1;
//- src/notes/sub/deep.ts
export const main = 1;
//- src/core/db.ts
export const db = 1;
//- fns/get.py
import json
from x import imported

VALUE = 1

def handler(event, context):
    return {}

@decorator
def other(event, context):
    return {}
"""


def app(route_key: str, value: str, extra: str = "") -> str:
    return (
        V2_CONFIG
        + STORAGE
        + f"""
//- stacks/ApiStack.ts
import {{ Api, Function, StackContext }} from "sst/constructs";
const NOTES = "src/notes";
export function ApiStack({{ stack }}: StackContext) {{
  new Api(stack, "Api", {{ routes: {{ {route_key}: {value} }} }});
  {extra}
}}
"""
        + FILES
    )


def items_at(fx, text: str) -> tuple[Fixture, list[CompletionItem] | None]:  # type: ignore[no-untyped-def]
    f = fx(text)
    return f, complete(f.snap, f.resolver, f.path, f.pos)


def labels(items: list[CompletionItem] | None) -> list[str]:
    assert items is not None
    return sorted(i.label for i in items)


def test_folders_at_app_root(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"GET /notes"', '"$0"'))
    got = labels(items)
    assert {"src/", "fns/", "stacks/"} <= set(got)
    assert "node_modules/" not in got and not any(x.startswith(".") for x in got)
    assert all(i.replace_range == TextRange(f.pos, f.pos) for i in items or [])


def test_files_without_extension_and_folders(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"GET /notes"', '"src/notes/li$0"'))
    assert labels(items) == ["get", "list", "sub/"]  # No tests, no .d.ts.
    by_label = {i.label: i for i in items or []}
    assert by_label["list"].kind == "file" and by_label["list"].detail == "list.ts"
    assert by_label["sub/"].kind == "folder" and by_label["sub/"].insert_text == "sub/"
    # The segment typed so far ("li") is replaced.
    assert by_label["list"].replace_range == TextRange(Pos(f.pos.line, f.pos.col - 2), f.pos)
    assert by_label["list"].commit_characters == (".",)


def test_exports_after_dot(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"GET /notes"', '"src/notes/list.$0"'))
    assert labels(items) == ["default", "helper", "main"]
    assert all(i.kind == "function" and i.replace_range == TextRange(f.pos, f.pos) for i in items or [])
    assert max(items or [], key=lambda i: i.sort_text or "").label == "default"


def test_exports_while_typing_name(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"GET /notes"', '"src/notes/list.ma$0"'))
    assert "main" in labels(items)
    item = next(i for i in items or [] if i.label == "main")
    assert item.replace_range == TextRange(Pos(f.pos.line, f.pos.col - 2), f.pos)


def test_dot_exports_after_complete_file_name(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/list$0"'))
    got = labels(items)
    assert "list" in got and ".main" in got and ".helper" in got


def test_commonjs_exports(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/get.$0"'))
    assert labels(items) == ["main"]


def test_in_template_after_interpolation(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', "`${NOTES}/list.$0`"))
    assert labels(items) == ["default", "helper", "main"]
    _, items = items_at(fx, app('"GET /notes"', "`${NOTES}/$0`"))
    assert "list" in labels(items)


def test_inside_interpolation_nothing(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', "`${NO$0TES}/list.main`"))
    assert items is None


def test_python_top_level_defs_only(fx) -> None:  # type: ignore[no-untyped-def]
    extra = 'new Function(stack, "Py", { runtime: "python3.11", handler: "fns/get.$0" });'
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/list.main"', extra))
    assert labels(items) == ["handler", "other"]


def test_python_files(fx) -> None:  # type: ignore[no-untyped-def]
    extra = 'new Function(stack, "Py", { runtime: "python3.11", handler: "fns/$0" });'
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/list.main"', extra))
    assert labels(items) == ["get"]


def test_src_path_is_the_base_in_v1(fx) -> None:  # type: ignore[no-untyped-def]
    text = """
//- sst.json
{ "name": "old", "region": "us-east-1", "main": "stacks/index.ts" }
//- stacks/index.ts
import * as sst from "@serverless-stack/resources";
import { Api } from "@serverless-stack/resources";
export default function main(app: sst.App) {
  app.stack(MyStack);
}
function MyStack({ stack }: sst.StackContext) {
  new Api(stack, "Api", {
    defaults: { function: { srcPath: "services" } },
    routes: { "GET /": "functions/$0" },
  });
}
//- services/functions/hello.ts
export const main = 1;
//- functions/wrong.ts
export const main = 1;
"""
    _, items = items_at(fx, text)
    assert labels(items) == ["hello"]


def test_http_methods_in_route_key(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"G$0ET /notes"', '"src/notes/list.main"'))
    got = labels(items)
    assert {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "$default"} == set(got)
    get = next(i for i in items or [] if i.label == "GET")
    # The whole method word is replaced; the path is kept.
    assert get.replace_range == TextRange(Pos(f.pos.line, f.pos.col - 1), Pos(f.pos.line, f.pos.col + 2))
    assert get.insert_text == "GET"


def test_method_without_path_gets_a_space(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"P$0"', '"src/notes/list.main"'))
    post = next(i for i in items or [] if i.label == "POST")
    assert post.insert_text == "POST "


def test_route_key_path_part_nothing(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /no$0tes"', '"src/notes/list.main"'))
    assert items is None


def test_unicode_before_cursor(fx) -> None:  # type: ignore[no-untyped-def]
    f, items = items_at(fx, app('"GET /😋"', '"src/notes/li$0"'))
    item = next(i for i in items or [] if i.label == "list")
    assert item.replace_range == TextRange(Pos(f.pos.line, f.pos.col - 2), f.pos)


@pytest.mark.parametrize("value", ['"src/notes/list.main"', "someVariable"])
def test_outside_strings_nothing(fx, value: str) -> None:  # type: ignore[no-untyped-def]
    text = app('"GET /notes"', value).replace('new Api(stack, "Api"', 'new Api(st$0ack, "Api"')
    _, items = items_at(fx, text)
    assert items is None


def test_syntax_error_at_cursor_nothing(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/list.main" +++ (( $0'))
    assert items is None


def test_unterminated_string_completes(fx) -> None:  # type: ignore[no-untyped-def]
    text = (
        V2_CONFIG + STORAGE + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "GET /notes": "src/notes/list.main",
      "GET /😋": "src/notes/li$0
    },
  });
}
""" + FILES
    )
    f, items = items_at(fx, text)
    assert labels(items) == ["get", "list", "sub/"]
    item = next(i for i in items or [] if i.label == "list")
    assert item.replace_range == TextRange(Pos(f.pos.line, f.pos.col - 2), f.pos)


def test_unterminated_string_exports(fx) -> None:  # type: ignore[no-untyped-def]
    text = (
        V2_CONFIG + STORAGE + """
//- stacks/ApiStack.ts
import { Function, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Function(stack, "Fn", {
    handler: "src/notes/list.$0
  });
}
""" + FILES
    )
    _, items = items_at(fx, text)
    assert {"main", "helper"} <= set(labels(items))


@pytest.mark.parametrize("value", ['"../$0"', '"../../$0"', '"src/../../$0"'])
def test_no_folders_outside_the_app(fx, value: str) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', value))
    assert not items


def test_parent_inside_the_app_still_completes(fx) -> None:  # type: ignore[no-untyped-def]
    _, items = items_at(fx, app('"GET /notes"', '"src/notes/../$0"'))
    assert {"core/", "notes/"} <= set(labels(items))


def test_route_paths_from_the_other_routes(fx) -> None:  # type: ignore[no-untyped-def]
    text = app('"GET /notes"', '"src/notes/list.main", "POST /notes/{id}": "src/notes/list.main", '
                               '"PUT /no$0": "src/notes/list.main"')
    f, items = items_at(fx, text)
    assert labels(items) == ["/notes", "/notes/{id}"]
    notes = next(i for i in items or [] if i.label == "/notes")
    assert notes.detail == "route of GET"
    # The whole path part is replaced, the method is kept.
    assert notes.replace_range == TextRange(Pos(f.pos.line, f.pos.col - 3), f.pos)
