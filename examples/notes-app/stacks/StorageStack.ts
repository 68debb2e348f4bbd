import { StackContext, Bucket, Table } from "sst/constructs";

export function StorageStack({ stack }: StackContext) {
  // Notes live in DynamoDB; attachments in S3.
  const table = new Table(stack, "Notes", {
    fields: {
      userId: "string",
      noteId: "string",
      createdAt: "number",
    },
    primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
    globalIndexes: {
      byCreatedAt: { partitionKey: "userId", sortKey: "createdAt" },
    },
  });

  const bucket = new Bucket(stack, "Uploads");

  stack.addOutputs({
    TableName: table.tableName,
    BucketName: bucket.bucketName,
  });

  return { table, bucket };
}
