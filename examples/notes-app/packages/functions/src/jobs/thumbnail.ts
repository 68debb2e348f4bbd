import type { SQSHandler } from "aws-lambda";

export const main: SQSHandler = async (event) => {
  for (const record of event.Records) {
    console.log("thumbnail for", record.body);
  }
};
