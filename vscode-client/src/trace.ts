/**
 * The trace channel handed to vscode-languageclient.
 *
 * vscode-languageclient 10+ only traces when the trace channel's log level is
 * Trace, and then writes with `channel.trace(...)`, which a LogOutputChannel at
 * its default level (Info) drops. So `sst.trace.server` alone would do nothing.
 * This adapter wraps the "SST" channel: when `sst.trace.server` is "messages" or
 * "verbose" it reports log level Trace (and the client reads messages/verbose
 * from the setting) and writes the trace lines at a level the channel shows;
 * when it is "off" it reports the channel's own level (so setting the channel
 * to Trace through "Developer: Set Log Level" still works).
 *
 * Pure module: no `vscode` import; the log level numbers are vscode.LogLevel's.
 */

export const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 } as const;
export type LogLevelValue = number;

export interface Disposable {
  dispose(): unknown;
}

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

/** The LogOutputChannel members the adapter uses. */
export interface BaseLogChannel {
  readonly name: string;
  readonly logLevel: LogLevelValue;
  readonly onDidChangeLogLevel: Event<LogLevelValue>;
  append(value: string): void;
  appendLine(value: string): void;
  replace(value: string): void;
  clear(): void;
  show(preserveFocus?: boolean): void;
  hide(): void;
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(error: string | Error, ...args: unknown[]): void;
}

/** A minimal event emitter with vscode.Event's listener signature. */
export class Emitter<T> {
  private listeners = new Set<(e: T) => unknown>();

  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = (e: T) => listener.call(thisArgs, e);
    this.listeners.add(bound);
    const d = { dispose: () => this.listeners.delete(bound) };
    disposables?.push(d);
    return d;
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}

export class TraceChannel {
  private readonly emitter = new Emitter<LogLevelValue>();
  private readonly sub: Disposable;
  private tracing: boolean;
  private lastLevel: LogLevelValue;

  constructor(
    private readonly base: BaseLogChannel,
    traceSetting: string,
  ) {
    this.tracing = traceSetting === "messages" || traceSetting === "verbose";
    this.lastLevel = this.logLevel;
    this.sub = base.onDidChangeLogLevel(() => this.maybeFire());
  }

  get name(): string {
    return this.base.name;
  }

  /** Trace while `sst.trace.server` is on, else the channel's own level. */
  get logLevel(): LogLevelValue {
    return this.tracing ? LogLevel.Trace : this.base.logLevel;
  }

  readonly onDidChangeLogLevel: Event<LogLevelValue> = (l, t, d) => this.emitter.event(l, t, d);

  /** Call when `sst.trace.server` changes. */
  setTraceSetting(value: string): void {
    this.tracing = value === "messages" || value === "verbose";
    this.maybeFire();
  }

  private maybeFire(): void {
    const level = this.logLevel;
    if (level !== this.lastLevel) {
      this.lastLevel = level;
      this.emitter.fire(level);
    }
  }

  trace(message: string, ...args: unknown[]): void {
    const baseLevel = this.base.logLevel;
    if (baseLevel !== LogLevel.Off && baseLevel <= LogLevel.Trace) this.base.trace(message, ...args);
    else if (this.tracing) this.base.info(message, ...args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.base.debug(message, ...args);
  }
  info(message: string, ...args: unknown[]): void {
    this.base.info(message, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.base.warn(message, ...args);
  }
  error(error: string | Error, ...args: unknown[]): void {
    this.base.error(error, ...args);
  }
  append(value: string): void {
    this.base.append(value);
  }
  appendLine(value: string): void {
    this.base.appendLine(value);
  }
  replace(value: string): void {
    this.base.replace(value);
  }
  clear(): void {
    this.base.clear();
  }
  show(columnOrPreserveFocus?: unknown, preserveFocus?: boolean): void {
    this.base.show(typeof columnOrPreserveFocus === "boolean" ? columnOrPreserveFocus : preserveFocus);
  }
  hide(): void {
    this.base.hide();
  }
  /** Disposes the adapter only; the wrapped channel stays (the extension owns it). */
  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
