/**
 * The server's references code lenses, made clickable in VS Code (no `vscode` import).
 *
 * sst-lsp's lenses carry the command `sst.showReferences` with the arguments
 * `[uri, position, locations]` in LSP JSON shapes. The server also lists that id in its
 * executeCommandProvider (other editors get the locations back), so a click in VS Code
 * would only run the server command and show nothing. The language client middleware
 * (extension.ts) rewrites such lenses into VS Code's own `editor.action.showReferences`
 * with the arguments converted to VS Code objects, as rust-analyzer's client does. This
 * module decides which lenses to rewrite and maps the argument shapes; the conversion to
 * `vscode.Uri` / `vscode.Position` / `vscode.Location` is injected so it can be tested
 * without VS Code.
 */

/** The command id the server puts on its references lenses (and registers as a server command). */
export const SERVER_SHOW_REFERENCES = "sst.showReferences";
/** VS Code's built-in "peek references" command: `(uri: Uri, position: Position, locations: Location[])`. */
export const EDITOR_SHOW_REFERENCES = "editor.action.showReferences";

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface LspLocation {
  uri: string;
  range: LspRange;
}

/** The arguments of `sst.showReferences`, checked. */
export interface ShowReferencesArgs {
  uri: string;
  position: LspPosition;
  locations: LspLocation[];
}

/** The shape of a `vscode.Command` (and of an LSP Command once the client converted it). */
export interface CommandLike {
  title: string;
  command: string;
  tooltip?: string;
  arguments?: unknown[];
}

/** Turns LSP shapes into the editor's objects (in extension.ts: the client's protocol2CodeConverter). */
export interface ReferenceConverters {
  uri(value: string): unknown;
  position(value: LspPosition): unknown;
  location(value: LspLocation): unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function asPosition(v: unknown): LspPosition | undefined {
  if (!isRecord(v) || !isIndex(v.line) || !isIndex(v.character)) return undefined;
  return { line: v.line, character: v.character };
}

function asUri(v: unknown): string | undefined {
  // An LSP DocumentUri always has a scheme ("file:", "untitled:", ...).
  return typeof v === "string" && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(v) ? v : undefined;
}

function asLocation(v: unknown): LspLocation | undefined {
  if (!isRecord(v) || !isRecord(v.range)) return undefined;
  const uri = asUri(v.uri);
  const start = asPosition(v.range.start);
  const end = asPosition(v.range.end);
  if (uri === undefined || start === undefined || end === undefined) return undefined;
  return { uri, range: { start, end } };
}

/**
 * The checked arguments of an `sst.showReferences` command, or undefined when they do not
 * have the server's shape `[uri, {line, character}, [{uri, range}, ...]]` (then the lens is
 * left alone rather than turned into a command that fails when clicked).
 */
export function parseShowReferencesArgs(args: unknown): ShowReferencesArgs | undefined {
  if (!Array.isArray(args) || args.length !== 3) return undefined;
  const uri = asUri(args[0]);
  const position = asPosition(args[1]);
  if (uri === undefined || position === undefined || !Array.isArray(args[2])) return undefined;
  const locations: LspLocation[] = [];
  for (const raw of args[2]) {
    const loc = asLocation(raw);
    if (loc === undefined) return undefined;
    locations.push(loc);
  }
  return { uri, position, locations };
}

/**
 * The command a lens should carry in VS Code: `sst.showReferences` with well-formed
 * arguments becomes `editor.action.showReferences` with converted arguments (title and
 * tooltip kept); anything else (other commands, label lenses, malformed arguments, a
 * converter that throws) is returned unchanged, the very same object.
 */
export function rewriteLensCommand<C extends CommandLike | undefined>(cmd: C, convert: ReferenceConverters): C | CommandLike {
  if (cmd === undefined || cmd.command !== SERVER_SHOW_REFERENCES) return cmd;
  const args = parseShowReferencesArgs(cmd.arguments);
  if (args === undefined) return cmd;
  let converted: unknown[];
  try {
    converted = [convert.uri(args.uri), convert.position(args.position), args.locations.map((l) => convert.location(l))];
  } catch {
    return cmd;
  }
  const out: CommandLike = { title: cmd.title, command: EDITOR_SHOW_REFERENCES, arguments: converted };
  if (cmd.tooltip !== undefined) out.tooltip = cmd.tooltip;
  return out;
}

/**
 * Rewrites the commands of `lenses` in place (see rewriteLensCommand) and returns them, so
 * the lens objects the client made (with their resolve data) stay the ones VS Code gets.
 */
export function rewriteLenses<L extends { command?: CommandLike }>(
  lenses: L[] | null | undefined,
  convert: ReferenceConverters,
): L[] | null | undefined {
  for (const lens of lenses ?? []) rewriteLens(lens, convert);
  return lenses;
}

/** Rewrites one lens's command in place (see rewriteLensCommand) and returns the lens. */
export function rewriteLens<L extends { command?: CommandLike }>(lens: L, convert: ReferenceConverters): L {
  if (lens === null || typeof lens !== "object") return lens;
  const next = rewriteLensCommand(lens.command, convert);
  if (next !== lens.command) lens.command = next;
  return lens;
}
