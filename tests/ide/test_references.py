"""Find references: from an export to the handler strings, and from a string to its peers."""

from __future__ import annotations

import pytest
from ide_fixtures import V2_CONFIG

from sst_lsp.ide.references import find_references

STORAGE = """
//- stacks/StorageStack.ts
import { StackContext } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {}
"""

API = """
//- stacks/ApiStack.ts
import { Api, Cron, StackContext } from "sst/constructs";
const NOTES = "src/notes";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "GET /notes": "[[src/notes/list.main<A>]]",
      "GET /notes/{id}": [[`${NOTES}/list.main`]],
      "POST /notes": "<C>src/notes/create.main<B><D>",
    },
  });
  new Cron(stack, "Job", { schedule: "rate(1 day)", job: "<E>src/notes/list.other<F>" });
}
"""


def app(**marks: str) -> str:
    """The app with `<X>` placeholders replaced by the given markers (others removed)."""
    text = V2_CONFIG + STORAGE + API
    for name in "ABCDEF":
        text = text.replace(f"<{name}>", marks.get(name, ""))
    return text


LIST = """
//- src/notes/list.ts
// 😋 notes
export async function [[ma$0in]]() { return 1; }
export async function other() { return 2; }
"""


def check_references(fx, text: str, include_declaration: bool = True) -> None:  # type: ignore[no-untyped-def]
    f = fx(text)
    got = find_references(f.snap, f.resolver, f.path, f.pos, include_declaration)
    if not f.marks:
        assert got is None
        return
    assert got is not None
    assert sorted(got, key=str) == sorted(f.marks, key=str)
    assert len(got) == len(set(got))


CASES = [
    pytest.param(app() + LIST, id="export-to-both-routes"),
    pytest.param(app(A="$0") + LIST.replace("$0", ""), id="string-to-peers-and-definition"),
    pytest.param(
        app(B="$0", C="[[", D="]]").replace("[[src/notes/list.main]]", "src/notes/list.main")
        .replace("[[`${NOTES}/list.main`]]", "`${NOTES}/list.main`")
        + "//- src/notes/create.ts\nexport const [[main]] = () => 1;\n",
        id="string-alone-with-its-definition",
    ),
    pytest.param(
        app().replace("[[", "").replace("]]", "")
        + """
//- src/notes/list.ts
export async function main() { return 1; }
export async function other() { return 2; }
const local$0 = 3;
""",
        id="elsewhere-in-file-nothing",
    ),
    pytest.param(
        app(E="[[", F="]]")
        + """
//- src/notes/list.ts
$0import x from "y";
export async function main() { return 1; }
export async function other() { return 2; }
""",
        id="file-top-lists-every-use",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", {
    routes: {
      "GET /a": "[[src/x.nope$0]]",
      "GET /b": "[[src/x.nope]]",
      "GET /c": "src/x.other",
      "GET /d": "src/x.main",
    },
  });
}
//- src/x.ts
export const main = 1;
""",
        id="missing-exports-group-by-name",
    ),
    pytest.param(
        """
//- one/sst.config.ts
import { Function } from "sst/constructs";
export default {
  config() { return { name: "one" }; },
  stacks(app) {
    app.stack(function S({ stack }) { new Function(stack, "Fn", { handler: "[[src/h.main]]" }); });
  },
};
//- one/src/h.ts
export * from "../../two/src/h";
//- two/sst.config.ts
import { Function } from "sst/constructs";
export default {
  config() { return { name: "two" }; },
  stacks(app) {
    app.stack(function S({ stack }) { new Function(stack, "Fn", { handler: "[[src/h.main]]" }); });
  },
};
//- two/src/h.ts
export function [[ma$0in]]() { return 1; }
""",
        id="across-apps-through-reexport",
    ),
]


@pytest.mark.parametrize("text", CASES)
def test_references(fx, text: str) -> None:  # type: ignore[no-untyped-def]
    check_references(fx, text)


def test_without_declaration(fx) -> None:  # type: ignore[no-untyped-def]
    check_references(fx, app() + LIST.replace("[[ma$0in]]", "ma$0in"), include_declaration=False)


RESOURCE = """
//- sst.config.ts
import { Function, Table } from "sst/constructs";
export default {
  config() { return { name: "notes", region: "us-east-1" }; },
  stacks(app) {
    app.stack(function Storage({ stack }) {
      const table = new Table(stack, "[[No{a}tes]]", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
      new Function(stack, "Fn", { handler: "src/h.main", bind: [table] });
    });
  },
};
//- src/h.ts
import { Table } from "sst/node/table";
import { db } from "./db";
export const main = async () => ({ t: [[Table.No{b}tes]].tableName, d: db() });
//- src/db.ts
import { Table as T } from "sst/node/table";
export const db = () => ({ t: [[T.Notes]] });
//- src/unused.ts
import { Table } from "sst/node/table";
export const x = Table.Notes;
"""


def test_references_of_a_construct_in_handler_code(fx) -> None:  # type: ignore[no-untyped-def]
    # From the construct id, and from a use in handler code: the id and every use in the code
    # the app's functions run (a file no function runs is not listed).
    check_references(fx, RESOURCE.replace("{a}", "$0").replace("{b}", ""))
    check_references(fx, RESOURCE.replace("{a}", "").replace("{b}", "$0"))
