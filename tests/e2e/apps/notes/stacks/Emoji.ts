import { Function, StackContext } from "sst/constructs";

export function Emoji({ stack }: StackContext) {
  new Function(stack, "Party", { description: "😋🎉", handler: "packages/functions/src/party.main" });
}
