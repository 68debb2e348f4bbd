import { GraphQLApi, StackContext, use } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";

export function GraphStack({ stack }: StackContext) {
  const { table } = use(StorageStack);
  const graph = new GraphQLApi(stack, "Graph", {
    server: {
      handler: "functions/graphql.main",
      permissions: [table],
    },
  });
  stack.addOutputs({ GraphUrl: graph.url });
}
