import { SSTConfig } from "sst";
import { StorageStack } from "./stacks/StorageStack";
import { ApiStack } from "./stacks/ApiStack";
import { JobsStack } from "./stacks/JobsStack";

export default {
  config(_input) {
    return {
      name: "notes",
      region: "us-east-1",
    };
  },
  stacks(app) {
    app.setDefaultFunctionProps({
      runtime: "nodejs18.x",
    });
    app.stack(StorageStack).stack(ApiStack).stack(JobsStack);
  },
} satisfies SSTConfig;
