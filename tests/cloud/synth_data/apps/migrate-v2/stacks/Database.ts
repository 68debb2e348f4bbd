import { StackContext, Table } from "sst/constructs";

export function Database({ stack }: StackContext) {
  const table = new Table(stack, "Items", {
    fields: { pk: "string" },
    primaryIndex: { partitionKey: "pk" },
  });
  return { table };
}
