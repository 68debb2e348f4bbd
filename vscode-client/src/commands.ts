/**
 * Pure parts of the palette commands: server command arguments, reading the
 * server's results defensively, and turning them into messages.
 * No `vscode` import.
 */
import { validateStage } from "./stage";

/** Commands the server provides through workspace/executeCommand. */
export const SERVER_COMMANDS = {
  synth: "sst.synth",
  diff: "sst.diff",
  deploy: "sst.deploy",
  remove: "sst.remove",
  listStages: "sst.listStages",
} as const;

/**
 * Client palette command ids. They differ from the server ids because
 * vscode-languageclient registers the server's executeCommandProvider commands
 * under their own ids: the same id twice would fail to register.
 */
export const CLIENT_COMMANDS = {
  synth: "sst.client.synth",
  diff: "sst.client.diff",
  deploy: "sst.client.deploy",
  remove: "sst.client.remove",
  selectStage: "sst.client.selectStage",
  restart: "sst.client.restart",
  showOutput: "sst.client.showOutput",
} as const;

export type ServerCommandKind = keyof typeof SERVER_COMMANDS;

export interface CommandInput {
  /** App root path; omitted when the workspace has a single app. */
  app?: string;
  stage?: string;
  /** Only for deploy: restrict to these stacks. */
  stacks?: readonly string[];
}

export interface ExecuteCommandParams {
  command: string;
  arguments: [Record<string, unknown>];
}

/**
 * The workspace/executeCommand params for a server command: the command id and
 * ONE argument object. Throws on a missing or invalid stage for the commands
 * that need one.
 */
export function buildExecuteCommandParams(kind: ServerCommandKind, input: CommandInput = {}): ExecuteCommandParams {
  const arg: Record<string, unknown> = {};
  if (input.app !== undefined && input.app !== "") arg.app = input.app;
  if (kind !== "listStages") {
    const stage = (input.stage ?? "").trim();
    const problem = validateStage(stage);
    if (problem !== undefined) throw new Error(`Invalid stage ${JSON.stringify(stage)}: ${problem}`);
    arg.stage = stage;
  }
  if (kind === "deploy" && input.stacks !== undefined && input.stacks.length > 0) {
    arg.stacks = [...input.stacks];
  }
  return { command: SERVER_COMMANDS[kind], arguments: [arg] };
}

// ---------------------------------------------------------------------------
// Results

export type Outputs = Record<string, Record<string, string>>;

export interface DeployResult {
  status: string;
  message: string;
  outputs: Outputs;
}

export interface StatusResult {
  status: string;
  message: string;
}

export interface ListStagesResult {
  stages: string[];
  current: string;
}

export interface SynthStack {
  name: string;
  resources: number | undefined;
}

export interface SynthApp {
  app: string;
  outDir: string;
  stacks: SynthStack[];
  skipped: string[];
  durationMs: number | undefined;
}

export interface SynthResult {
  apps: SynthApp[];
}

