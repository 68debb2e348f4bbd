import { Function, Script, StackContext, use } from "sst/constructs";
import { Database } from "./Database";

const DB = "packages/functions/src/db";

export function Setup({ stack }: StackContext) {
  const { table } = use(Database);

  // Seeds the table once, and migrates it on every change of the stack's input.
  new Script(stack, "Seed", {
    defaults: { function: { bind: [table] } },
    onCreate: `${DB}/seed.handler`,
    onUpdate: { handler: `${DB}/migrate.handler`, timeout: 300 },
    params: { batch: 25, tables: ["Items"] },
  });

  // The teardown is a function of its own, reused by the script.
  const teardown = new Function(stack, "Teardown", { handler: `${DB}/teardown.handler`, bind: [table] });
  new Script(stack, "Cleanup", { onDelete: teardown, version: "1" });
}
