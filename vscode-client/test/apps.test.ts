import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";

import { appForFile, appLabel, appRootsFromConfigFiles, orderApps } from "../src/apps";

const j = (...p: string[]) => path.join(path.sep, ...p);

describe("apps", () => {
  test("roots from marker files, excluding node_modules/.sst/.build, deduplicated and sorted", () => {
    const roots = appRootsFromConfigFiles([
      j("w", "b", "sst.config.ts"),
      j("w", "a", "sst.json"),
      j("w", "a", "sst.config.js"),
      j("w", "a", "node_modules", "sst", "sst.json"),
      j("w", "a", ".sst", "sst.config.mjs"),
      j("w", "a", ".build", "sst.json"),
      j("w", "c", "package.json"),
    ]);
    assert.deepEqual(roots, [j("w", "a"), j("w", "b")]);
  });

  test("appForFile picks the innermost root and not a name prefix", () => {
    const roots = [j("w", "app"), j("w", "app", "nested"), j("w", "app2")];
    assert.equal(appForFile(roots, j("w", "app", "nested", "stacks", "Api.ts")), j("w", "app", "nested"));
    assert.equal(appForFile(roots, j("w", "app", "stacks", "Api.ts")), j("w", "app"));
    assert.equal(appForFile(roots, j("w", "app2", "x.py")), j("w", "app2"));
    assert.equal(appForFile(roots, j("elsewhere", "x.ts")), undefined);
    assert.equal(appForFile(roots, undefined), undefined);
  });

  test("labels and ordering", () => {
    const folders = [{ name: "mono", path: j("w") }];
    assert.equal(appLabel(j("w"), folders), "mono");
    assert.equal(appLabel(j("w", "apps", "api"), folders), "mono/apps/api");
    assert.equal(appLabel(j("other"), folders), j("other"));
    assert.deepEqual(orderApps([j("w", "a"), j("w", "b")], j("w", "b", "f.ts")), [j("w", "b"), j("w", "a")]);
    assert.deepEqual(orderApps([j("w", "a"), j("w", "b")], undefined), [j("w", "a"), j("w", "b")]);
  });
});
