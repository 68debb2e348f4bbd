import { SSTConfig } from "sst";
import { Secrets } from "./stacks/Secrets";
import { Events } from "./stacks/Events";
import { AuthStack } from "./stacks/AuthStack";
import { ApiStack } from "./stacks/ApiStack";
import { Graph } from "./stacks/Graph";

export default {
  config(_input) {
    return { name: "shop", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x", tracing: "active" });
    // Feature stages go away completely when removed; prod keeps its data.
    if (app.stage !== "prod") {
      app.setDefaultRemovalPolicy("destroy");
    }
    app.stack(Secrets).stack(Events).stack(AuthStack).stack(ApiStack).stack(Graph);
  },
} satisfies SSTConfig;
