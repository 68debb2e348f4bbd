/**
 * VS Code wiring: language client lifecycle, palette commands, status bar.
 * The logic lives in the vscode-free modules next to this file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";

import { APP_GLOB, EXCLUDE_GLOB, appForFile, appLabel, appRootsFromConfigFiles, orderApps } from "./apps";
import { Coalescer } from "./coalesce";
import {
  CLIENT_COMMANDS,
  type CommandInput,
  type ServerCommandKind,
  type Summary,
  type UrlOutput,
  buildExecuteCommandParams,
  describeError,
  diffDocumentText,
  findUrlOutputs,
  isCancellation,
  parseDeployResult,
  parseDiffResult,
  parseListStages,
  parseStatusResult,
  parseSynthResult,
  summarizeDeploy,
  summarizeRemove,
  summarizeSynth,
} from "./commands";
import { rewriteLens, rewriteLenses, type ReferenceConverters } from "./lenses";
import { type LaunchOk, OPEN_SETTINGS, describeLaunch, readServerSettings, resolveLaunch, startFailureMessage } from "./launch";
import { answerConfiguration, buildInitializationOptions, readSstSettings, readTraceLevel } from "./settings";
import { type StageItem, buildStageItems, classifyTypedStage, parseStageFile, resolveStage } from "./stage";
import { TraceChannel } from "./trace";

const SECTION = "sst";
const SHOW_OUTPUT = "Show Output";
const RESTART = "Restart Server";
const COPY_URL = "Copy URL";

/** Languages the server handles (server contract); json only for sst.json. */
const LANGUAGES = ["typescript", "typescriptreact", "javascript", "javascriptreact", "python", "go", "csharp", "java"];

/** Where a command runs: the app root (for .sst/stage and settings) and the `app` argument. */
interface AppChoice {
  /** App root path, when one is known. */
  root?: string;
  /** Passed to the server only when the workspace has several apps. */
  arg?: string;
}

/**
 * A LanguageClient whose forced "couldn't create connection" notification is
 * suppressed while starting: the extension shows its own message with the fix.
 */
class SstLanguageClient extends LanguageClient {
  suppressStartNotification = false;

  override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
    if (this.suppressStartNotification && message.includes("couldn't create connection")) {
      showNotification = false;
    }
    super.error(message, data, showNotification);
  }
}

