import { Config, EventBus, KinesisStream, Queue, StackContext, use } from "sst/constructs";
import { Secrets } from "./Secrets";

const FUNCTIONS = "packages/functions/src";

export function Events({ stack }: StackContext) {
  const { STRIPE_KEY } = use(Secrets);

  const deadLetters = new Queue(stack, "DeadLetters");

  const bus = new EventBus(stack, "Bus", {
    defaults: {
      function: { bind: [STRIPE_KEY], timeout: 20 },
    },
    rules: {
      orderPlaced: {
        pattern: { source: ["shop.orders"], detailType: ["order.placed"] },
        targets: {
          charge: `${FUNCTIONS}/orders/charge.handler`,
          audit: deadLetters,
        },
      },
      orderShipped: {
        pattern: {
          source: ["shop.orders"],
          detail: { status: ["shipped"] },
        },
        targets: {
          notify: { function: { handler: `${FUNCTIONS}/orders/notify.handler`, memorySize: 256 } },
        },
      },
    },
  });

  const clicks = new KinesisStream(stack, "Clicks", {
    consumers: {
      aggregate: `${FUNCTIONS}/orders/aggregate.handler`,
    },
  });

  const BUS_NAME = new Config.Parameter(stack, "BUS_NAME", { value: bus.eventBusName });

  stack.addOutputs({
    BusName: bus.eventBusName,
    BusArn: bus.eventBusArn,
    StreamName: clicks.streamName,
    DeadLetterUrl: deadLetters.queueUrl,
  });

  return { bus, clicks, BUS_NAME };
}
