import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";

import {
  NOT_FOUND_MESSAGE,
  OPEN_SETTINGS,
  describeLaunch,
  executableNames,
  expandVariables,
  findOnPath,
  readServerSettings,
  resolveLaunch,
  startFailureMessage,
} from "../src/launch";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sst-lsp-launch-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeExe(dir: string, name: string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, "#!/bin/sh\nexit 0\n");
  fs.chmodSync(p, mode);
  return p;
}

const binDir = path.join(tmp, "bin");
const emptyDir = path.join(tmp, "empty");
fs.mkdirSync(emptyDir, { recursive: true });
const sstLsp = makeExe(binDir, "sst-lsp");
const python = makeExe(path.join(tmp, "venv", "bin"), "python");
const notExecutable = makeExe(path.join(tmp, "noexec"), "sst-lsp", 0o644);
const posix = process.platform !== "win32";

describe("resolveLaunch", () => {
  test("sst.server.path set: [path, serve]", () => {
    const r = resolveLaunch({ path: sstLsp, python: "" }, { env: { PATH: emptyDir } });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.source, "server.path");
    assert.equal(r.command, sstLsp);
    assert.deepEqual(r.args, ["serve"]);
    assert.equal(r.env.PYTHONUNBUFFERED, "1");
  });

  test("the server environment is the inherited one plus additions (spawn does not merge)", () => {
    const r = resolveLaunch({ path: sstLsp, python: "" }, { env: { PATH: emptyDir, HOME: "/home/u", AWS_PROFILE: "work" } });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.env.PATH, emptyDir);
    assert.equal(r.env.AWS_PROFILE, "work");
    assert.equal(r.env.HOME, "/home/u");
    assert.equal(r.env.PYTHONIOENCODING, "utf-8");
  });

  test("sst.server.path wins over sst.server.python", () => {
    const r = resolveLaunch({ path: sstLsp, python }, { env: { PATH: "" } });
    assert.ok(r.ok);
    assert.equal(r.ok && r.command, sstLsp);
  });

  test("sst.server.python set: [python, -m, sst_lsp, serve], even with sst-lsp on PATH", () => {
    const r = resolveLaunch({ path: "", python }, { env: { PATH: binDir } });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.source, "server.python");
    assert.equal(r.command, python);
    assert.deepEqual(r.args, ["-m", "sst_lsp", "serve"]);
  });

  test("relative sst.server.python resolves against the workspace folder", () => {
    const r = resolveLaunch({ path: "", python: "venv/bin/python" }, { env: { PATH: "" }, workspaceFolder: tmp });
    assert.ok(r.ok);
    assert.equal(r.ok && r.command, python);
    assert.equal(r.ok && r.cwd, tmp);
  });

  test("${workspaceFolder} and ~ are expanded", () => {
    const r = resolveLaunch({ path: "${workspaceFolder}/bin/sst-lsp", python: "" }, { env: { PATH: "" }, workspaceFolder: tmp });
    assert.equal(r.ok && r.command, sstLsp);
    const h = resolveLaunch({ path: "~/bin/sst-lsp", python: "" }, { env: { PATH: "" }, home: tmp });
    assert.equal(h.ok && h.command, sstLsp);
  });

  test("a bare interpreter name is looked up on PATH", () => {
    const r = resolveLaunch({ path: "", python: "python" }, { env: { PATH: `${emptyDir}${path.delimiter}${path.dirname(python)}` } });
    assert.equal(r.ok && r.command, python);
  });

  test("neither set, sst-lsp on a fake PATH dir: found there", () => {
    const r = resolveLaunch({ path: "", python: "" }, { env: { PATH: [emptyDir, "", binDir].join(path.delimiter) } });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.source, "PATH");
    assert.equal(r.command, sstLsp);
    assert.deepEqual(r.args, ["serve"]);
  });

  test("neither set and not on PATH: the not-found message with Open Settings", () => {
    const r = resolveLaunch({ path: "", python: "" }, { env: { PATH: emptyDir } });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.message, NOT_FOUND_MESSAGE);
    assert.match(r.message, /pip install sst-lsp/);
    assert.match(r.message, /sst\.server\.path/);
    assert.deepEqual(r.actions, [OPEN_SETTINGS]);
  });

  test("sst.server.path pointing at nothing is an error naming the setting (no fallback to PATH)", () => {
    const r = resolveLaunch({ path: path.join(tmp, "nope", "sst-lsp"), python: "" }, { env: { PATH: binDir } });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /sst\.server\.path is set to/);
    assert.equal(r.settingQuery, "sst.server.path");
  });

  test("sst.server.python pointing at nothing is an error naming the setting", () => {
    const r = resolveLaunch({ path: "", python: path.join(tmp, "nope", "python") }, { env: { PATH: binDir } });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : "", /sst\.server\.python is set to/);
  });

  test("a directory is not an executable", () => {
    const r = resolveLaunch({ path: binDir, python: "" }, { env: { PATH: "" } });
    assert.equal(r.ok, false);
  });

  test("a non-executable file on PATH is skipped (POSIX)", { skip: !posix }, () => {
    assert.equal(findOnPath("sst-lsp", { PATH: path.dirname(notExecutable) }, "linux"), undefined);
    assert.equal(
      findOnPath("sst-lsp", { PATH: [path.dirname(notExecutable), binDir].join(":") }, "linux"),
      sstLsp,
    );
  });
});

