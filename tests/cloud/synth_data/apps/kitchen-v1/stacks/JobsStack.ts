import { Cron, Queue, StackContext, Topic } from "@serverless-stack/resources";

export function JobsStack({ stack }: StackContext) {
  const queue = new Queue(stack, "Work", {
    consumer: "src/worker.main",
  });

  new Topic(stack, "Events", {
    subscribers: {
      audit: "src/audit.main",
      fanout: queue,
    },
  });

  new Cron(stack, "Cleanup", {
    schedule: "rate(1 day)",
    job: {
      function: {
        handler: "jobs/cleanup.main",
        runtime: "python3.12",
        srcPath: "py",
      },
    },
  });
}
