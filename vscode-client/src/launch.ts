/**
 * Settings -> how to launch the sst-lsp server.
 *
 * Pure module: no `vscode` import, so it can be unit tested with `node --test`.
 *
 * Order of preference:
 *   1. `sst.server.path` when set: `[path, "serve"]`
 *   2. `sst.server.python` when set: `[python, "-m", "sst_lsp", "serve"]`
 *   3. `sst-lsp` found on PATH (looked up here, without a shell): `[found, "serve"]`
 *   4. otherwise an error with the fix and an "Open Settings" action.
 *
 * A setting that is set but points at nothing is an error of its own (it is NOT
 * silently skipped in favour of the next option: the user asked for that one).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const SERVER_EXECUTABLE = "sst-lsp";
export const OPEN_SETTINGS = "Open Settings";
export const NOT_FOUND_MESSAGE =
  "sst-lsp was not found. Install it with `pip install sst-lsp`, or set sst.server.path / sst.server.python.";

export interface ServerSettings {
  /** `sst.server.path`: the sst-lsp executable ("" = look up `sst-lsp` on PATH). */
  path: string;
  /** `sst.server.python`: an interpreter that has the `sst_lsp` package ("" = unused). */
  python: string;
}

export interface LaunchContext {
  /** Environment used for the PATH lookup and given to the server (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Platform (default process.platform); "win32" enables PATHEXT and `;` separators. */
  platform?: NodeJS.Platform;
  /** First workspace folder: relative settings and `${workspaceFolder}` resolve against it. */
  workspaceFolder?: string;
  /** Home directory for `~` and `${userHome}` (default os.homedir()). */
  home?: string;
}

export type LaunchSource = "server.path" | "server.python" | "PATH";

export interface LaunchOk {
  ok: true;
  source: LaunchSource;
  command: string;
  args: string[];
  /**
   * The server's complete environment. vscode-languageclient passes an
   * Executable's `options.env` to spawn as is (it does NOT merge it with
   * process.env), so this is the inherited environment plus our additions.
   */
  env: Record<string, string>;
  cwd?: string;
  /** Windows batch files cannot be spawned without a shell. */
  shell: boolean;
}

export interface LaunchError {
  ok: false;
  /** The message to show, including the fix. */
  message: string;
  /** Action buttons to offer with it. */
  actions: string[];
  /** Setting the "Open Settings" action should open. */
  settingQuery: string;
}

export type LaunchResult = LaunchOk | LaunchError;

/** Reads `sst.server.*` from anything with a `get(key)` (a WorkspaceConfiguration). */
export function readServerSettings(get: (key: string) => unknown): ServerSettings {
  const str = (v: unknown): string => (typeof v === "string" ? v.trim() : "");
  return { path: str(get("server.path")), python: str(get("server.python")) };
}

/** Expands `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}`. */
export function expandVariables(value: string, ctx: LaunchContext = {}): string {
  const env = ctx.env ?? process.env;
  const home = ctx.home ?? os.homedir();
  let out = value.replace(/\$\{(userHome|workspaceFolder|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (m, name: string, envName?: string) => {
    if (name === "userHome") return home;
    if (name === "workspaceFolder") return ctx.workspaceFolder ?? m;
    return env[envName ?? ""] ?? "";
  });
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = home + out.slice(1);
  }
  return out;
}

function hasSeparator(p: string, platform: NodeJS.Platform): boolean {
  return p.includes("/") || (platform === "win32" && p.includes("\\"));
}

function isAbsoluteFor(p: string, platform: NodeJS.Platform): boolean {
  return path.isAbsolute(p) || (platform === "win32" && path.win32.isAbsolute(p));
}

function isExecutableFile(p: string, platform: NodeJS.Platform): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (platform === "win32") return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function getEnvCaseInsensitive(env: NodeJS.ProcessEnv, name: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== "win32") return env[name];
  const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : env[key];
}

/** Candidate file names for `name` on this platform (PATHEXT on Windows). */
export function executableNames(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform !== "win32") return [name];
  const pathext = (getEnvCaseInsensitive(env, "PATHEXT", platform) ?? ".COM;.EXE;.BAT;.CMD")
    .split(";")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const lower = name.toLowerCase();
  const hasExt = pathext.some((e) => lower.endsWith(e.toLowerCase()));
  const names = pathext.map((e) => name + e.toLowerCase());
  return hasExt ? [name, ...names] : names;
}

/**
 * Finds `name` on PATH without a shell: walks the PATH entries (and PATHEXT on
 * Windows) and returns the first executable file, or undefined.
 */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const pathValue = getEnvCaseInsensitive(env, "PATH", platform) ?? "";
  const sep = platform === "win32" ? ";" : ":";
  for (const rawDir of pathValue.split(sep)) {
    const dir = rawDir.trim().replace(/^"(.*)"$/, "$1");
    if (dir.length === 0) continue;
    for (const candidate of executableNames(name, env, platform)) {
      const full = path.join(dir, candidate);
      if (isExecutableFile(full, platform)) return full;
    }
  }
  return undefined;
}

