import { EventBus, Function, Queue, StackContext, use } from "sst/constructs";
import { Jobs } from "./Jobs";
import { FUNCTIONS, handlerOf } from "./lib/handlers";

export function Orders({ stack }: StackContext) {
  const { digest } = use(Jobs);
  const refunds = new Queue(stack, "Refunds");

  const bus = new EventBus(stack, "Bus", {
    defaults: { function: { timeout: 20 } },
    rules: {
      placed: {
        pattern: { source: ["shop.orders"], detailType: ["order.placed"] },
        targets: { charge: handlerOf("orders/charge") },
      },
    },
  });

  // Rules and targets added after the bus, the way features plug into it.
  bus.addRules(stack, {
    shipped: {
      pattern: { source: ["shop.orders"], detailType: ["order.shipped"] },
      targets: {
        notify: handlerOf("orders/notify"),
        refund: { type: "function", function: { handler: handlerOf("orders/refund"), memorySize: 256 } },
        queue: { type: "queue", queue: refunds },
      },
    },
  });
  bus.addTargets(stack, "placed", { audit: `${FUNCTIONS}/orders/audit.handler` });

  // A second bus whose targets are Function constructs (no `defaults.function`: SST refuses
  // to apply it to a Function it did not create).
  const audit = new Function(stack, "AuditLog", { handler: handlerOf("orders/audit") });
  const internal = new EventBus(stack, "Internal");
  internal.addRules(stack, {
    everything: { pattern: { source: ["shop.internal"] }, targets: { log: audit, refunds: { type: "queue", queue: refunds } } },
  });
  // The digest job of the Jobs stack also hears every internal event.
  internal.addTargets(stack, "everything", { digest });
  internal.subscribe("report.ready", audit);
  internal.subscribe("user.signed-up", { handler: handlerOf("orders/welcome") });

  stack.addOutputs({ BusName: bus.eventBusName, InternalBus: internal.eventBusName });
}
