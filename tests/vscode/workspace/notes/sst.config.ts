import { SSTConfig } from "sst";
import { Storage } from "./stacks/Storage";
import { API } from "./stacks/Api";

export default {
  config(_input) {
    return {
      name: "notes",
      region: "us-east-1",
    };
  },
  stacks(app) {
    app.setDefaultFunctionProps({ runtime: "nodejs18.x" });
    app.stack(Storage).stack(API);
  },
} satisfies SSTConfig;
