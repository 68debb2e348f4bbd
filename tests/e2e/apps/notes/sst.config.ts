import { SSTConfig } from "sst";
import { API } from "./stacks/Api";
import { Emoji } from "./stacks/Emoji";

export default {
  config(_input) {
    return {
      name: "notes",
      region: "us-east-1",
    };
  },
  stacks(app) {
    app.stack(API).stack(Emoji);
  },
} satisfies SSTConfig;
