import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DEFAULTS, buildInitializationOptions, objectReader, readSstSettings, readTraceLevel } from "../src/settings";

describe("readSstSettings", () => {
  test("empty config gives the defaults (contract shape)", () => {
    assert.deepEqual(readSstSettings(objectReader({})), {
      stage: "",
      baseline: "git:HEAD",
      synth: { mode: "embedded" },
      aws: { profile: "", region: "", endpointUrl: "" },
      protectedStages: ["prod", "production"],
      diagnostics: { severity: {}, debounceMs: 150 },
      exclude: [],
    });
  });

  test("values are read (nested and dotted keys) and ill-typed ones fall back", () => {
    const s = readSstSettings(
      objectReader({
        stage: " alice ",
        baseline: "stage:prod",
        synth: { mode: "project" },
        "aws.profile": "work",
        aws: { region: "eu-west-1", endpointUrl: "http://127.0.0.1:5000" },
        protectedStages: ["live", 3, ""],
        diagnostics: { severity: { SST101: "Warning", SST102: "bogus", SST103: "off", SST104: "info", SST105: 1 }, debounceMs: -5 },
        exclude: "not-an-array",
      }),
    );
    assert.equal(s.stage, "alice");
    assert.equal(s.baseline, "stage:prod");
    assert.equal(s.synth.mode, "project");
    assert.deepEqual(s.aws, { profile: "work", region: "eu-west-1", endpointUrl: "http://127.0.0.1:5000" });
    assert.deepEqual(s.protectedStages, ["live"]);
    assert.deepEqual(s.diagnostics, { severity: { SST101: "warning", SST103: "off", SST104: "information" }, debounceMs: 150 });
    assert.deepEqual(s.exclude, []);
  });

  test("unknown synth mode and empty baseline fall back; empty protectedStages stays empty", () => {
    const s = readSstSettings(objectReader({ synth: { mode: "docker" }, baseline: "", protectedStages: [] }));
    assert.equal(s.synth.mode, "embedded");
    assert.equal(s.baseline, "git:HEAD");
    assert.deepEqual(s.protectedStages, []);
  });

  test("defaults are not shared between reads", () => {
    const a = readSstSettings(objectReader({}));
    a.protectedStages.push("x");
    assert.deepEqual(readSstSettings(objectReader({})).protectedStages, ["prod", "production"]);
    assert.deepEqual(DEFAULTS.protectedStages, ["prod", "production"]);
  });

  test("trace level", () => {
    assert.equal(readTraceLevel(objectReader({ trace: { server: "verbose" } })), "verbose");
    assert.equal(readTraceLevel(objectReader({ "trace.server": "loud" })), "off");
  });
});

describe("buildInitializationOptions", () => {
  test("one entry per folder with its URI, plus globalSettings", () => {
    const opts = buildInitializationOptions(
      [
        { uri: "file:///w/a", config: objectReader({ stage: "alice" }) },
        { uri: "file:///w/b", config: objectReader({ stage: "bob", synth: { mode: "project" } }) },
      ],
      objectReader({ stage: "global" }),
    );
    assert.equal(opts.settings.length, 2);
    assert.equal(opts.settings[0].workspaceFolder, "file:///w/a");
    assert.equal(opts.settings[0].stage, "alice");
    assert.equal(opts.settings[1].workspaceFolder, "file:///w/b");
    assert.equal(opts.settings[1].synth.mode, "project");
    assert.equal(opts.settings[0].synth.mode, "embedded");
    assert.equal(opts.globalSettings.stage, "global");
    assert.ok(!("workspaceFolder" in opts.globalSettings));
    // JSON round trip: only plain data goes over the wire.
    assert.deepEqual(JSON.parse(JSON.stringify(opts)), opts);
  });

  test("no folders", () => {
    assert.deepEqual(buildInitializationOptions([], objectReader({})).settings, []);
  });
});
