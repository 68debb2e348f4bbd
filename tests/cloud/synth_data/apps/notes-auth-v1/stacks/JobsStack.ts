import { Duration } from "aws-cdk-lib";
import { Cron, Function, Queue, StackContext, use } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";

export function JobsStack({ stack }: StackContext) {
  const { table } = use(StorageStack);

  const failed = new Queue(stack, "Failed");
  const exports = new Queue(stack, "Exports", {
    consumer: {
      function: { handler: "jobs/export.main", timeout: 60, permissions: [table] },
      cdk: { eventSource: { batchSize: 5, reportBatchItemFailures: true } },
    },
    cdk: {
      queue: {
        visibilityTimeout: Duration.seconds(360),
        deadLetterQueue: { queue: failed.cdk.queue, maxReceiveCount: 3 },
      },
    },
  });

  const digest = new Function(stack, "Digest", {
    handler: "jobs/digest.main",
    environment: { EXPORT_QUEUE_URL: exports.queueUrl },
    permissions: [exports],
  });

  new Cron(stack, "DailyDigest", {
    schedule: "cron(0 8 * * ? *)",
    job: digest,
  });

  new Cron(stack, "Cleanup", {
    schedule: "rate(1 day)",
    job: { function: { handler: "jobs/cleanup.main", memorySize: 512 } },
    cdk: { rule: { description: "Removes expired exports" } },
  });
}
