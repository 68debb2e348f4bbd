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
    authorizers: {
      jwt: {
        type: "user_pool",
        userPool: { id: auth.userPoolId, clientIds: [auth.userPoolClientId] },
      },
      partner: {
        type: "lambda",
        function: new Function(stack, "PartnerAuthorizer", {
          handler: "packages/functions/src/auth/partner.handler",
        }),
        responseTypes: ["simple"],
      },
    },
    defaults: {
      authorizer: "jwt",
      authorizationScopes: ["orders/read"],
      function: { bind: [bus] },
    },
    routes: {
      "POST /checkout": checkout,
      "GET /orders": "packages/functions/src/orders/list.handler",
      "GET /health": {
        authorizer: "none",
        function: "packages/functions/src/orders/health.handler",
      },
      "POST /partner/orders": {
        authorizer: "partner",
        function: "packages/functions/src/orders/partner.handler",
      },
    },
  });

  auth.attachPermissionsForAuthUsers(stack, [api, "s3"]);

  stack.addOutputs({
    ApiUrl: api.url,
    CheckoutName: checkout.functionName,
  });
}