describe("Windows PATH lookup", () => {
  test("PATHEXT candidates", () => {
    assert.deepEqual(executableNames("sst-lsp", { PATHEXT: ".EXE;.CMD" }, "win32"), ["sst-lsp.exe", "sst-lsp.cmd"]);
    assert.deepEqual(executableNames("python.exe", { PATHEXT: ".EXE;.CMD" }, "win32"), ["python.exe", "python.exe.exe", "python.exe.cmd"]);
    assert.deepEqual(executableNames("sst-lsp", {}, "linux"), ["sst-lsp"]);
  });

  test("finds sst-lsp.exe through PATHEXT with a case-insensitive Path variable", () => {
    const winBin = path.join(tmp, "winbin");
    const exe = makeExe(winBin, "sst-lsp.exe", 0o644); // no X bit needed on Windows
    assert.equal(findOnPath("sst-lsp", { Path: winBin, PATHEXT: ".COM;.EXE" }, "win32"), path.join(winBin, "sst-lsp.exe"));
    assert.ok(fs.existsSync(exe));
    assert.equal(findOnPath("sst-lsp", { Path: winBin, PATHEXT: ".COM;.BAT" }, "win32"), undefined);
  });

  test("a .cmd launcher needs a shell", () => {
    const winBin = path.join(tmp, "winbin2");
    makeExe(winBin, "sst-lsp.cmd", 0o644);
    const r = resolveLaunch({ path: "", python: "" }, { env: { PATH: winBin, PATHEXT: ".EXE;.CMD" }, platform: "win32" });
    assert.ok(r.ok);
    assert.equal(r.ok && r.shell, true);
  });
});

describe("helpers", () => {
  test("readServerSettings trims and ignores non-strings", () => {
    const s = readServerSettings((k) => ({ "server.path": "  /x/sst-lsp ", "server.python": 42 })[k]);
    assert.deepEqual(s, { path: "/x/sst-lsp", python: "" });
  });

  test("expandVariables", () => {
    assert.equal(expandVariables("${env:FOO}/x", { env: { FOO: "/foo" } }), "/foo/x");
    assert.equal(expandVariables("${userHome}/x", { home: "/h" }), "/h/x");
    assert.equal(expandVariables("a~b", { home: "/h" }), "a~b");
  });

  test("startFailureMessage gives a fix per source", () => {
    const r = resolveLaunch({ path: "", python }, { env: { PATH: "" } });
    assert.ok(r.ok);
    if (!r.ok) return;
    const m = startFailureMessage(r, "Connection closed\n");
    assert.match(m, /did not start/);
    assert.match(m, /-m sst_lsp serve/);
    assert.match(m, /Connection closed/);
    assert.match(m, /pip install/);
    assert.match(describeLaunch(r), /\(from server\.python\)$/);
  });
});
