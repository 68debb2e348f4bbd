/** package.json's contributions agree with the code and the spec. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { CLIENT_COMMANDS } from "../src/commands";
import { DEFAULTS } from "../src/settings";

// Works from out/test/ (compiled) and test/ (source).
function findManifest(): string {
  let dir = __dirname;
  for (;;) {
    const p = path.join(dir, "package.json");
    if (fs.existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found");
    dir = up;
  }
}
const pkg = JSON.parse(fs.readFileSync(findManifest(), "utf8"));
const props: Record<string, { default: unknown; scope?: string; enum?: string[]; enumDescriptions?: string[]; markdownDescription?: string; additionalProperties?: { enum?: string[] } }> =
  pkg.contributes.configuration.properties;

test("every palette command is contributed with category SST and vice versa", () => {
  const contributed = pkg.contributes.commands as { command: string; title: string; category: string }[];
  assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(CLIENT_COMMANDS).sort());
  for (const c of contributed) assert.equal(c.category, "SST");
  const titles = Object.fromEntries(contributed.map((c) => [c.command, c.title]));
  assert.equal(titles["sst.client.synth"], "Synth");
  assert.equal(titles["sst.client.deploy"], "Deploy Stage...");
});

test("setting defaults match the code's defaults", () => {
  assert.equal(props["sst.stage"].default, DEFAULTS.stage);
  assert.equal(props["sst.baseline"].default, DEFAULTS.baseline);
  assert.equal(props["sst.synth.mode"].default, DEFAULTS.synth.mode);
  assert.deepEqual(props["sst.protectedStages"].default, DEFAULTS.protectedStages);
  assert.equal(props["sst.diagnostics.debounceMs"].default, DEFAULTS.diagnostics.debounceMs);
  assert.deepEqual(props["sst.diagnostics.severity"].default, {});
  assert.deepEqual(props["sst.exclude"].default, DEFAULTS.exclude);
  assert.equal(props["sst.trace.server"].default, "off");
});

test("scopes, enums and descriptions", () => {
  assert.equal(props["sst.stage"].scope, "resource");
  assert.equal(props["sst.aws.endpointUrl"].scope, "machine-overridable");
  assert.equal(props["sst.server.path"].scope, "machine");
  assert.equal(props["sst.server.python"].scope, "machine");
  assert.equal(props["sst.trace.server"].scope, "window");
  assert.deepEqual(props["sst.trace.server"].enum, ["off", "messages", "verbose"]);
  assert.deepEqual(props["sst.synth.mode"].enum, ["embedded", "project"]);
  assert.deepEqual(props["sst.diagnostics.severity"].additionalProperties?.enum, ["error", "warning", "information", "hint", "off"]);
  for (const [key, p] of Object.entries(props)) {
    assert.ok(p.markdownDescription && p.markdownDescription.length > 10, `${key} has a description`);
    if (p.enum) assert.equal(p.enumDescriptions?.length, p.enum.length, `${key} enumDescriptions`);
  }
});

test("activation events and engine", () => {
  assert.equal(pkg.engines.vscode, "^1.91.0");
  assert.equal(pkg.main, "./dist/extension.js");
  for (const e of ["workspaceContains:**/sst.json", "workspaceContains:**/sst.config.{ts,js,mjs}", "onLanguage:python", "onLanguage:typescriptreact"]) {
    assert.ok(pkg.activationEvents.includes(e), e);
  }
});
