import { Function, StackContext, WebSocketApi, use } from "sst/constructs";
import { Storage } from "./Storage";

const WS = "packages/functions/src/ws";

export function Chat({ stack }: StackContext) {
  const { connections } = use(Storage);

  const api = new WebSocketApi(stack, "Socket", {
    defaults: { function: { bind: [connections], timeout: 15 } },
    routes: {
      $connect: `${WS}/connect.handler`,
      $disconnect: `${WS}/disconnect.handler`,
      $default: { function: { handler: `${WS}/default.handler`, memorySize: 256 } },
      sendMessage: `${WS}/sendMessage.handler`,
    },
  });
  // A feature adds its own route later.
  api.addRoutes(stack, { typing: `${WS}/typing.handler` });

  // A function outside the API that posts to the connections.
  new Function(stack, "Broadcast", { handler: `${WS}/broadcast.handler`, bind: [api, connections] });

  stack.addOutputs({ SocketUrl: api.url });
}
