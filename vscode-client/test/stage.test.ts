import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  DEFAULT_STAGE,
  MAX_STAGE_LENGTH,
  buildStageItems,
  classifyTypedStage,
  isValidStage,
  parseStageFile,
  resolveStage,
  validateStage,
} from "../src/stage";

describe("validateStage", () => {
  for (const good of ["dev", "prod", "Dev2", "pr-123", "a", "x".repeat(MAX_STAGE_LENGTH), "feature-login-v2"]) {
    test(`accepts ${JSON.stringify(good.length > 20 ? `${good.slice(0, 10)}...(${good.length})` : good)}`, () => {
      assert.equal(validateStage(good), undefined);
      assert.equal(isValidStage(good), true);
    });
  }

  const bad: [string, RegExp][] = [
    ["", /Enter a stage name/],
    ["1dev", /starts with a letter/],
    ["-dev", /starts with a letter/],
    ["my_stage", /only letters, digits and hyphens \(not "_"\)/],
    ["dev stage", /not " "/],
    ["dév", /not "é"/],
    ["a.b", /not "\."/],
    ["x".repeat(MAX_STAGE_LENGTH + 1), /at most 64 characters \(this one has 65\)/],
  ];
  for (const [value, message] of bad) {
    test(`rejects ${JSON.stringify(value.length > 20 ? `${value.slice(0, 5)}...(${value.length})` : value)}`, () => {
      const m = validateStage(value);
      assert.notEqual(m, undefined);
      assert.match(m!, message);
      assert.equal(isValidStage(value), false);
    });
  }
});

describe("current stage", () => {
  test("setting wins, then .sst/stage, then dev", () => {
    assert.deepEqual(resolveStage("prod", "alice"), { stage: "prod", source: "setting" });
    assert.deepEqual(resolveStage("  ", "alice"), { stage: "alice", source: ".sst/stage" });
    assert.deepEqual(resolveStage(undefined, undefined), { stage: DEFAULT_STAGE, source: "default" });
    assert.equal(DEFAULT_STAGE, "dev");
  });

  test("parseStageFile takes the first non-empty line, if valid", () => {
    assert.equal(parseStageFile("\n  alice \n"), "alice");
    assert.equal(parseStageFile("alice\r\nbob"), "alice");
    assert.equal(parseStageFile("not valid!"), undefined);
    assert.equal(parseStageFile(""), undefined);
    assert.equal(parseStageFile(undefined), undefined);
  });
});

describe("buildStageItems", () => {
  test("current first, deduplicated, tagged by source", () => {
    const items = buildStageItems({
      current: "alice",
      settingStage: "",
      fileStage: "alice",
      deployed: ["prod", "alice", "staging", "prod"],
      protectedStages: ["prod", "production"],
    });
    assert.deepEqual(
      items.map((i) => i.stage),
      ["alice", "prod", "staging"],
    );
    assert.deepEqual(items[0].tags, ["current", "deployed", ".sst/stage"]);
    assert.equal(items[0].description, "current · deployed · .sst/stage");
    assert.deepEqual(items[1].tags, ["deployed", "protected"]);
    assert.deepEqual(items[2].tags, ["deployed"]);
  });

  test("setting and .sst/stage come before deployed stages; invalid names are dropped", () => {
    const items = buildStageItems({
      current: "dev",
      settingStage: "dev",
      fileStage: "bob",
      deployed: ["zed", "bad_name", "", "1x", "amy"],
    });
    assert.deepEqual(
      items.map((i) => i.stage),
      ["dev", "bob", "zed", "amy"],
    );
    assert.deepEqual(items[0].tags, ["current", "setting"]);
  });

  test("no server answer: still the current stage", () => {
    const items = buildStageItems({ current: "dev" });
    assert.deepEqual(items, [{ stage: "dev", tags: ["current"], description: "current" }]);
  });
});

describe("classifyTypedStage", () => {
  const items = buildStageItems({ current: "dev", deployed: ["prod"] });
  test("empty, known, new, invalid", () => {
    assert.deepEqual(classifyTypedStage("  ", items), { kind: "none" });
    assert.deepEqual(classifyTypedStage("prod", items), { kind: "known", stage: "prod" });
    assert.deepEqual(classifyTypedStage(" pr-7 ", items), { kind: "new", stage: "pr-7" });
    const inv = classifyTypedStage("pr_7", items);
    assert.equal(inv.kind, "invalid");
    assert.match(inv.kind === "invalid" ? inv.message : "", /letters, digits and hyphens/);
  });
});