export interface DiffResult {
  text: string;
  stacks: unknown[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const asStr = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

export function parseOutputs(v: unknown): Outputs {
  const out: Outputs = {};
  if (!isObj(v)) return out;
  for (const [stack, values] of Object.entries(v)) {
    if (!isObj(values)) continue;
    const entry: Record<string, string> = {};
    for (const [k, val] of Object.entries(values)) entry[k] = asStr(val);
    out[stack] = entry;
  }
  return out;
}

export function parseDeployResult(v: unknown): DeployResult {
  const o = isObj(v) ? v : {};
  return { status: asStr(o.status) || "unknown", message: asStr(o.message), outputs: parseOutputs(o.outputs) };
}

export function parseStatusResult(v: unknown): StatusResult {
  const o = isObj(v) ? v : {};
  return { status: asStr(o.status) || "unknown", message: asStr(o.message) };
}

export function parseListStages(v: unknown): ListStagesResult {
  const o = isObj(v) ? v : {};
  const stages = Array.isArray(o.stages) ? o.stages.filter((s): s is string => typeof s === "string") : [];
  return { stages, current: asStr(o.current) };
}

function countResources(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return v.length;
  if (isObj(v)) return Object.keys(v).length;
  return undefined;
}

export function parseSynthResult(v: unknown): SynthResult {
  const o = isObj(v) ? v : {};
  const apps = Array.isArray(o.apps) ? o.apps.filter(isObj) : [];
  return {
    apps: apps.map((a) => ({
      app: asStr(a.app),
      outDir: asStr(a.outDir),
      stacks: (Array.isArray(a.stacks) ? a.stacks.filter(isObj) : []).map((s) => ({
        name: asStr(s.name),
        resources: countResources(s.resources),
      })),
      skipped: Array.isArray(a.skipped) ? a.skipped.map((s) => (isObj(s) ? asStr(s.name ?? s.app ?? JSON.stringify(s)) : asStr(s))) : [],
      durationMs: typeof a.durationMs === "number" ? a.durationMs : undefined,
    })),
  };
}

export function parseDiffResult(v: unknown): DiffResult {
  const o = isObj(v) ? v : {};
  return { text: asStr(o.text), stacks: Array.isArray(o.stacks) ? o.stacks : [] };
}

// ---------------------------------------------------------------------------
// Messages

export type Severity = "info" | "warning" | "error";

export interface Summary {
  severity: Severity;
  /** One-line notification text. */
  message: string;
  /** Lines for the output channel. */
  details: string[];
}

export interface UrlOutput {
  stack: string;
  key: string;
  url: string;
}

/** An http(s) URL with a host, and nothing else around it. */
export function isHttpUrl(value: string): boolean {
  const v = value.trim();
  if (v.length === 0 || /\s/.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** Outputs whose values are http(s) URLs, in stack then key order. */
export function findUrlOutputs(outputs: Outputs): UrlOutput[] {
  const urls: UrlOutput[] = [];
  for (const stack of Object.keys(outputs)) {
    for (const [key, value] of Object.entries(outputs[stack])) {
      if (isHttpUrl(value)) urls.push({ stack, key, url: value.trim() });
    }
  }
  return urls;
}

/**
 * One line per output: `Key = value` when there is one stack, else
 * `Stack.Key = value`.
 */
export function formatOutputs(outputs: Outputs): string[] {
  const stacks = Object.keys(outputs).filter((s) => Object.keys(outputs[s]).length > 0);
  const prefix = stacks.length > 1;
  const lines: string[] = [];
  for (const stack of stacks) {
    for (const [key, value] of Object.entries(outputs[stack])) {
      lines.push(`${prefix ? `${stack}.` : ""}${key} = ${value}`);
    }
  }
  return lines;
}

/** Outputs inline in a notification: at most `limit`, then "and N more". */
export function inlineOutputs(outputs: Outputs, limit = 5): string {
  const lines = formatOutputs(outputs);
  if (lines.length === 0) return "";
  const shown = lines.slice(0, limit).join("; ");
  const more = lines.length - limit;
  return more > 0 ? `${shown}; and ${more} more (see Output)` : shown;
}

export function statusSeverity(status: string): Severity {
  switch (status) {
    case "failed":
    case "unknown":
      return "error";
    case "refused":
      return "warning";
    default:
      return "info";
  }
}

function withMessage(head: string, message: string): string {
  const m = message.trim();
  return m.length > 0 ? `${head}: ${m}` : `${head}.`;
}

/** The notification for a deploy result (outputs listed at the end). */
export function summarizeDeploy(result: DeployResult, stage: string): Summary {
  const details = [`deploy ${stage}: ${result.status}${result.message ? ` - ${result.message}` : ""}`];
  const outputLines = formatOutputs(result.outputs);
  if (outputLines.length > 0) details.push("Outputs:", ...outputLines.map((l) => `  ${l}`));
  const severity = statusSeverity(result.status);
  let message: string;
  switch (result.status) {
    case "deployed": {
      const inline = inlineOutputs(result.outputs);
      message = `Deployed stage "${stage}".` + (inline ? ` Outputs: ${inline}` : "");
      break;
    }
    case "no-changes": {
      const inline = inlineOutputs(result.outputs);
      message = `Stage "${stage}" has no changes to deploy.` + (inline ? ` Outputs: ${inline}` : "");
      break;
    }
    case "refused":
      message = withMessage(`Deploy of stage "${stage}" was refused`, result.message);
      break;
    case "cancelled":
      message = withMessage(`Deploy of stage "${stage}" was cancelled`, result.message);
      break;
    case "failed":
      message = withMessage(`Deploy of stage "${stage}" failed`, result.message);
      break;
    default:
      message = withMessage(`Deploy of stage "${stage}" ended with status "${result.status}"`, result.message);
  }
  return { severity, message, details };
}

/** The notification for a remove result. */
export function summarizeRemove(result: StatusResult, stage: string): Summary {
  const details = [`remove ${stage}: ${result.status}${result.message ? ` - ${result.message}` : ""}`];
  const severity = statusSeverity(result.status);
  let message: string;
  switch (result.status) {
    case "removed":
      message = withMessage(`Removed stage "${stage}"`, result.message);
      break;
    case "failed":
      message = withMessage(`Removing stage "${stage}" failed`, result.message);
      break;
    case "refused":
    case "cancelled":
      message = withMessage(`Removing stage "${stage}" was ${result.status}`, result.message);
      break;
    default:
      message = withMessage(`Remove stage "${stage}": ${result.status}`, result.message);
  }
  return { severity, message, details };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The notification for a synth result. */
export function summarizeSynth(result: SynthResult, stage: string): Summary {
  const stacks = result.apps.reduce((n, a) => n + a.stacks.length, 0);
  const skipped = result.apps.reduce((n, a) => n + a.skipped.length, 0);
  const ms = result.apps.reduce((n, a) => n + (a.durationMs ?? 0), 0);
  const details: string[] = [];
  for (const a of result.apps) {
    details.push(`synth ${stage}: ${a.app || "(app)"} -> ${a.outDir || "(no output dir)"}` + (a.durationMs !== undefined ? ` in ${a.durationMs} ms` : ""));
    for (const s of a.stacks) details.push(`  ${s.name}` + (s.resources !== undefined ? ` (${plural(s.resources, "resource")})` : ""));
    for (const s of a.skipped) details.push(`  skipped: ${s}`);
  }
  const apps = result.apps.length > 1 ? `${plural(result.apps.length, "app")}, ` : "";
  const time = ms > 0 ? ` in ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`}` : "";
  const skip = skipped > 0 ? ` ${skipped} skipped (see Output).` : "";
  const severity: Severity = stacks === 0 && skipped > 0 ? "warning" : "info";
  return { severity, message: `Synthesized stage "${stage}": ${apps}${plural(stacks, "stack")}${time}.${skip}`, details };
}

/** Text for the diff document, or undefined when there is no difference. */
export function diffDocumentText(result: DiffResult): string | undefined {
  return result.text.trim().length > 0 ? result.text : undefined;
}

/**
 * A readable message for a failed request: a ResponseError (code, message,
 * data) or any thrown value.
 */
export function describeError(err: unknown): string {
  if (isObj(err) || err instanceof Error) {
    const e = err as { message?: unknown; code?: unknown; data?: unknown };
    let msg = asStr(e.message).trim() || "unknown error";
    const data = e.data;
    if (typeof data === "string" && data.trim() && !msg.includes(data.trim())) msg += ` (${data.trim()})`;
    else if (isObj(data) && typeof data.message === "string" && !msg.includes(data.message)) msg += ` (${data.message})`;
    return msg;
  }
  return asStr(err) || "unknown error";
}

/** True for the LSP "request cancelled" error (code -32800). */
export function isCancellation(err: unknown): boolean {
  return isObj(err) && (err as { code?: unknown }).code === -32800;
}
