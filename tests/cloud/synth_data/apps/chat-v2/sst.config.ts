import { SSTConfig } from "sst";
import { Storage } from "./stacks/Storage";
import { Chat } from "./stacks/Chat";

export default {
  config(_input) {
    return { name: "chat", region: "eu-west-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
    app.stack(Storage).stack(Chat);
  },
} satisfies SSTConfig;
