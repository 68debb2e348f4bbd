import { Cron, Function, StackContext } from "@serverless-stack/resources";

export function Jobs({ stack }: StackContext) {
  new Function(stack, "Worker", { handler: "src/worker.handler" });
  new Cron(stack, "Nightly", {
    schedule: "rate(1 day)",
    job: { function: { srcPath: "services", runtime: "python3.9", handler: "functions/nightly.run" } },
  });
}
