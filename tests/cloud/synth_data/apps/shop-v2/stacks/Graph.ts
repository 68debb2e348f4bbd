import { AppSyncApi, StackContext, Table } from "sst/constructs";

export function Graph({ stack }: StackContext) {
  const orders = new Table(stack, "Orders", {
    fields: { id: "string" },
    primaryIndex: { partitionKey: "id" },
  });

  const graph = new AppSyncApi(stack, "Graph", {
    schema: "packages/graphql/schema.graphql",
    defaults: { function: { bind: [orders] } },
    dataSources: {
      orderFns: "packages/functions/src/graph/orders.handler",
      ordersTable: { type: "dynamodb", table: orders },
    },
    resolvers: {
      "Query listOrders": "orderFns",
      "Query getOrder": {
        dataSource: "ordersTable",
        requestMapping: {
          inline: '{ "version": "2017-02-28", "operation": "GetItem", "key": { "id": $util.dynamodb.toDynamoDBJson($ctx.args.id) } }',
        },
        responseMapping: { inline: "$util.toJson($ctx.result)" },
      },
      "Mutation createOrder": "packages/functions/src/graph/create.handler",
    },
  });

  stack.addOutputs({ GraphUrl: graph.url, GraphId: graph.apiId });
}
