import { Bucket, Config, StackContext, Table } from "@serverless-stack/resources";

export function StorageStack({ stack }: StackContext) {
  const bucket = new Bucket(stack, "Uploads");
  const table = new Table(stack, "Notes", {
    fields: { userId: "string", noteId: "string" },
    primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
  });
  const TABLE_NAME = new Config.Parameter(stack, "TABLE_NAME", { value: table.tableName });
  return { bucket, table, TABLE_NAME };
}
