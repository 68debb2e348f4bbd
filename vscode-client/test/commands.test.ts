import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  CLIENT_COMMANDS,
  SERVER_COMMANDS,
  buildExecuteCommandParams,
  describeError,
  diffDocumentText,
  findUrlOutputs,
  formatOutputs,
  inlineOutputs,
  isCancellation,
  isHttpUrl,
  parseDeployResult,
  parseListStages,
  parseSynthResult,
  summarizeDeploy,
  summarizeRemove,
  summarizeSynth,
} from "../src/commands";

describe("buildExecuteCommandParams", () => {
  test("one argument object with the server command id", () => {
    assert.deepEqual(buildExecuteCommandParams("deploy", { stage: "dev" }), {
      command: "sst.deploy",
      arguments: [{ stage: "dev" }],
    });
    assert.deepEqual(buildExecuteCommandParams("synth", { app: "/w/app", stage: " prod " }), {
      command: "sst.synth",
      arguments: [{ app: "/w/app", stage: "prod" }],
    });
  });

  test("stacks only for deploy, and only when given", () => {
    assert.deepEqual(buildExecuteCommandParams("deploy", { stage: "dev", stacks: ["A", "B"] }).arguments[0], {
      stage: "dev",
      stacks: ["A", "B"],
    });
    assert.deepEqual(buildExecuteCommandParams("deploy", { stage: "dev", stacks: [] }).arguments[0], { stage: "dev" });
    assert.deepEqual(buildExecuteCommandParams("diff", { stage: "dev", stacks: ["A"] }).arguments[0], { stage: "dev" });
  });

  test("listStages takes no stage; empty app omitted", () => {
    assert.deepEqual(buildExecuteCommandParams("listStages", { app: "", stage: "ignored" }), {
      command: "sst.listStages",
      arguments: [{}],
    });
    assert.deepEqual(buildExecuteCommandParams("listStages", { app: "/a" }).arguments[0], { app: "/a" });
  });

  test("an invalid or missing stage throws", () => {
    assert.throws(() => buildExecuteCommandParams("deploy", { stage: "my_stage" }), /Invalid stage "my_stage"/);
    assert.throws(() => buildExecuteCommandParams("remove", {}), /Invalid stage ""/);
  });

  test("client ids never collide with server ids", () => {
    const server = new Set<string>(Object.values(SERVER_COMMANDS));
    for (const id of Object.values(CLIENT_COMMANDS)) {
      assert.ok(!server.has(id), id);
      assert.match(id, /^sst\.client\./);
    }
  });
});

const outputs = {
  "dev-notes-Api": { ApiEndpoint: "https://abc.execute-api.us-east-1.amazonaws.com", TableName: "dev-notes-table" },
  "dev-notes-Web": { SiteUrl: "http://localhost:3000/path?q=1", Bucket: "s3://bucket/key" },
};

describe("outputs", () => {
  test("isHttpUrl", () => {
    assert.equal(isHttpUrl("https://example.com"), true);
    assert.equal(isHttpUrl(" http://127.0.0.1:5000/x "), true);
    assert.equal(isHttpUrl("s3://bucket/key"), false);
    assert.equal(isHttpUrl("ftp://example.com"), false);
    assert.equal(isHttpUrl("example.com"), false);
    assert.equal(isHttpUrl("see https://example.com"), false);
    assert.equal(isHttpUrl(""), false);
  });

  test("findUrlOutputs keeps only http(s) values", () => {
    assert.deepEqual(findUrlOutputs(outputs), [
      { stack: "dev-notes-Api", key: "ApiEndpoint", url: "https://abc.execute-api.us-east-1.amazonaws.com" },
      { stack: "dev-notes-Web", key: "SiteUrl", url: "http://localhost:3000/path?q=1" },
    ]);
  });

  test("formatOutputs prefixes the stack only with several stacks", () => {
    assert.deepEqual(formatOutputs(outputs), [
      "dev-notes-Api.ApiEndpoint = https://abc.execute-api.us-east-1.amazonaws.com",
      "dev-notes-Api.TableName = dev-notes-table",
      "dev-notes-Web.SiteUrl = http://localhost:3000/path?q=1",
      "dev-notes-Web.Bucket = s3://bucket/key",
    ]);
    assert.deepEqual(formatOutputs({ A: { Url: "https://x.test" }, B: {} }), ["Url = https://x.test"]);
    assert.deepEqual(formatOutputs({}), []);
  });

  test("inlineOutputs truncates with a count", () => {
    const many: Record<string, string> = {};
    for (let i = 1; i <= 7; i++) many[`K${i}`] = `v${i}`;
    assert.equal(inlineOutputs({ S: many }, 5), "K1 = v1; K2 = v2; K3 = v3; K4 = v4; K5 = v5; and 2 more (see Output)");
    assert.equal(inlineOutputs({ S: { K: "v" } }), "K = v");
  });
});

