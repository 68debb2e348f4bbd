/**
 * Finding SST apps in the workspace: an app root is a folder holding
 * `sst.json` (SST v1) or `sst.config.{ts,js,mjs}` (SST v2+).
 * Pure module: no `vscode` import.
 */
import * as path from "node:path";

export const APP_MARKERS = ["sst.json", "sst.config.ts", "sst.config.js", "sst.config.mjs"] as const;
/** Glob for vscode.workspace.findFiles. */
export const APP_GLOB = "**/{sst.json,sst.config.ts,sst.config.js,sst.config.mjs}";
/** Folders never searched for apps. */
export const EXCLUDED_DIRS = ["node_modules", ".sst", ".build"] as const;
export const EXCLUDE_GLOB = "**/{node_modules,.sst,.build}/**";

function segments(p: string): string[] {
  return p.split(/[\\/]+/);
}

/** App roots (sorted, unique) from paths of marker files; excluded folders dropped. */
export function appRootsFromConfigFiles(files: readonly string[]): string[] {
  const roots = new Set<string>();
  for (const f of files) {
    const segs = segments(f);
    const base = segs[segs.length - 1];
    if (!(APP_MARKERS as readonly string[]).includes(base)) continue;
    if (segs.slice(0, -1).some((s) => (EXCLUDED_DIRS as readonly string[]).includes(s))) continue;
    roots.add(f.slice(0, f.length - base.length).replace(/[\\/]+$/, "") || path.sep);
  }
  return [...roots].sort();
}

function isInside(file: string, root: string): boolean {
  if (file === root) return true;
  const r = root.endsWith("/") || root.endsWith("\\") ? root : root + path.sep;
  return file.startsWith(r) || file.startsWith(root + "/");
}

/** The innermost app root containing `file`, if any. */
export function appForFile(roots: readonly string[], file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let best: string | undefined;
  for (const r of roots) {
    if (isInside(file, r) && (best === undefined || r.length > best.length)) best = r;
  }
  return best;
}

export interface FolderInfo {
  name: string;
  path: string;
}

/** A short label for an app root: "folder" or "folder/sub/dir". */
export function appLabel(root: string, folders: readonly FolderInfo[]): string {
  const folder = [...folders].sort((a, b) => b.path.length - a.path.length).find((f) => isInside(root, f.path));
  if (folder === undefined) return root;
  const rel = path.relative(folder.path, root).split(path.sep).join("/");
  return rel === "" ? folder.name : `${folder.name}/${rel}`;
}

/** App roots ordered for a QuickPick: the active editor's app first. */
export function orderApps(roots: readonly string[], activeFile: string | undefined): string[] {
  const active = appForFile(roots, activeFile);
  return active === undefined ? [...roots] : [active, ...roots.filter((r) => r !== active)];
}
