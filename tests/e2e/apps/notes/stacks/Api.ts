import { Api, StackContext, Table } from "sst/constructs";

export function API({ stack }: StackContext) {
  const table = new Table(stack, "Notes", {
    fields: { id: "string" },
    primaryIndex: { partitionKey: "id" },
  });
  const api = new Api(stack, "Api", {
    defaults: { function: { bind: [table] } },
    routes: {
      "GET /notes": "packages/functions/src/list.main",
      "GET /notes/{id}": "packages/functions/src/get.main",
      "POST /notes": "packages/functions/src/create.main",
    },
  });
  stack.addOutputs({ ApiEndpoint: api.url });
}
