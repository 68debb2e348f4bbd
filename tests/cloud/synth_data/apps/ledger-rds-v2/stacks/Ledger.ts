import { Api, Function, StackContext, use } from "sst/constructs";
import { Database } from "./Database";

export function Ledger({ stack }: StackContext) {
  const { db } = use(Database);

  // The report job reads the cluster through `permissions`, the API through `bind`.
  new Function(stack, "Report", {
    handler: "packages/functions/src/ledger/report.handler",
    permissions: [db],
  });

  const api = new Api(stack, "Api", {
    defaults: { function: { bind: [db] } },
    routes: {
      "GET /entries": "packages/functions/src/ledger/list.handler",
      "POST /entries": "packages/functions/src/ledger/create.handler",
    },
  });

  stack.addOutputs({ ApiUrl: api.url });
}
