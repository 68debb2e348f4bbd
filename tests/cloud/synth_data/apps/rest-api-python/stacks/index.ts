import { App } from "@serverless-stack/resources";
import { MyStack } from "./MyStack";

export default function main(app: App) {
  // The reference app used python3.8; Lambda stops creating those in 2027, so this fixture
  // uses python3.12 (logical ids do not depend on the runtime).
  app.setDefaultFunctionProps({
    runtime: "python3.12",
    srcPath: "services",
  });
  app.stack(MyStack);
}
