import { Api, StackContext, use } from "sst/constructs";
import { Storage } from "./Storage";

export function API({ stack }: StackContext) {
  const { notes } = use(Storage);
  const api = new Api(stack, "Api", {
    defaults: { function: { bind: [notes] } },
    routes: {
      "GET /notes": "packages/functions/src/notes/list.main",
      "GET /users/{userId}/notes": "packages/functions/src/notes/list.main",
      "GET /notes/{id}": "packages/functions/src/notes/get.main",
      "POST /notes": "packages/functions/src/notes/create.main",
      "DELETE /notes/{id}": "packages/functions/src/notes/remove.handler",
    },
  });
  stack.addOutputs({ ApiEndpoint: api.url });
}
