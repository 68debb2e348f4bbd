import { SSTConfig } from "sst";
import { Jobs } from "./stacks/Jobs";
import { Orders } from "./stacks/Orders";

export default {
  config(_input) {
    return { name: "orders", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
    app.stack(Jobs).stack(Orders);
  },
} satisfies SSTConfig;
