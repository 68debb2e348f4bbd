import { StackContext, Table } from "sst/constructs";

export function Storage({ stack }: StackContext) {
  const table = new Table(stack, "Notes", {
    fields: { pk: "string" },
    primaryIndex: { partitionKey: "pk" },
  });
  return { table };
}
