import { App } from "@serverless-stack/resources";
import { StorageStack } from "./StorageStack";
import { ApiStack } from "./ApiStack";
import { AuthStack } from "./AuthStack";
import { JobsStack } from "./JobsStack";
import { GraphStack } from "./GraphStack";

export default function main(app: App) {
  app.setDefaultFunctionProps({
    runtime: "nodejs22.x",
    srcPath: "services",
  });
  app.setDefaultRemovalPolicy(app.stage === "prod" ? "retain" : "destroy");
  app.stack(StorageStack).stack(ApiStack).stack(AuthStack).stack(JobsStack).stack(GraphStack);
}
