"""Go to definition: handler strings, route keys and stack registrations."""

from __future__ import annotations

import pytest
from ide_fixtures import V2_CONFIG

from sst_lsp.ide.definition import goto_definition

STORAGE = """
//- stacks/StorageStack.ts
import { StackContext, Table } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  return { table };
}
"""


def check_definition(fx, text: str) -> None:  # type: ignore[no-untyped-def]
    f = fx(text)
    got = goto_definition(f.snap, f.resolver, f.path, f.pos)
    if not f.marks:
        assert got is None
        return
    assert got is not None
    assert sorted(got, key=str) == sorted(f.marks, key=str)


CASES = [
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/li$0st.main" } });
}
//- src/notes/list.ts
export async function [[main]](event: unknown) {
  return { statusCode: 200 };
}
""",
        id="route-handler-to-export",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /no$0tes": "src/notes/list.main" } });
}
//- src/notes/list.ts
export const [[main]] = async () => ({ statusCode: 200 });
""",
        id="route-key-to-export",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/list.ha$0ndler" } });
}
//- src/notes/list.ts
[[]]export const main = async () => ({ statusCode: 200 });
""",
        id="missing-export-to-file-start",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/gone$0.main" } });
}
""",
        id="missing-file-nothing",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/list.main$0" } });
}
//- src/notes/list.ts
export { impl as main } from "./impl";
//- src/notes/impl.ts
export function [[impl]]() { return 1; }
""",
        id="aliased-reexport-lands-on-original",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/notes/list.main$0" } });
}
//- src/notes/list.ts
export * from "./impl";
//- src/notes/impl.ts
export function [[main]]() { return 1; }
""",
        id="reexport-lands-in-defining-file",
    ),
    pytest.param(
        """
//- sst.config.ts
import { StorageStack } from "./stacks/StorageStack";
export default {
  config() { return { name: "notes" }; },
  stacks(app) { app.stack(Storage$0Stack); },
};
//- stacks/StorageStack.ts
import { StackContext, Table } from "sst/constructs";
export function [[StorageStack]]({ stack }: StackContext) {
  new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
}
""",
        id="stack-registration-to-definition",
    ),
    pytest.param(
        """
//- sst.config.ts
export default {
  config() { return { name: "py" }; },
  stacks(app) {
    app.stack(function Svc({ stack }) {
      new Function(stack, "Fn", { runtime: "python3.11", handler: "fns/get.h$0andler" });
    });
  },
};
import { Function } from "sst/constructs";
//- fns/get.py
import json

def [[handler]](event, context):
    return {"statusCode": 200}
""",
        id="python-def",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  // 😋 emoji before the string shifts UTF-16 columns but not code points.
  new Api(stack, "Api", { routes: { "GET /😋": "src/😋/list.m$0ain" } });
}
//- src/😋/list.ts
const s = "😋"; export function [[main]]() { return s; }
""",
        id="unicode",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "A$0pi", { routes: {} });
}
""",
        id="construct-id-nothing",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE.replace("export function StorageStack", "export function [[StorageStack]]")
        + """
//- stacks/ApiStack.ts
import { Api, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";
export function ApiStack({ stack }: StackContext) {
  const { table } = use(Storage$0Stack);
}
""",
        id="use-to-stack-definition",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE.replace("export function StorageStack", "export function [[StorageStack]]")
        + """
//- stacks/ApiStack.ts
import { Api, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";
export function ApiStack({ stack }: StackContext) {
  const { table } = use(StorageStack$0);
}
""",
        id="use-cursor-after-name",
    ),
    pytest.param(
        V2_CONFIG
        + STORAGE
        + """
//- stacks/ApiStack.ts
import { Api, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";
export function ApiStack({ stack }: StackContext) {
  const { table } = use(StorageStack);
  console.log(Storage$0Stack);
}
""",
        id="other-identifier-nothing",
    ),
]


@pytest.mark.parametrize("text", CASES)
def test_definition(fx, text: str) -> None:  # type: ignore[no-untyped-def]
    check_definition(fx, text)


RESOURCE_CASES = [
    pytest.param(
        V2_CONFIG
        + """
//- stacks/StorageStack.ts
import { StackContext, Table } from "sst/constructs";
export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "[[Notes]]", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  return { table };
}
//- stacks/ApiStack.ts
import { Api, StackContext } from "sst/constructs";
export function ApiStack({ stack }: StackContext) {
  new Api(stack, "Api", { routes: { "GET /notes": "src/list.main" } });
}
//- src/list.ts
import { Table } from "sst/node/table";
export const main = async () => ({ body: Table.No$0tes.tableName, emoji: "😋" });
""",
        id="v2-table-proxy-to-construct",
    ),
    pytest.param(
        """
//- sst.config.ts
export default $config({
  app() { return { name: "v3", home: "aws" }; },
  async run() {
    const bucket = new sst.aws.Bucket("[[MyBucket]]");
    new sst.aws.Function("Fn", { handler: "src/h.handler", link: [bucket] });
  },
});
//- src/h.ts
import { Resource } from "sst";
export const handler = async () => Resource.MyBu$0cket.name;
""",
        id="v3-resource-to-component",
    ),
    pytest.param(
        """
//- sst.config.ts
export default $config({
  app() { return { name: "v3", home: "aws" }; },
  async run() {
    new sst.aws.Function("Fn", { handler: "src/h.handler" });
  },
});
//- src/h.ts
import { Resource } from "sst";
export const handler = async () => Resource.A$0pp.name;
""",
        id="v3-app-has-no-construct",
    ),
]


@pytest.mark.parametrize("text", RESOURCE_CASES)
def test_definition_from_handler_code(fx, text: str) -> None:  # type: ignore[no-untyped-def]
    check_definition(fx, text)
