import * as sst from "@serverless-stack/resources";
import { Jobs } from "./Jobs";

export default function main(app: sst.App) {
  app.stack(Jobs);
}
