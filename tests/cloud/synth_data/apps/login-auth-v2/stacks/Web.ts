import { Api, Auth, Function, StackContext } from "sst/constructs";

export function Web({ stack }: StackContext) {
  const session = new Function(stack, "Session", { handler: "packages/functions/src/session.handler" });

  const api = new Api(stack, "Api", {
    defaults: { function: { timeout: 20 } },
    routes: {
      "GET /me": "packages/functions/src/me.handler",
      "GET /session": session,
    },
  });

  const auth = new Auth(stack, "Login", {
    authenticator: { handler: "packages/functions/src/auth.handler", memorySize: 512 },
  });
  auth.attach(stack, { api, prefix: "/login" });

  stack.addOutputs({ ApiUrl: api.url });
}
