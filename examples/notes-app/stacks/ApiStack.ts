import { Api, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";

const NOTES = "packages/functions/src/notes";

export function ApiStack({ stack }: StackContext) {
  const { table, bucket } = use(StorageStack);

  const api = new Api(stack, "Api", {
    defaults: {
      function: {
        bind: [table, bucket],
      },
    },
    routes: {
      "GET /notes": `${NOTES}/list.handler`,
      "POST /notes": `${NOTES}/create.main`,
      "GET /notes/{id}": `${NOTES}/get.main`,
      "PUT /notes/{id}": `${NOTES}/update.main`,
      "DELETE /notes/{id}": `${NOTES}/delete.main`,
    },
  });

  stack.addOutputs({
    ApiEndpoint: api.url,
  });

  return { api };
}
