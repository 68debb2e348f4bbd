/**
 * The `sst` configuration section as a typed object, and the server's
 * initializationOptions built from it.
 *
 * Pure module: no `vscode` import. A `vscode.WorkspaceConfiguration` satisfies
 * `ConfigReader` (only `get(key)` is used).
 */

export interface ConfigReader {
  get(key: string): unknown;
}

export type SynthMode = "embedded" | "project";
export type Severity = "error" | "warning" | "information" | "hint" | "off";
export type TraceLevel = "off" | "messages" | "verbose";

export const SEVERITIES: readonly Severity[] = ["error", "warning", "information", "hint", "off"];
export const SYNTH_MODES: readonly SynthMode[] = ["embedded", "project"];
export const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];

/** The part of the `sst` section the server consumes (server contract). */
export interface SstSettings {
  stage: string;
  baseline: string;
  synth: { mode: SynthMode };
  aws: { profile: string; region: string; endpointUrl: string };
  protectedStages: string[];
  diagnostics: { severity: Record<string, Severity>; debounceMs: number };
  exclude: string[];
  inlayHints: { physicalNames: boolean; handlerFiles: boolean };
}

/** `sst.*` settings only the extension reads (how to launch and trace the server). */
export const CLIENT_ONLY_SETTINGS: readonly string[] = ["server.path", "server.python", "trace.server"];

export const DEFAULTS: Readonly<SstSettings> = Object.freeze({
  stage: "",
  baseline: "git:HEAD",
  synth: { mode: "embedded" as SynthMode },
  aws: { profile: "", region: "", endpointUrl: "" },
  protectedStages: ["prod", "production"],
  diagnostics: { severity: {}, debounceMs: 150 },
  exclude: [],
  inlayHints: { physicalNames: true, handlerFiles: true },
});

function str(v: unknown, dflt: string): string {
  return typeof v === "string" ? v.trim() : dflt;
}

function strArray(v: unknown, dflt: readonly string[]): string[] {
  if (!Array.isArray(v)) return [...dflt];
  return v.filter((x): x is string => typeof x === "string").map((x) => x.trim()).filter((x) => x.length > 0);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], dflt: T): T {
  return typeof v === "string" && (allowed as readonly string[]).includes(v) ? (v as T) : dflt;
}

/** Other spellings the server also accepts for a severity. */
export const SEVERITY_ALIASES: Readonly<Record<string, Severity>> = { warn: "warning", info: "information", none: "off", disabled: "off" };

function severityMap(v: unknown): Record<string, Severity> {
  const out: Record<string, Severity> = {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [code, sev] of Object.entries(v as Record<string, unknown>)) {
    if (typeof sev !== "string") continue;
    const s = sev.trim().toLowerCase();
    const canonical = (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : SEVERITY_ALIASES[s];
    if (canonical !== undefined) out[code] = canonical;
  }
  return out;
}

function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === "boolean" ? v : dflt;
}

function nonNegativeInt(v: unknown, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : dflt;
}

/**
 * Reads the `sst` section into the typed shape; missing or ill-typed values get
 * the defaults (the same defaults package.json declares).
 */
export function readSstSettings(config: ConfigReader): SstSettings {
  return {
    stage: str(config.get("stage"), DEFAULTS.stage),
    baseline: str(config.get("baseline"), DEFAULTS.baseline) || DEFAULTS.baseline,
    synth: { mode: oneOf(config.get("synth.mode"), SYNTH_MODES, DEFAULTS.synth.mode) },
    aws: {
      profile: str(config.get("aws.profile"), ""),
      region: str(config.get("aws.region"), ""),
      endpointUrl: str(config.get("aws.endpointUrl"), ""),
    },
    protectedStages: strArray(config.get("protectedStages"), DEFAULTS.protectedStages),
    diagnostics: {
      severity: severityMap(config.get("diagnostics.severity")),
      debounceMs: nonNegativeInt(config.get("diagnostics.debounceMs"), DEFAULTS.diagnostics.debounceMs),
    },
    exclude: strArray(config.get("exclude"), DEFAULTS.exclude),
    inlayHints: {
      physicalNames: bool(config.get("inlayHints.physicalNames"), DEFAULTS.inlayHints.physicalNames),
      handlerFiles: bool(config.get("inlayHints.handlerFiles"), DEFAULTS.inlayHints.handlerFiles),
    },
  };
}

export function readTraceLevel(config: ConfigReader): TraceLevel {
  return oneOf(config.get("trace.server"), TRACE_LEVELS, "off");
}

export interface FolderConfig {
  /** The folder's URI as a string (`file:///...`). */
  uri: string;
  config: ConfigReader;
}

export interface FolderSettings extends SstSettings {
  workspaceFolder: string;
}

export interface InitializationOptions {
  settings: FolderSettings[];
  globalSettings: SstSettings;
}

/**
 * initializationOptions per the server contract:
 * `{settings: [{workspaceFolder, ...sst}], globalSettings: {...sst}}`.
 */
export function buildInitializationOptions(folders: readonly FolderConfig[], global: ConfigReader): InitializationOptions {
  return {
    settings: folders.map((f) => ({ workspaceFolder: f.uri, ...readSstSettings(f.config) })),
    globalSettings: readSstSettings(global),
  };
}

/** One item of a workspace/configuration request (`scopeUri` as a string). */
export interface ConfigurationRequestItem {
  section?: string;
  scopeUri?: string;
}

/**
 * The answer to the server's workspace/configuration request: for section `sst`, the same
 * shape initializationOptions carry (every setting the server reads); `next`'s answer for
 * any other item.
 */
export function answerConfiguration(
  items: readonly ConfigurationRequestItem[],
  section: string,
  configFor: (scopeUri: string | undefined) => ConfigReader,
  fallback: readonly unknown[],
): unknown[] {
  return items.map((item, i) => (item.section === section ? readSstSettings(configFor(item.scopeUri)) : fallback[i] ?? null));
}

/** A ConfigReader over a plain nested object (tests, and for dotted keys). */
export function objectReader(obj: Record<string, unknown>): ConfigReader {
  return {
    get(key: string): unknown {
      if (key in obj) return obj[key];
      let cur: unknown = obj;
      for (const part of key.split(".")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[part];
      }
      return cur;
    },
  };
}
