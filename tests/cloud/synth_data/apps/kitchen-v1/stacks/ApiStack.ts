import { Api, Function, StackContext, use } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";

export function ApiStack({ stack }: StackContext) {
  const { table } = use(StorageStack);

  const health = new Function(stack, "Health", {
    handler: "src/health.main",
    memorySize: 256,
    timeout: "30 seconds",
  });

  const api = new Api(stack, "Api", {
    defaults: {
      function: {
        environment: { TABLE_NAME: table.tableName },
        permissions: [table],
      },
    },
    routes: {
      "GET    /notes": "src/list.main",
      "POST /notes": {
        function: { handler: "src/create.main", timeout: 20 },
      },
      "GET /health": health,
      "$default": "src/fallback.main",
    },
  });

  api.addRoutes(stack, {
    "DELETE /notes/{id}": "src/delete.main",
  });

  new Function(stack, "GoWorker", {
    handler: "cmd/worker/main.go",
    runtime: "go1.x",
  });
}
