import { Config, StackContext } from "sst/constructs";

export function Secrets({ stack }: StackContext) {
  const STRIPE_KEY = new Config.Secret(stack, "STRIPE_KEY");
  const GITHUB_TOKEN = new Config.Secret(stack, "GITHUB_TOKEN");
  const SUPPORT_EMAIL = new Config.Parameter(stack, "SUPPORT_EMAIL", {
    value: "support@example.com",
  });
  return { STRIPE_KEY, GITHUB_TOKEN, SUPPORT_EMAIL };
}
