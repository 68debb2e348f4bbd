import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as fs from "node:fs";
import * as path from "node:path";

import {
  CLIENT_ONLY_SETTINGS,
  DEFAULTS,
  answerConfiguration,
  buildInitializationOptions,
  objectReader,
  readSstSettings,
  readTraceLevel,
} from "../src/settings";

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
      inlayHints: { physicalNames: true, handlerFiles: true },
    });
  });

  test("inlay hint switches are read, ill-typed ones fall back to on", () => {
    assert.deepEqual(readSstSettings(objectReader({ inlayHints: { physicalNames: false } })).inlayHints, { physicalNames: false, handlerFiles: true });
    assert.deepEqual(readSstSettings(objectReader({ "inlayHints.handlerFiles": false, inlayHints: { physicalNames: "no" } })).inlayHints, {
      physicalNames: true,
      handlerFiles: false,
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

// Works from out/test/ (compiled) and test/ (source).
function manifestProperties(): Record<string, { default: unknown }> {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).contributes.configuration.properties;
}

/** The value at a dotted key of a nested object (undefined when absent). */
function at(obj: unknown, key: string): unknown {
  let cur = obj;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

describe("every sst.* setting the server reads reaches it", () => {
  const props = manifestProperties();
  const serverKeys = Object.keys(props)
    .map((k) => k.slice("sst.".length))
    .filter((k) => !CLIENT_ONLY_SETTINGS.includes(k));

  test("the manifest's server settings are in initializationOptions, with their defaults", () => {
    assert.ok(serverKeys.includes("inlayHints.physicalNames") && serverKeys.includes("inlayHints.handlerFiles"));
    const opts = buildInitializationOptions([{ uri: "file:///w/a", config: objectReader({}) }], objectReader({}));
    for (const key of serverKeys) {
      assert.deepEqual(at(opts.globalSettings, key), props[`sst.${key}`].default, `globalSettings.${key}`);
      assert.deepEqual(at(opts.settings[0], key), props[`sst.${key}`].default, `settings[0].${key}`);
    }
    for (const key of CLIENT_ONLY_SETTINGS) assert.equal(at(opts.globalSettings, key), undefined, key);
  });

  test("a value set for every server setting is sent at init", () => {
    const values: Record<string, unknown> = {
      stage: "alice",
      baseline: "off",
      "synth.mode": "project",
      "aws.profile": "work",
      "aws.region": "eu-west-1",
      "aws.endpointUrl": "http://127.0.0.1:5000",
      protectedStages: ["live"],
      "diagnostics.severity": { SST101: "hint" },
      "diagnostics.debounceMs": 20,
      "inlayHints.physicalNames": false,
      "inlayHints.handlerFiles": false,
      exclude: ["legacy/**"],
    };
    assert.deepEqual(Object.keys(values).sort(), [...serverKeys].sort(), "the test covers every server setting");
    const opts = buildInitializationOptions([], objectReader(values));
    for (const [key, v] of Object.entries(values)) assert.deepEqual(at(opts.globalSettings, key), v, key);
  });

  test("workspace/configuration answers section sst per scope with the same shape", () => {
    const scopes: (string | undefined)[] = [];
    const got = answerConfiguration(
      [{ section: "sst" }, { section: "sst", scopeUri: "file:///w/a" }, { section: "editor" }],
      "sst",
      (scope) => {
        scopes.push(scope);
        return objectReader(scope ? { inlayHints: { handlerFiles: false }, stage: "bob" } : {});
      },
      [{ raw: 1 }, { raw: 2 }, { tabSize: 2 }],
    );
    assert.deepEqual(scopes, [undefined, "file:///w/a"]);
    assert.deepEqual(got[0], readSstSettings(objectReader({})));
    const folder = got[1] as { stage: string; inlayHints: { physicalNames: boolean; handlerFiles: boolean } };
    assert.equal(folder.stage, "bob");
    assert.deepEqual(folder.inlayHints, { physicalNames: true, handlerFiles: false });
    assert.deepEqual(got[2], { tabSize: 2 });
  });
});
