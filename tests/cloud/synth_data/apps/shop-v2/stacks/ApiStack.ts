import { Api, Function, StackContext, use } from "sst/constructs";
import { Secrets } from "./Secrets";
import { Events } from "./Events";
import { AuthStack } from "./AuthStack";

export function ApiStack({ stack }: StackContext) {
  const { STRIPE_KEY, SUPPORT_EMAIL } = use(Secrets);
  const { bus, clicks } = use(Events);
  const { auth } = use(AuthStack);

  const checkout = new Function(stack, "Checkout", {
    handler: "packages/functions/src/orders/checkout.handler",
    bind: [STRIPE_KEY, SUPPORT_EMAIL, bus, clicks],
  });

  const api = new Api(stack, "Api", {
    defaults: { function: { bind: [bus] } },
    routes: {
      "POST /checkout": checkout,
      "GET /orders": "packages/functions/src/orders/list.handler",
    },
  });

  auth.attachPermissionsForAuthUsers(stack, [api, "s3"]);

  stack.addOutputs({
    ApiUrl: api.url,
    CheckoutName: checkout.functionName,
  });
}
