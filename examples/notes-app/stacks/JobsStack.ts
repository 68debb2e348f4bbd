import { Cron, Queue, StackContext, use } from "sst/constructs";
import { StorageStack } from "./StorageStack";

export function JobsStack({ stack }: StackContext) {
  const { table } = use(StorageStack);

  const queue = new Queue(stack, "Thumbnails", {
    consumer: "packages/functions/src/jobs/thumbnail.main",
  });

  new Cron(stack, "Cleanup", {
    schedule: "rate(1 day)",
    job: {
      function: {
        handler: "packages/functions/src/jobs/cleanup.main",
        bind: [table, queue],
      },
    },
  });
}
