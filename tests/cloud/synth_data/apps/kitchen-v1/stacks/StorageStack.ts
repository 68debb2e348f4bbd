import { Bucket, StackContext, StaticSite, Table } from "@serverless-stack/resources";
import * as s3 from "aws-cdk-lib/aws-s3";

export function StorageStack({ stack }: StackContext) {
  const table = new Table(stack, "Notes", {
    fields: {
      userId: "string",
      noteId: "string",
      createdAt: "number",
    },
    primaryIndex: { partitionKey: "userId", sortKey: "noteId" },
    globalIndexes: {
      byCreatedAt: { partitionKey: "userId", sortKey: "createdAt", projection: "keys_only" },
    },
    stream: "new_image",
    consumers: {
      indexer: "src/indexer.main",
    },
  });

  const bucket = new Bucket(stack, "Uploads", {
    notifications: {
      resize: "src/resize.main",
    },
  });

  // Neither of these is modeled by the embedded synth: both must be listed as skipped.
  new StaticSite(stack, "Site", { path: "web" });
  new s3.Bucket(stack, "RawBucket");

  stack.addOutputs({
    TableName: table.tableName,
    BucketName: bucket.bucketName,
  });

  return { table, bucket };
}
