/**
 * Stage names: validation, resolution of the current stage, and the QuickPick
 * list of known stages. Pure module: no `vscode` import.
 */

export const DEFAULT_STAGE = "dev";
/** A UX limit only; the server re-validates. */
export const MAX_STAGE_LENGTH = 64;
const STAGE_RE = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * Returns undefined for a valid stage name, else the message to show.
 * Rule: letters, digits and hyphens, starting with a letter, at most 64 characters.
 */
export function validateStage(value: string): string | undefined {
  if (value.length === 0) return "Enter a stage name.";
  if (value.length > MAX_STAGE_LENGTH) return `A stage name has at most ${MAX_STAGE_LENGTH} characters (this one has ${value.length}).`;
  if (!/^[A-Za-z]/.test(value)) return "A stage name starts with a letter.";
  if (!STAGE_RE.test(value)) {
    const bad = [...value].find((c) => !/[A-Za-z0-9-]/.test(c)) ?? "";
    return `A stage name has only letters, digits and hyphens (not ${JSON.stringify(bad)}).`;
  }
  return undefined;
}

export function isValidStage(value: string): boolean {
  return validateStage(value) === undefined;
}

/** The stage written in `.sst/stage` (first non-empty line, trimmed), if valid. */
export function parseStageFile(content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  const first = content.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0);
  return first !== undefined && isValidStage(first) ? first : undefined;
}

export type StageSource = "setting" | ".sst/stage" | "default";

/** Current stage: the `sst.stage` setting, else `.sst/stage`, else "dev". */
export function resolveStage(setting: string | undefined, fileStage: string | undefined): { stage: string; source: StageSource } {
  const s = (setting ?? "").trim();
  if (s.length > 0) return { stage: s, source: "setting" };
  if (fileStage !== undefined && fileStage.length > 0) return { stage: fileStage, source: ".sst/stage" };
  return { stage: DEFAULT_STAGE, source: "default" };
}

export interface StageSources {
  /** The stage in effect now (shown first). */
  current: string;
  /** Stages the server reports as deployed (`sst.listStages`). */
  deployed?: readonly string[];
  /** The stage in `.sst/stage`. */
  fileStage?: string;
  /** The `sst.stage` setting. */
  settingStage?: string;
  /** `sst.protectedStages`, to mark them. */
  protectedStages?: readonly string[];
}

export interface StageItem {
  stage: string;
  /** Short tags: "current", "deployed", ".sst/stage", "setting", "protected". */
  tags: string[];
  /** The tags joined for the QuickPick description. */
  description: string;
}

/**
 * Known stages, deduplicated, the current one first; then the setting,
 * `.sst/stage`, then deployed stages in the server's order. Invalid names are
 * dropped. Each item is tagged with where it came from.
 */
export function buildStageItems(src: StageSources): StageItem[] {
  const order: string[] = [];
  const tags = new Map<string, Set<string>>();
  const add = (stage: string | undefined, tag: string) => {
    if (stage === undefined) return;
    const s = stage.trim();
    if (!isValidStage(s)) return;
    if (!tags.has(s)) {
      tags.set(s, new Set());
      order.push(s);
    }
    tags.get(s)!.add(tag);
  };
  add(src.current, "current");
  add(src.settingStage, "setting");
  add(src.fileStage, ".sst/stage");
  for (const d of src.deployed ?? []) add(d, "deployed");
  const protectedSet = new Set(src.protectedStages ?? []);
  const tagOrder = ["current", "deployed", "setting", ".sst/stage", "protected"];
  return order.map((stage) => {
    const t = tags.get(stage)!;
    if (protectedSet.has(stage)) t.add("protected");
    const sorted = tagOrder.filter((x) => t.has(x));
    return { stage, tags: sorted, description: sorted.join(" · ") };
  });
}

export type TypedEntry =
  | { kind: "none" }
  | { kind: "known"; stage: string }
  | { kind: "new"; stage: string }
  | { kind: "invalid"; value: string; message: string };

/** What the text typed into the stage QuickPick means, given the known items. */
export function classifyTypedStage(value: string, items: readonly StageItem[]): TypedEntry {
  const v = value.trim();
  if (v.length === 0) return { kind: "none" };
  if (items.some((i) => i.stage === v)) return { kind: "known", stage: v };
  const message = validateStage(v);
  if (message !== undefined) return { kind: "invalid", value: v, message };
  return { kind: "new", stage: v };
}