/**
 * Resolves a configured executable: a bare name is looked up on PATH, a path
 * (relative ones against the workspace folder) must be an executable file.
 */
export function resolveExecutable(value: string, ctx: LaunchContext = {}): string | undefined {
  const env = ctx.env ?? process.env;
  const platform = ctx.platform ?? process.platform;
  const expanded = expandVariables(value, ctx);
  if (!hasSeparator(expanded, platform)) {
    return findOnPath(expanded, env, platform);
  }
  const full = isAbsoluteFor(expanded, platform)
    ? expanded
    : ctx.workspaceFolder !== undefined
      ? path.resolve(ctx.workspaceFolder, expanded)
      : path.resolve(expanded);
  for (const candidate of executableNames(full, env, platform)) {
    if (isExecutableFile(candidate, platform)) return candidate;
  }
  return undefined;
}

function needsShell(command: string, platform: NodeJS.Platform): boolean {
  return platform === "win32" && /\.(bat|cmd)$/i.test(command);
}

/** The inherited environment (PATH, HOME, AWS_* ...) plus unbuffered UTF-8 Python I/O. */
export function serverEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  // The server's stderr log reaches the output channel at once, in UTF-8.
  env.PYTHONUNBUFFERED = "1";
  env.PYTHONIOENCODING = "utf-8";
  return env;
}

function ok(source: LaunchSource, command: string, args: string[], ctx: LaunchContext, platform: NodeJS.Platform): LaunchOk {
  return {
    ok: true,
    source,
    command,
    args,
    env: serverEnv(ctx.env ?? process.env),
    cwd: ctx.workspaceFolder,
    shell: needsShell(command, platform),
  };
}

function error(message: string, settingQuery: string): LaunchError {
  return { ok: false, message, actions: [OPEN_SETTINGS], settingQuery };
}

/** Settings -> launch options or the error to show (see the module comment). */
export function resolveLaunch(settings: ServerSettings, ctx: LaunchContext = {}): LaunchResult {
  const platform = ctx.platform ?? process.platform;
  if (settings.path !== "") {
    const found = resolveExecutable(settings.path, ctx);
    if (found === undefined) {
      return error(
        `sst.server.path is set to "${settings.path}", but no executable was found there. ` +
          "Fix the path (an absolute path to the sst-lsp executable), or clear it to use sst-lsp from PATH.",
        "sst.server.path",
      );
    }
    return ok("server.path", found, ["serve"], ctx, platform);
  }
  if (settings.python !== "") {
    const found = resolveExecutable(settings.python, ctx);
    if (found === undefined) {
      return error(
        `sst.server.python is set to "${settings.python}", but no interpreter was found there. ` +
          "Point it at a Python that has sst-lsp installed (e.g. .venv/bin/python), or clear it.",
        "sst.server.python",
      );
    }
    return ok("server.python", found, ["-m", "sst_lsp", "serve"], ctx, platform);
  }
  const onPath = findOnPath(SERVER_EXECUTABLE, ctx.env ?? process.env, platform);
  if (onPath !== undefined) {
    return ok("PATH", onPath, ["serve"], ctx, platform);
  }
  return error(NOT_FOUND_MESSAGE, "sst.server");
}

/** One line describing the command, for the output channel. */
export function describeLaunch(launch: LaunchOk): string {
  const quote = (s: string) => (/[\s"']/.test(s) ? JSON.stringify(s) : s);
  return `${[launch.command, ...launch.args].map(quote).join(" ")} (from ${launch.source})`;
}

/**
 * The message shown when the configured command was found but the server did
 * not start (e.g. the interpreter lacks the sst_lsp package), with the likely fix.
 */
export function startFailureMessage(launch: LaunchOk, detail: string): string {
  const d = detail.trim().replace(/\s+/g, " ");
  const head = `The SST language server did not start (${describeLaunch(launch)})${d ? `: ${d}` : "."}`;
  switch (launch.source) {
    case "server.python":
      return `${head} Check that this interpreter has sst-lsp installed (\`${launch.command} -m pip install sst-lsp\`, or \`pip install -e .\` from the sst-lsp checkout), or set sst.server.path.`;
    case "server.path":
      return `${head} Check that sst.server.path points at a working sst-lsp executable (the Output shows its error).`;
    default:
      return `${head} The sst-lsp found on PATH may be broken or outdated: reinstall it (\`pip install -U sst-lsp\`), or set sst.server.path / sst.server.python.`;
  }
}
