import assert from "node:assert/strict";
import { test } from "node:test";

import { type BaseLogChannel, Emitter, LogLevel, TraceChannel } from "../src/trace";

class FakeChannel implements BaseLogChannel {
  readonly name = "SST";
  logLevel: number = LogLevel.Info;
  private readonly emitter = new Emitter<number>();
  readonly onDidChangeLogLevel = this.emitter.event;
  lines: string[] = [];
  setLevel(l: number) {
    this.logLevel = l;
    this.emitter.fire(l);
  }
  append(v: string) { this.lines.push(`append ${v}`); }
  appendLine(v: string) { this.lines.push(`line ${v}`); }
  replace(v: string) { this.lines = [v]; }
  clear() { this.lines = []; }
  show() {}
  hide() {}
  trace(m: string) { this.lines.push(`trace ${m}`); }
  debug(m: string) { this.lines.push(`debug ${m}`); }
  info(m: string) { this.lines.push(`info ${m}`); }
  warn(m: string) { this.lines.push(`warn ${m}`); }
  error(m: string | Error) { this.lines.push(`error ${String(m)}`); }
}

test("off: reports the channel's level and writes nothing for trace at Info", () => {
  const base = new FakeChannel();
  const t = new TraceChannel(base, "off");
  assert.equal(t.logLevel, LogLevel.Info);
  t.trace("Sending request 'initialize'");
  assert.deepEqual(base.lines, []);
});

test("messages/verbose: reports Trace and writes trace lines visibly", () => {
  const base = new FakeChannel();
  const t = new TraceChannel(base, "verbose");
  assert.equal(t.logLevel, LogLevel.Trace);
  t.trace("Sending request 'initialize'");
  assert.deepEqual(base.lines, ["info Sending request 'initialize'"]);
  base.setLevel(LogLevel.Trace);
  t.trace("x");
  assert.equal(base.lines[1], "trace x");
});

test("changing the setting fires onDidChangeLogLevel once per real change", () => {
  const base = new FakeChannel();
  const t = new TraceChannel(base, "off");
  const seen: number[] = [];
  t.onDidChangeLogLevel((l) => seen.push(l));
  t.setTraceSetting("messages");
  t.setTraceSetting("verbose"); // still Trace: no event
  t.setTraceSetting("off");
  assert.deepEqual(seen, [LogLevel.Trace, LogLevel.Info]);
  base.setLevel(LogLevel.Debug); // the channel's own level shows through while off
  assert.deepEqual(seen, [LogLevel.Trace, LogLevel.Info, LogLevel.Debug]);
  t.dispose();
  base.setLevel(LogLevel.Error);
  assert.equal(seen.length, 3);
});

test("other log calls pass through", () => {
  const base = new FakeChannel();
  const t = new TraceChannel(base, "off");
  t.info("i");
  t.error("e");
  t.appendLine("l");
  assert.deepEqual(base.lines, ["info i", "error e", "line l"]);
});
