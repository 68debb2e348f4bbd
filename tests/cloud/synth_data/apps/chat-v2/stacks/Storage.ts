import { StackContext, Table } from "sst/constructs";

export function Storage({ stack }: StackContext) {
  const connections = new Table(stack, "Connections", {
    fields: { id: "string" },
    primaryIndex: { partitionKey: "id" },
  });
  return { connections };
}
