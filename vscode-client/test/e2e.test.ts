/**
 * End to end without VS Code: the esbuild bundle of the extension is loaded
 * with a fake `vscode` module (fixtures/fake-vscode.ts), activated in a temp
 * workspace holding an SST app, and talks over stdio to a fake `sst-lsp serve`
 * (fixtures/fake-server.ts) found on PATH. Exercises launch, initialization
 * options, workspace/configuration, the palette commands, a references code
 * lens click, error display, restart coalescing and shutdown.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { type FakeQuickPick, createFakeVscode } from "./fixtures/fake-vscode";

const posix = process.platform !== "win32";

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found");
    dir = up;
  }
  return dir;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("extension end to end (fake vscode, fake server)", { skip: !posix && "needs a POSIX shell wrapper" }, () => {
  const root = packageRoot();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sst-lsp-e2e-"));
  const ws = path.join(tmp, "workspace");
  const bin = path.join(tmp, "bin");
  const serverLog = path.join(tmp, "server.log");
  const fake = createFakeVscode({ workspaceRoot: ws, manifest: path.join(root, "package.json") });
  const { state } = fake;
  let ext: { activate(ctx: unknown): Promise<void>; deactivate(): Promise<void> };
  const savedEnv = { PATH: process.env.PATH, FAKE_SST_LSP_LOG: process.env.FAKE_SST_LSP_LOG };
  const origLoad = (Module as unknown as { _load: (...a: unknown[]) => unknown })._load;

  const serverEntries = (): { kind: string; method?: string; params?: any; config?: any; argv?: string[]; pythonUnbuffered?: string }[] =>
    fs.existsSync(serverLog)
      ? fs.readFileSync(serverLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))
      : [];
  const commandsSent = () =>
    serverEntries()
      .filter((e) => e.method === "workspace/executeCommand")
      .map((e) => e.params);
  const run = (id: string) => {
    const fn = state.commands.get(id);
    assert.ok(fn, `command ${id} registered`);
    return fn() as Promise<unknown>;
  };
  const pickStage = (choose: (qp: FakeQuickPick) => void) => {
    state.onQuickPick = async (qp) => {
      await waitFor("stages from the server", () => !qp.busy);
      choose(qp);
    };
  };

  before(async () => {
    // The workspace: one SST app with .sst/stage, plus a decoy under node_modules.
    fs.mkdirSync(path.join(ws, "notes", ".sst"), { recursive: true });
    fs.writeFileSync(path.join(ws, "notes", "sst.config.ts"), "export default {}\n");
    fs.writeFileSync(path.join(ws, "notes", ".sst", "stage"), "alice\n");
    fs.mkdirSync(path.join(ws, "notes", "node_modules", "x"), { recursive: true });
    fs.writeFileSync(path.join(ws, "notes", "node_modules", "x", "sst.json"), "{}");
    // `sst-lsp` on PATH: a shell wrapper around the compiled fake server.
    fs.mkdirSync(bin);
    const serverJs = path.join(__dirname, "fixtures", "fake-server.js");
    fs.writeFileSync(path.join(bin, "sst-lsp"), `#!/bin/sh\nexec "${process.execPath}" "${serverJs}" "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
    process.env.FAKE_SST_LSP_LOG = serverLog;

    // Bundle the extension exactly like `npm run build`, then load it with the fake vscode.
    const esbuild = require("esbuild") as typeof import("esbuild");
    const outfile = path.join(tmp, "extension.js");
    esbuild.buildSync({
      entryPoints: [path.join(root, "src", "extension.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node18",
      external: ["vscode"],
      outfile,
      logLevel: "silent",
    });
    (Module as unknown as { _load: (...a: unknown[]) => unknown })._load = function (this: unknown, request: unknown, ...rest: unknown[]) {
      if (request === "vscode") return fake.vscode;
      return origLoad.call(this, request, ...rest);
    };
    ext = require(outfile);
  });

  after(async () => {
    (Module as unknown as { _load: unknown })._load = origLoad;
    process.env.PATH = savedEnv.PATH;
    if (savedEnv.FAKE_SST_LSP_LOG === undefined) delete process.env.FAKE_SST_LSP_LOG;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("activates, finds sst-lsp on PATH and starts it with `serve`", async () => {
    await ext.activate({ subscriptions: [] });
    await waitFor("server started", () => state.output.some((l) => l.includes("Server started.")));
    const start = serverEntries().find((e) => e.kind === "start");
    assert.deepEqual(start?.argv, ["serve"]);
    assert.equal(start?.pythonUnbuffered, "1");
    assert.ok(state.output.some((l) => l.includes(`${path.join(bin, "sst-lsp")} serve (from PATH)`)));
    assert.ok(state.output.some((l) => l.includes("fake sst-lsp: started")), "server stderr reaches the channel");
    for (const id of ["sst.client.synth", "sst.client.diff", "sst.client.deploy", "sst.client.remove", "sst.client.selectStage", "sst.client.restart"]) {
      assert.ok(state.commands.has(id), id);
    }
    // vscode-languageclient registered the server's own command ids next to ours (the fake
    // throws on a second registration of an id, so the extension registers none of them).
    assert.ok(state.commands.has("sst.deploy"));
    assert.ok(state.commands.has("sst.showReferences"));
  });

  test("a references lens click opens VS Code's peek, not the server command", async () => {
    const { Uri, Position, Location, Range, CancellationTokenSource } = fake.vscode;
    const provider = await waitFor("code lens provider", () => state.codeLensProviders[0]);
    const file = Uri.file(path.join(ws, "notes", "src", "list.ts"));
    const lenses = (await provider.provideCodeLenses({ uri: file }, new CancellationTokenSource().token)) ?? [];
    const asked = serverEntries().filter((e) => e.method === "textDocument/codeLens").at(-1);
    assert.equal(asked?.params.textDocument.uri, file.toString());
    assert.equal(lenses.length, 3);
    assert.ok(lenses[0].range instanceof Range);
    assert.deepEqual(lenses[0].range.start, new Position(3, 16));

    // Rewritten: VS Code's command with VS Code objects.
    const cmd = lenses[0].command!;
    assert.equal(cmd.command, "editor.action.showReferences");
    assert.equal(cmd.title, "2 routes: GET /notes, GET /notes/{id} (ApiStack)");
    const [uri, pos, locs] = cmd.arguments as [unknown, unknown, unknown[]];
    assert.ok(uri instanceof Uri);
    assert.equal(uri.toString(), file.toString());
    assert.ok(pos instanceof Position);
    assert.deepEqual(pos, new Position(3, 16));
    assert.equal(locs.length, 2);
    const stacks = Uri.file(path.join(ws, "notes", "stacks", "Api.ts")).toString();
    for (const l of locs) assert.ok(l instanceof Location && l.uri instanceof Uri && l.range instanceof Range);
    assert.deepEqual(
      (locs as InstanceType<typeof Location>[]).map((l) => [l.uri.toString(), l.range.start.line, l.range.start.character, l.range.end.character]),
      [
        [stacks, 10, 20, 38],
        [stacks, 11, 25, 42],
      ],
    );
    // Untouched: a malformed references lens and another command.
    assert.deepEqual(lenses[1].command, { title: "malformed", command: "sst.showReferences", arguments: [file.toString()] });
    assert.deepEqual(lenses[2].command, { title: "Synth", command: "sst.synth", arguments: [{ stage: "dev" }] });

    // The click: VS Code runs the lens's command with its arguments; nothing goes to the server.
    const sentBefore = commandsSent().length;
    await fake.vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    assert.deepEqual(state.executed.at(-1), { id: "editor.action.showReferences", args: [uri, pos, locs] });
    assert.equal(commandsSent().length, sentBefore);
  });

  test("the client-registered sst.showReferences still runs on the server (for its locations)", async () => {
    const lens = {
      uri: "file:///w/a.ts",
      position: { line: 1, character: 2 },
      locations: [{ uri: "file:///w/b.ts", range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }],
    };
    const got = await state.commands.get("sst.showReferences")!(lens.uri, lens.position, lens.locations);
    assert.deepEqual(commandsSent().at(-1), { command: "sst.showReferences", arguments: [lens.uri, lens.position, lens.locations] });
    assert.deepEqual(got, lens.locations);
  });

  test("initializationOptions and workspace/configuration carry the sst settings", async () => {
    const init = serverEntries().find((e) => e.method === "initialize");
    const opts = init?.params.initializationOptions;
    assert.equal(opts.settings.length, 1);
    assert.equal(opts.settings[0].workspaceFolder, fake.vscode.Uri.file(ws).toString());
    assert.equal(opts.settings[0].baseline, "git:HEAD");
    assert.deepEqual(opts.settings[0].protectedStages, ["prod", "production"]);
    assert.deepEqual(opts.globalSettings.synth, { mode: "embedded" });
    const cfg = await waitFor("configuration answer", () => serverEntries().find((e) => e.kind === "configuration"));
    assert.equal(cfg.config[0].baseline, "git:HEAD");
    assert.deepEqual(cfg.config[0].diagnostics, { severity: {}, debounceMs: 150 });
  });

  test("status bar shows the stage from .sst/stage and selects on click", () => {
    assert.equal(state.statusBar.text, "$(cloud) SST: alice");
    assert.equal(state.statusBar.visible, true);
    assert.equal(state.statusBar.command, "sst.client.selectStage");
  });

  test("SST: Synth sends sst.synth with the current stage (no app for a single app)", async () => {
    await run("sst.client.synth");
    assert.deepEqual(commandsSent().at(-1), { command: "sst.synth", arguments: [{ stage: "alice" }] });
    assert.match(state.messages.at(-1)!.message, /Synthesized stage "alice": 1 stack in 42 ms\./);
  });

  test("SST: Deploy Stage lists known stages, deploys the pick and offers Copy URL", async () => {
    let labels: string[] = [];
    pickStage((qp) => {
      labels = qp.items.map((i) => i.label);
      qp.accept("prod");
    });
    state.answerMessage = (_k, _m, items) => (items.includes("Copy URL") ? "Copy URL" : undefined);
    await run("sst.client.deploy");
    assert.deepEqual(labels, ["alice", "dev", "prod"]);
    assert.deepEqual(commandsSent().at(-1), { command: "sst.deploy", arguments: [{ stage: "prod" }] });
    const msg = state.messages.find((m) => m.message.startsWith("Deployed"))!;
    assert.equal(msg.kind, "info");
    assert.match(msg.message, /^Deployed stage "prod"\. Outputs: ApiEndpoint = https:\/\/api\.example\.test\/v1; TableName = notes$/);
    assert.deepEqual(msg.items, ["Copy URL", "Show Output"]);
    await waitFor("clipboard", () => state.clipboard === "https://api.example.test/v1");
    assert.equal(state.messages.at(-1)?.message, "Copied https://api.example.test/v1");
    state.answerMessage = () => undefined;
  });

  test("SST: Diff Stage opens the diff text", async () => {
    pickStage((qp) => qp.accept("dev"));
    await run("sst.client.diff");
    assert.deepEqual(commandsSent().at(-1), { command: "sst.diff", arguments: [{ stage: "dev" }] });
    assert.match(state.openedDocuments.at(-1)?.content ?? "", /\[\+\] AWS::S3::Bucket Uploads/);
  });

  test("a typed invalid stage is not accepted; a server error shows one message with Show Output", async () => {
    let invalidLabel = "";
    pickStage((qp) => {
      qp.type("bad_name");
      invalidLabel = qp.items[0].label;
      qp.accept(invalidLabel); // ignored: the picker stays open
      qp.type("boom");
      qp.accept("boom");
    });
    const before = state.messages.length;
    await run("sst.client.remove");
    assert.match(invalidLabel, /bad_name/);
    assert.deepEqual(commandsSent().at(-1), { command: "sst.remove", arguments: [{ stage: "boom" }] });
    const errors = state.messages.slice(before).filter((m) => m.kind === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "SST remove failed: remove failed: boom");
    assert.deepEqual(errors[0].items, ["Show Output"]);
  });

  test("SST: Select Stage writes sst.stage (workspace) and updates the status bar", async () => {
    pickStage((qp) => qp.accept("dev"));
    await run("sst.client.selectStage");
    assert.deepEqual(state.updates.at(-1), { key: "sst.stage", value: "dev", target: fake.vscode.ConfigurationTarget.Workspace });
    assert.equal(state.statusBar.text, "$(cloud) SST: dev");
    // synchronize.configurationSection: the server hears about the change.
    const change = await waitFor("didChangeConfiguration", () =>
      serverEntries().find((e) => e.method === "workspace/didChangeConfiguration" && e.params?.settings?.sst?.stage === "dev"),
    );
    assert.equal(change.params.settings.sst.baseline, "git:HEAD");
  });

  test("sst.trace.server=verbose traces the LSP messages into the SST channel", async () => {
    const traced = () => state.output.filter((l) => l.includes("Sending request 'workspace/executeCommand")).length;
    await run("sst.client.synth");
    assert.equal(traced(), 0);
    state.settings["sst.trace.server"] = "verbose";
    state.configChanged.fire({ affectsConfiguration: (s: string) => "sst.trace.server".startsWith(s) });
    await run("sst.client.synth");
    assert.equal(traced(), 1);
    assert.ok(state.output.some((l) => l.includes('"command": "sst.synth"')), "verbose includes the params");
    state.settings["sst.trace.server"] = "off";
    state.configChanged.fire({ affectsConfiguration: (s: string) => "sst.trace.server".startsWith(s) });
    await run("sst.client.synth");
    assert.equal(traced(), 1);
  });

  test("three restart requests during one restart give one restart", async () => {
    const inits = () => serverEntries().filter((e) => e.method === "initialize").length;
    const before = inits();
    await Promise.all([run("sst.client.restart"), run("sst.client.restart"), run("sst.client.restart")]);
    assert.equal(inits(), before + 1);
    assert.ok(serverEntries().some((e) => e.method === "shutdown"), "old server shut down");
    await run("sst.client.synth");
    assert.deepEqual(commandsSent().at(-1), { command: "sst.synth", arguments: [{ stage: "dev" }] });
  });

  test("a bad sst.server.path: restart reports it with Open Settings, commands say the server is not running", async () => {
    state.settings["sst.server.path"] = path.join(tmp, "missing", "sst-lsp");
    const before = state.messages.length;
    await run("sst.client.restart");
    const err = state.messages.slice(before).find((m) => m.kind === "error");
    assert.match(err?.message ?? "", /sst\.server\.path is set to/);
    assert.deepEqual(err?.items, ["Open Settings", "Show Output"]);
    await run("sst.client.synth");
    assert.equal(state.messages.at(-1)?.message, "The SST language server is not running.");
    delete state.settings["sst.server.path"];
  });

  test("deactivate stops the server", async () => {
    await run("sst.client.restart");
    await waitFor("server restarted", () => state.output.filter((l) => l.includes("Server started.")).length >= 3);
    const exits = () => serverEntries().filter((e) => e.method === "exit").length;
    const before = exits();
    await ext.deactivate();
    await waitFor("exit notification", () => exits() > before);
  });
});