describe("deploy / remove / synth summaries", () => {
  test("deployed lists the outputs at the end", () => {
    const r = parseDeployResult({ status: "deployed", message: "2 stacks", outputs: { S: { ApiEndpoint: "https://x.test" } } });
    const s = summarizeDeploy(r, "dev");
    assert.equal(s.severity, "info");
    assert.equal(s.message, 'Deployed stage "dev". Outputs: ApiEndpoint = https://x.test');
    assert.deepEqual(s.details, ["deploy dev: deployed - 2 stacks", "Outputs:", "  ApiEndpoint = https://x.test"]);
  });

  test("failed is an error, refused a warning, cancelled info", () => {
    const failed = summarizeDeploy(parseDeployResult({ status: "failed", message: "Stack rollback" }), "prod");
    assert.equal(failed.severity, "error");
    assert.equal(failed.message, 'Deploy of stage "prod" failed: Stack rollback');
    const refused = summarizeDeploy(parseDeployResult({ status: "refused", message: "protected stage" }), "prod");
    assert.equal(refused.severity, "warning");
    assert.match(refused.message, /refused: protected stage$/);
    const cancelled = summarizeDeploy(parseDeployResult({ status: "cancelled", message: "" }), "dev");
    assert.equal(cancelled.severity, "info");
    assert.equal(cancelled.message, 'Deploy of stage "dev" was cancelled.');
  });

  test("no-changes and a malformed result", () => {
    assert.match(summarizeDeploy(parseDeployResult({ status: "no-changes", message: "", outputs: {} }), "dev").message, /no changes/);
    const junk = parseDeployResult("nonsense");
    assert.deepEqual(junk, { status: "unknown", message: "", outputs: {} });
    assert.equal(summarizeDeploy(junk, "dev").severity, "error");
    assert.deepEqual(parseDeployResult({ status: "deployed", outputs: { S: { N: 5, X: null } } }).outputs, { S: { N: "5", X: "" } });
  });

  test("remove", () => {
    assert.equal(summarizeRemove({ status: "removed", message: "" }, "pr-1").message, 'Removed stage "pr-1".');
    assert.equal(summarizeRemove({ status: "failed", message: "boom" }, "pr-1").severity, "error");
  });

  test("synth counts stacks, time and skipped", () => {
    const r = parseSynthResult({
      apps: [
        {
          app: "/w/notes",
          outDir: "/w/notes/.build/cdk.out",
          stacks: [
            { name: "dev-notes-Api", template: {}, resources: 12 },
            { name: "dev-notes-Db", template: {}, resources: { T: {} } },
          ],
          skipped: [{ name: "dev-notes-Web", reason: "x" }],
          durationMs: 1234,
        },
      ],
    });
    const s = summarizeSynth(r, "dev");
    assert.equal(s.message, 'Synthesized stage "dev": 2 stacks in 1.2 s. 1 skipped (see Output).');
    assert.ok(s.details.includes("  dev-notes-Api (12 resources)"));
    assert.ok(s.details.includes("  dev-notes-Db (1 resource)"));
    assert.ok(s.details.includes("  skipped: dev-notes-Web"));
  });

  test("diff text", () => {
    assert.equal(diffDocumentText({ text: "  \n", stacks: [] }), undefined);
    assert.equal(diffDocumentText({ text: "[+] AWS::S3::Bucket", stacks: [] }), "[+] AWS::S3::Bucket");
  });

  test("listStages parsing drops non-strings", () => {
    assert.deepEqual(parseListStages({ stages: ["dev", 3, "prod"], current: "dev" }), { stages: ["dev", "prod"], current: "dev" });
    assert.deepEqual(parseListStages(null), { stages: [], current: "" });
  });
});

describe("errors", () => {
  test("describeError for a ResponseError-like object, an Error, a string", () => {
    assert.equal(describeError({ code: -32603, message: "Synth failed", data: "TypeError at stacks/Api.ts:3" }), "Synth failed (TypeError at stacks/Api.ts:3)");
    assert.equal(describeError({ code: 1, message: "x", data: { message: "why" } }), "x (why)");
    assert.equal(describeError(new Error("boom")), "boom");
    assert.equal(describeError("plain"), "plain");
    assert.equal(describeError(undefined), "unknown error");
  });

  test("isCancellation", () => {
    assert.equal(isCancellation({ code: -32800, message: "cancelled" }), true);
    assert.equal(isCancellation({ code: -32603, message: "x" }), false);
    assert.equal(isCancellation(new Error("x")), false);
  });
});
