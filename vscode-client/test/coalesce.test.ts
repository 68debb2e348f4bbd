import assert from "node:assert/strict";
import { test } from "node:test";

import { Coalescer } from "../src/coalesce";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test("requests during a run join it: one restart", async () => {
  let calls = 0;
  const gate = deferred();
  const c = new Coalescer(async () => {
    calls++;
    await gate.promise;
  });
  const p1 = c.run();
  const p2 = c.run();
  const p3 = c.run();
  assert.equal(c.busy, true);
  assert.equal(p1, p2);
  assert.equal(p2, p3);
  gate.resolve();
  await Promise.all([p1, p2, p3]);
  assert.equal(calls, 1);
  assert.equal(c.count, 1);
  assert.equal(c.busy, false);
});

test("a request after the run finished starts a new one", async () => {
  let calls = 0;
  const c = new Coalescer(async () => {
    calls++;
  });
  await c.run();
  await c.run();
  assert.equal(calls, 2);
});

test("a failed run rejects its callers and does not block the next", async () => {
  let calls = 0;
  const c = new Coalescer(async () => {
    calls++;
    if (calls === 1) throw new Error("start failed");
  });
  const a = c.run();
  const b = c.run();
  await assert.rejects(a, /start failed/);
  await assert.rejects(b, /start failed/);
  await c.run();
  assert.equal(calls, 2);
});
