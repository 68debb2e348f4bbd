import { SSTConfig } from "sst";
import { Database } from "./stacks/Database";
import { Ledger } from "./stacks/Ledger";

export default {
  config(_input) {
    return { name: "ledger", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
    app.stack(Database).stack(Ledger);
  },
} satisfies SSTConfig;
