import { Cron, Function, StackContext } from "sst/constructs";
import { handlerOf } from "./lib/handlers";

export function Jobs({ stack }: StackContext) {
  const digest = new Function(stack, "Digest", { handler: handlerOf("jobs/digest"), timeout: 60 });
  const cleanup = new Function(stack, "Cleanup", { handler: handlerOf("jobs/cleanup") });

  // The jobs reuse the functions above: SST targets them as they are.
  new Cron(stack, "DailyDigest", { schedule: "rate(1 day)", job: digest });
  new Cron(stack, "NightlyCleanup", { schedule: "cron(0 3 * * ? *)", job: { function: cleanup } });

  return { digest };
}
