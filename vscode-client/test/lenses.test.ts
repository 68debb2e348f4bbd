import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  type CommandLike,
  EDITOR_SHOW_REFERENCES,
  type LspLocation,
  type LspPosition,
  type ReferenceConverters,
  SERVER_SHOW_REFERENCES,
  parseShowReferencesArgs,
  rewriteLens,
  rewriteLensCommand,
  rewriteLenses,
} from "../src/lenses";

// Stand-ins for vscode.Uri / Position / Location: tagged so the test sees which converter made what.
class U {
  constructor(readonly value: string) {}
}
class P {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
class L {
  constructor(
    readonly uri: U,
    readonly start: P,
    readonly end: P,
  ) {}
}
const convert: ReferenceConverters = {
  uri: (v: string) => new U(v),
  position: (p: LspPosition) => new P(p.line, p.character),
  location: (l: LspLocation) => new L(new U(l.uri), new P(l.range.start.line, l.range.start.character), new P(l.range.end.line, l.range.end.character)),
};

const HANDLER = "file:///w/notes/src/list.ts";
const STACK = "file:///w/notes/stacks/Api.ts";
const loc = (uri: string, line: number, c0: number, c1: number) => ({
  uri,
  range: { start: { line, character: c0 }, end: { line, character: c1 } },
});
const serverLens = (): { range: string; command?: CommandLike; data?: unknown } => ({
  range: "r",
  data: { keep: true },
  command: {
    title: "2 routes: GET /notes, GET /notes/{id} (ApiStack)",
    command: SERVER_SHOW_REFERENCES,
    arguments: [HANDLER, { line: 3, character: 16 }, [loc(STACK, 10, 20, 38), loc(STACK, 11, 25, 42)]],
  },
});

describe("rewriteLensCommand", () => {
  test("sst.showReferences becomes editor.action.showReferences with converted arguments", () => {
    const out = rewriteLensCommand(serverLens().command, convert);
    assert.equal(out?.command, EDITOR_SHOW_REFERENCES);
    assert.equal(out?.title, "2 routes: GET /notes, GET /notes/{id} (ApiStack)");
    assert.deepEqual(out?.arguments, [
      new U(HANDLER),
      new P(3, 16),
      [new L(new U(STACK), new P(10, 20), new P(10, 38)), new L(new U(STACK), new P(11, 25), new P(11, 42))],
    ]);
    const [uri, pos, locs] = out!.arguments as [unknown, unknown, unknown[]];
    assert.ok(uri instanceof U && pos instanceof P && locs.every((l) => l instanceof L));
  });

  test("the tooltip is kept; an empty location list is still a (empty) peek", () => {
    const out = rewriteLensCommand(
      { title: "deploys as dev-notes-core", tooltip: "where it is registered", command: SERVER_SHOW_REFERENCES, arguments: [STACK, { line: 0, character: 0 }, []] },
      convert,
    );
    assert.deepEqual(out, {
      title: "deploys as dev-notes-core",
      tooltip: "where it is registered",
      command: EDITOR_SHOW_REFERENCES,
      arguments: [new U(STACK), new P(0, 0), []],
    });
  });

  test("other commands and label lenses are returned untouched (same object)", () => {
    for (const cmd of [
      { title: "Synth", command: "sst.synth", arguments: [{ stage: "dev" }] },
      { title: "a label", command: "" },
      { title: "peek", command: EDITOR_SHOW_REFERENCES, arguments: [HANDLER, { line: 0, character: 0 }, []] },
      // The id is case-sensitive: only the server's exact id is rewritten.
      { title: "x", command: "SST.showReferences", arguments: [HANDLER, { line: 0, character: 0 }, []] },
    ]) {
      assert.equal(rewriteLensCommand(cmd, convert), cmd, cmd.command);
    }
    assert.equal(rewriteLensCommand(undefined, convert), undefined);
  });

  test("malformed arguments leave the command as is", () => {
    const good = serverLens().command!.arguments!;
    const bad: unknown[] = [
      undefined,
      [],
      good.slice(0, 2), // no locations
      [...good, "extra"],
      ["", good[1], good[2]],
      ["/w/notes/src/list.ts", good[1], good[2]], // a path, not a URI
      [42, good[1], good[2]],
      [HANDLER, { line: -1, character: 0 }, good[2]],
      [HANDLER, { line: 1.5, character: 0 }, good[2]],
      [HANDLER, { line: "3", character: 16 }, good[2]],
      [HANDLER, [3, 16], good[2]],
      [HANDLER, good[1], "not a list"],
      [HANDLER, good[1], [loc(STACK, 1, 0, 1), null]],
      [HANDLER, good[1], [{ uri: STACK }]],
      [HANDLER, good[1], [{ uri: STACK, range: { start: { line: 1, character: 0 } } }]],
      [HANDLER, good[1], [{ path: "/w/notes/stacks/Api.ts", line: 1, col: 0 }]], // the ide layer's shape
    ];
    for (const args of bad) {
      const cmd = { title: "t", command: SERVER_SHOW_REFERENCES, arguments: args as unknown[] | undefined };
      assert.equal(rewriteLensCommand(cmd, convert), cmd, JSON.stringify(args));
    }
  });

  test("a converter that throws leaves the command as is", () => {
    const cmd = serverLens().command;
    const throwing = {
      ...convert,
      uri: () => {
        throw new Error("bad uri");
      },
    };
    assert.equal(rewriteLensCommand(cmd, throwing), cmd);
  });
});

describe("parseShowReferencesArgs", () => {
  test("copies only the LSP fields", () => {
    const parsed = parseShowReferencesArgs([HANDLER, { line: 1, character: 2, extra: 1 }, [{ ...loc(STACK, 3, 4, 5), note: "x" }]]);
    assert.deepEqual(parsed, { uri: HANDLER, position: { line: 1, character: 2 }, locations: [loc(STACK, 3, 4, 5)] });
  });
});

describe("rewriteLenses / rewriteLens", () => {
  test("rewrites in place, keeps the lens objects, their other fields and the other lenses", () => {
    const rewritten = serverLens();
    const other = { range: "r2", command: { title: "Synth", command: "sst.synth", arguments: [{ stage: "dev" }] } };
    const label = { range: "r3" };
    const malformed = { range: "r4", command: { title: "t", command: SERVER_SHOW_REFERENCES, arguments: [HANDLER] } };
    const otherCommand = other.command;
    const malformedCommand = malformed.command;
    const lenses = [rewritten, other, label, malformed];
    const out = rewriteLenses<{ range: string; command?: CommandLike }>(lenses, convert);
    assert.equal(out, lenses);
    assert.deepEqual(
      out!.map((l) => l.command?.command),
      [EDITOR_SHOW_REFERENCES, "sst.synth", undefined, SERVER_SHOW_REFERENCES],
    );
    assert.deepEqual(rewritten.data, { keep: true });
    assert.equal(other.command, otherCommand);
    assert.equal(malformed.command, malformedCommand);
    assert.equal("command" in label, false);
  });

  test("null and undefined results pass through", () => {
    assert.equal(rewriteLenses(null, convert), null);
    assert.equal(rewriteLenses(undefined, convert), undefined);
  });

  test("a resolved lens is rewritten too", () => {
    const lens = serverLens();
    assert.equal(rewriteLens(lens, convert), lens);
    assert.equal(lens.command?.command, EDITOR_SHOW_REFERENCES);
  });
});
