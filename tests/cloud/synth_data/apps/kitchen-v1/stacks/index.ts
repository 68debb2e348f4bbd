import { App } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";
import { ApiStack } from "./ApiStack";
import { JobsStack } from "./JobsStack";

export default function main(app: App) {
  app.setDefaultFunctionProps({
    runtime: "nodejs22.x",
  });
  app.stack(StorageStack).stack(ApiStack).stack(JobsStack);
}
