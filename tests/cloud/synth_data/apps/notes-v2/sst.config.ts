import { SSTConfig } from "sst";
import { Storage } from "./stacks/Storage";
import { Api as ApiStack } from "./stacks/Api";

export default {
  config(_input) {
    return { name: "notes", region: "eu-west-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs22.x" });
    app.stack(Storage).stack(ApiStack, { stackName: "notes-api-explicit" });
  },
} satisfies SSTConfig;
