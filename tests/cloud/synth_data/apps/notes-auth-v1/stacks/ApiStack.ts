import { Api, Config, StackContext, use } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";

export function ApiStack({ stack }: StackContext) {
  const { table, TABLE_NAME } = use(StorageStack);
  const STRIPE_SECRET_KEY = new Config.Secret(stack, "STRIPE_SECRET_KEY");

  const api = new Api(stack, "Api", {
    defaults: {
      authorizer: "iam",
      function: {
        permissions: [table],
        config: [STRIPE_SECRET_KEY, TABLE_NAME],
      },
    },
    routes: {
      "POST   /notes": "functions/create.main",
      "GET    /notes/{id}": "functions/get.main",
      "POST   /billing": "functions/billing.main",
    },
  });

  stack.addOutputs({
    ApiEndpoint: api.url,
    ApiId: api.httpApiId,
    TableArn: table.tableArn,
  });

  return { api };
}