class SstExtension implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly traceChannel: TraceChannel;
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly restarter = new Coalescer(() => this.doRestart());
  private client: SstLanguageClient | undefined;
  private apps: string[] = [];
  private disposed = false;

  constructor() {
    this.channel = vscode.window.createOutputChannel("SST", { log: true });
    this.traceChannel = new TraceChannel(this.channel, readTraceLevel(vscode.workspace.getConfiguration(SECTION)));
    this.status = vscode.window.createStatusBarItem("sst.stage", vscode.StatusBarAlignment.Left, 50);
    this.status.name = "SST Stage";
    this.status.command = CLIENT_COMMANDS.selectStage;
    this.disposables.push(this.channel, this.status, { dispose: () => this.traceChannel.dispose() });
  }

  async activate(): Promise<void> {
    const register = (id: string, fn: () => Promise<unknown>) =>
      this.disposables.push(
        vscode.commands.registerCommand(id, () =>
          fn().catch((err: unknown) => this.showError(`SST: ${describeError(err)}`, err)),
        ),
      );
    register(CLIENT_COMMANDS.synth, () => this.synth());
    register(CLIENT_COMMANDS.diff, () => this.diff());
    register(CLIENT_COMMANDS.deploy, () => this.deploy());
    register(CLIENT_COMMANDS.remove, () => this.remove());
    register(CLIENT_COMMANDS.selectStage, () => this.selectStage());
    register(CLIENT_COMMANDS.restart, () => this.restarter.run());
    register(CLIENT_COMMANDS.showOutput, async () => this.channel.show(true));

    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("sst.trace.server")) {
          this.traceChannel.setTraceSetting(readTraceLevel(vscode.workspace.getConfiguration(SECTION)));
        }
        if (e.affectsConfiguration("sst.server") && (this.client !== undefined || this.apps.length > 0)) {
          this.channel.info("sst.server.* changed: restarting the server.");
          void this.restarter.run();
        }
        if (e.affectsConfiguration(SECTION)) this.updateStatus();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.onAppsMaybeChanged()),
    );

    const stageWatcher = vscode.workspace.createFileSystemWatcher("**/.sst/stage");
    const appWatcher = vscode.workspace.createFileSystemWatcher(APP_GLOB, false, true, false);
    stageWatcher.onDidChange(() => this.updateStatus());
    stageWatcher.onDidCreate(() => this.updateStatus());
    stageWatcher.onDidDelete(() => this.updateStatus());
    appWatcher.onDidCreate(() => void this.onAppsMaybeChanged());
    appWatcher.onDidDelete(() => void this.onAppsMaybeChanged());
    this.disposables.push(stageWatcher, appWatcher);

    await this.refreshApps();
    this.updateStatus();
    if (this.apps.length > 0) {
      // Not awaited: activation does not wait for the server (or an error message).
      void this.restarter.run();
    } else {
      this.channel.info(
        "No SST app (sst.json / sst.config.*) in this workspace: the server starts when one appears, or with SST: Restart Server.",
      );
    }
  }

  // -------------------------------------------------------------------------
  // Apps

  private async refreshApps(): Promise<void> {
    if (vscode.workspace.workspaceFolders === undefined) {
      this.apps = [];
      return;
    }
    const files = await vscode.workspace.findFiles(APP_GLOB, EXCLUDE_GLOB, 200);
    this.apps = appRootsFromConfigFiles(files.filter((u) => u.scheme === "file").map((u) => u.fsPath));
  }

  private async onAppsMaybeChanged(): Promise<void> {
    const before = this.apps.length;
    await this.refreshApps();
    this.updateStatus();
    if (before === 0 && this.apps.length > 0 && this.client === undefined) {
      this.channel.info("An SST app appeared: starting the server.");
      await this.restarter.run();
    }
  }

  private folders(): { name: string; path: string }[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => ({ name: f.name, path: f.uri.fsPath }));
  }

  private activeFile(): string | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc?.uri.scheme === "file" ? doc.uri.fsPath : undefined;
  }

  /**
   * The app a command applies to. One app (or none): no question. Several:
   * a QuickPick, the active editor's app first; with `preferActive`, the active
   * editor's app is taken without asking. undefined = cancelled.
   */
  private async pickApp(title: string, preferActive = false): Promise<AppChoice | undefined> {
    if (this.apps.length === 0) await this.refreshApps();
    if (this.apps.length <= 1) return { root: this.apps[0] };
    const active = appForFile(this.apps, this.activeFile());
    if (preferActive && active !== undefined) return { root: active, arg: active };
    const folders = this.folders();
    const items = orderApps(this.apps, this.activeFile()).map((root) => ({
      label: appLabel(root, folders),
      description: root === active ? "active editor" : undefined,
      detail: root,
      root,
    }));
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: "Which SST app?", matchOnDetail: true });
    return picked === undefined ? undefined : { root: picked.root, arg: picked.root };
  }

  // -------------------------------------------------------------------------
  // Stages

  private config(root: string | undefined): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION, root !== undefined ? vscode.Uri.file(root) : undefined);
  }

  private readStageFile(root: string | undefined): string | undefined {
    if (root === undefined) return undefined;
    try {
      return parseStageFile(fs.readFileSync(path.join(root, ".sst", "stage"), "utf8"));
    } catch {
      return undefined;
    }
  }

  private currentStage(root: string | undefined) {
    const setting = this.config(root).get<string>("stage");
    return resolveStage(setting, this.readStageFile(root));
  }

  private statusApp(): string | undefined {
    return appForFile(this.apps, this.activeFile()) ?? this.apps[0];
  }

  private updateStatus(): void {
    if (this.disposed) return;
    if (this.apps.length === 0 && this.client === undefined) {
      this.status.hide();
      return;
    }
    const root = this.statusApp();
    const { stage, source } = this.currentStage(root);
    this.status.text = `$(cloud) SST: ${stage}`;
    const from = source === "setting" ? "the sst.stage setting" : source === ".sst/stage" ? ".sst/stage" : "the default";
    const app = this.apps.length > 1 && root !== undefined ? `App ${appLabel(root, this.folders())}. ` : "";
    const state =
      this.client === undefined ? "not running" : this.client.state === State.Running ? "running" : this.client.state === State.Starting ? "starting" : "stopped";
    this.status.tooltip = `SST stage "${stage}" (from ${from}). ${app}Server ${state}.\nClick to select a stage.`;
    this.status.show();
  }

  private async listStages(app: AppChoice): Promise<{ stages: string[]; current: string }> {
    if (this.client === undefined || !this.client.isRunning()) return { stages: [], current: "" };
    try {
      const params = buildExecuteCommandParams("listStages", { app: app.arg });
      return parseListStages(await this.client.sendRequest(ExecuteCommandRequest.type, params));
    } catch (err) {
      this.channel.warn(`sst.listStages failed: ${describeError(err)}`);
      return { stages: [], current: "" };
    }
  }

  /**
   * A QuickPick of known stages (current first; deployed ones are added when
   * the server answers), or a typed, validated name. undefined = cancelled.
   */
  private pickStage(app: AppChoice, title: string): Promise<string | undefined> {
    const cfg = this.config(app.root);
    const current = this.currentStage(app.root).stage;
    const base = {
      current,
      settingStage: cfg.get<string>("stage"),
      fileStage: this.readStageFile(app.root),
      protectedStages: readSstSettings(cfg).protectedStages,
    };
    type Item = vscode.QuickPickItem & { stage?: string };
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = title;
    qp.placeholder = "Pick a stage, or type a new name (letters, digits, hyphens; starts with a letter)";
    qp.matchOnDescription = true;
    let known: StageItem[] = buildStageItems(base);
    const render = () => {
      const typed = classifyTypedStage(qp.value, known);
      const items: Item[] = known.map((s) => ({ label: s.stage, description: s.description, stage: s.stage }));
      if (typed.kind === "new") {
        items.unshift({ label: typed.stage, description: "new stage", stage: typed.stage, alwaysShow: true });
      } else if (typed.kind === "invalid") {
        items.unshift({ label: `$(error) ${typed.value}`, description: typed.message, alwaysShow: true });
      }
      qp.items = items;
    };
    render();
    qp.busy = this.client?.isRunning() === true;
    return new Promise<string | undefined>((resolve) => {
      let done = false;
      const finish = (v: string | undefined) => {
        if (done) return;
        done = true;
        resolve(v);
        qp.dispose();
      };
      qp.onDidChangeValue(render);
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (item?.stage !== undefined) finish(item.stage);
      });
      qp.onDidHide(() => finish(undefined));
      qp.show();
      void this.listStages(app).then((res) => {
        if (done) return;
        known = buildStageItems({ ...base, deployed: res.stages });
        qp.busy = false;
        render();
      });
    });
  }

  // -------------------------------------------------------------------------
  // Commands

  private async synth(): Promise<void> {
    const app = await this.pickApp("SST: Synth", true);
    if (app === undefined) return;
    const stage = this.currentStage(app.root).stage;
    const raw = await this.runServerCommand("synth", { app: app.arg, stage });
    if (raw === undefined) return;
    void this.showSummary(summarizeSynth(parseSynthResult(raw), stage));
  }

  private async diff(): Promise<void> {
    const app = await this.pickApp("SST: Diff Stage");
    if (app === undefined) return;
    const stage = await this.pickStage(app, "SST: Diff Stage");
    if (stage === undefined) return;
    const raw = await this.runServerCommand("diff", { app: app.arg, stage });
    if (raw === undefined) return;
    const text = diffDocumentText(parseDiffResult(raw));
    if (text === undefined) {
      this.channel.info(`diff ${stage}: no differences`);
      void vscode.window.showInformationMessage(`Stage "${stage}" has no differences.`);
      return;
    }
    this.channel.info(`diff ${stage}:\n${text}`);
    const doc = await vscode.workspace.openTextDocument({ content: text, language: "plaintext" });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private async deploy(): Promise<void> {
    const app = await this.pickApp("SST: Deploy Stage");
    if (app === undefined) return;
    const stage = await this.pickStage(app, "SST: Deploy Stage");
    if (stage === undefined) return;
    const raw = await this.runServerCommand("deploy", { app: app.arg, stage });
    if (raw === undefined) return;
    const result = parseDeployResult(raw);
    const summary = summarizeDeploy(result, stage);
    const urls = result.status === "deployed" || result.status === "no-changes" ? findUrlOutputs(result.outputs) : [];
    void this.showSummary(summary, urls);
  }

  private async remove(): Promise<void> {
    const app = await this.pickApp("SST: Remove Stage");
    if (app === undefined) return;
    const stage = await this.pickStage(app, "SST: Remove Stage");
    if (stage === undefined) return;
    const raw = await this.runServerCommand("remove", { app: app.arg, stage });
    if (raw === undefined) return;
    void this.showSummary(summarizeRemove(parseStatusResult(raw), stage));
  }

  private async selectStage(): Promise<void> {
    const app = await this.pickApp("SST: Select Stage", true);
    if (app === undefined) return;
    const stage = await this.pickStage(app, "SST: Select Stage");
    if (stage === undefined) return;
    const uri = app.root !== undefined ? vscode.Uri.file(app.root) : undefined;
    const cfg = vscode.workspace.getConfiguration(SECTION, uri);
    const hasWorkspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
    await cfg.update("stage", stage, hasWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    // In a multi-root workspace a folder-level value would still win: update it too.
    const folder = uri !== undefined ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
    const inspected = cfg.inspect<string>("stage");
    if (vscode.workspace.workspaceFile !== undefined && folder !== undefined && inspected?.workspaceFolderValue !== undefined) {
      await cfg.update("stage", stage, vscode.ConfigurationTarget.WorkspaceFolder);
    }
    this.channel.info(`Stage set to "${stage}" (sst.stage).`);
    this.updateStatus();
  }

  /** Sends a server command; shows one error (with Show Output) on failure. */
  private async runServerCommand(kind: ServerCommandKind, input: CommandInput): Promise<unknown> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      const choice = await vscode.window.showErrorMessage("The SST language server is not running.", RESTART, SHOW_OUTPUT);
      if (choice === RESTART) await this.restarter.run();
      if (choice === SHOW_OUTPUT) this.channel.show(true);
      return undefined;
    }
    const params = buildExecuteCommandParams(kind, input);
    this.channel.info(`${params.command} ${JSON.stringify(params.arguments[0])}`);
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, params);
    } catch (err) {
      if (isCancellation(err) || err instanceof vscode.CancellationError) {
        this.channel.info(`${params.command} cancelled.`);
        return undefined;
      }
      this.showError(`SST ${kind} failed: ${describeError(err)}`, err);
      return undefined;
    }
  }

  private showError(message: string, err?: unknown): void {
    this.channel.error(message);
    if (err instanceof Error && err.stack) this.channel.debug(err.stack);
    const data = (err as { data?: unknown } | undefined)?.data;
    if (data !== undefined) this.channel.error(typeof data === "string" ? data : JSON.stringify(data, null, 2));
    void vscode.window.showErrorMessage(message, SHOW_OUTPUT).then((c) => {
      if (c === SHOW_OUTPUT) this.channel.show(true);
    });
  }

  private async showSummary(summary: Summary, urls: UrlOutput[] = []): Promise<void> {
    for (const line of summary.details) {
      if (summary.severity === "error") this.channel.error(line);
      else this.channel.info(line);
    }
    const actions = urls.length > 0 ? [COPY_URL, SHOW_OUTPUT] : [SHOW_OUTPUT];
    const show =
      summary.severity === "error"
        ? vscode.window.showErrorMessage
        : summary.severity === "warning"
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    const choice = await show(summary.message, ...actions);
    if (choice === SHOW_OUTPUT) this.channel.show(true);
    if (choice === COPY_URL) await this.copyUrl(urls);
  }

  private async copyUrl(urls: UrlOutput[]): Promise<void> {
    let url: string | undefined = urls[0]?.url;
    if (urls.length > 1) {
      const picked = await vscode.window.showQuickPick(
        urls.map((u) => ({ label: `${u.stack}.${u.key}`, detail: u.url, url: u.url })),
        { title: "Copy which URL?" },
      );
      url = picked?.url;
    }
    if (url === undefined) return;
    await vscode.env.clipboard.writeText(url);
    void vscode.window.showInformationMessage(`Copied ${url}`);
  }

  // -------------------------------------------------------------------------
  // Server lifecycle

  private async doRestart(): Promise<void> {
    if (this.disposed) return;
    await this.stopClient();
    await this.refreshApps();
    await this.startClient();
    this.updateStatus();
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    this.channel.info("Stopping the server.");
    try {
      await client.dispose(5000);
    } catch (err) {
      this.channel.warn(`Stopping the server failed: ${describeError(err)}`);
    }
  }

  private async startClient(): Promise<void> {
    const firstFolder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file")?.uri.fsPath;
    const launch = resolveLaunch(readServerSettings((k) => vscode.workspace.getConfiguration(SECTION).get(k)), {
      workspaceFolder: firstFolder,
    });
    if (!launch.ok) {
      this.channel.error(launch.message);
      void vscode.window.showErrorMessage(launch.message, ...launch.actions, SHOW_OUTPUT).then(async (choice) => {
        if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand("workbench.action.openSettings", launch.settingQuery);
        if (choice === SHOW_OUTPUT) this.channel.show(true);
      });
      return;
    }
    this.channel.info(`Starting ${describeLaunch(launch)}`);
    const client = this.createClient(launch);
    this.client = client;
    client.onDidChangeState(() => this.updateStatus());
    client.suppressStartNotification = true;
    try {
      await client.start();
      this.channel.info("Server started.");
    } catch (err) {
      const message = startFailureMessage(launch, describeError(err));
      this.channel.error(message);
      if (this.client === client) this.client = undefined;
      void client.dispose(1000).catch(() => undefined);
      void vscode.window.showErrorMessage(message, OPEN_SETTINGS, SHOW_OUTPUT).then(async (choice) => {
        if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand("workbench.action.openSettings", "sst.server");
        if (choice === SHOW_OUTPUT) this.channel.show(true);
      });
    } finally {
      client.suppressStartNotification = false;
    }
  }

  private createClient(launch: LaunchOk): SstLanguageClient {
    // stdio, but `transport` left unset on purpose: TransportKind.stdio would make
    // vscode-languageclient append `--stdio` to the arguments (`sst-lsp serve --stdio`).
    const serverOptions: ServerOptions = {
      command: launch.command,
      args: launch.args,
      options: { env: launch.env, cwd: launch.cwd, shell: launch.shell },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        ...LANGUAGES.map((language) => ({ scheme: "file", language })),
        { scheme: "file", language: "json", pattern: "**/sst.json" },
      ],
      synchronize: { configurationSection: SECTION },
      initializationOptions: () =>
        buildInitializationOptions(
          (vscode.workspace.workspaceFolders ?? []).map((f) => ({
            uri: f.uri.toString(),
            config: vscode.workspace.getConfiguration(SECTION, f.uri),
          })),
          vscode.workspace.getConfiguration(SECTION),
        ),
      outputChannel: this.channel,
      // Same channel; the adapter makes sst.trace.server effective (see trace.ts).
      traceOutputChannel: this.traceChannel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: "sst",
      // The references lenses carry the server command `sst.showReferences`: clicked as is,
      // VS Code would only run it on the server (which answers the locations to editors
      // that show them themselves). Rewritten into VS Code's own peek (see lenses.ts).
      // Nothing here registers `sst.showReferences`: the client already registers that id
      // for the server's executeCommandProvider, and a second registration would throw.
      middleware: {
        // The server pulls section `sst` per folder: answer with the same normalized shape as
        // initializationOptions, so both carry every setting the server reads.
        workspace: {
          configuration: async (params, token, next) => {
            const fallback = await next(params, token);
            if (!Array.isArray(fallback)) return fallback;
            return answerConfiguration(
              params.items,
              SECTION,
              (scope) => vscode.workspace.getConfiguration(SECTION, scope ? vscode.Uri.parse(scope) : undefined),
              fallback,
            );
          },
        },
        provideCodeLenses: async (document, token, next) => rewriteLenses(await next(document, token), converters),
        resolveCodeLens: async (lens, token, next) => {
          const resolved = await next(lens, token);
          return resolved ? rewriteLens(resolved, converters) : resolved;
        },
      },
    };
    const client = new SstLanguageClient("sst", "SST Language Server", serverOptions, clientOptions);
    // The client's own converter (honours its URI converter, builds real vscode.Location objects).
    const converters: ReferenceConverters = {
      uri: (value) => client.protocol2CodeConverter.asUri(value),
      position: (value) => client.protocol2CodeConverter.asPosition(value),
      location: (value) => client.protocol2CodeConverter.asLocation(value),
    };
    return client;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stopClient();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

let extension: SstExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new SstExtension();
  context.subscriptions.push({ dispose: () => void extension?.dispose() });
  await extension.activate();
}

export async function deactivate(): Promise<void> {
  const e = extension;
  extension = undefined;
  await e?.dispose();
}
