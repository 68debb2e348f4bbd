import { StackContext, Table } from "sst/constructs";

export function Storage({ stack }: StackContext) {
  const notes = new Table(stack, "Notes", {
    fields: { userId: "string", noteId: "string" },
    primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
  });
  return { notes };
}
