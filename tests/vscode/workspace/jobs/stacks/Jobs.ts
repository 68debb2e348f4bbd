import { Cron, Function, StackContext } from "@serverless-stack/resources";

export function Jobs({ stack }: StackContext) {
  const worker = new Function(stack, "Worker", { handler: "src/worker.handler", timeout: 30 });
  new Cron(stack, "Nightly", { schedule: "rate(1 day)", job: "src/nightly.main" });
  stack.addOutputs({ WorkerName: worker.functionName });
}
