import { Api as SstApi, StackContext, use } from "sst/constructs";
import { Storage } from "./Storage";

export function Api({ stack }: StackContext) {
  const { table } = use(Storage);
  const api = new SstApi(stack, "Api", {
    defaults: { function: { bind: [table] } },
    routes: {
      "GET /notes": "packages/functions/src/list.handler",
    },
  });
  stack.addOutputs({ Url: api.url, Literal: "hello" });
}
