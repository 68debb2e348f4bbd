import { SSTConfig } from "sst";
import { Database } from "./stacks/Database";
import { Setup } from "./stacks/Setup";

export default {
  config(_input) {
    return { name: "migrate", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
    app.stack(Database).stack(Setup);
  },
} satisfies SSTConfig;
