import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { VirtualClock } from "../sdk/clock.ts";
import { DiskOutbox } from "./outbox.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("store-and-forward outbox", () => {
  const dir = mkdtempSync(join(tmpdir(), "outbox-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = () => join(dir, `q${n++}.log`);

  it("keeps undelivered records across a restart, in order", async () => {
    const path = file();
    const clock = new VirtualClock();
    const first = new DiskOutbox<{ i: number }>(path, clock);
    for (let i = 0; i < 5; i++) first.push({ i });
    assert.deepEqual(first.peek(2), [{ i: 0 }, { i: 1 }]);
    first.ack(2);
    await tick();
    first.close();
    const second = new DiskOutbox<{ i: number }>(path, clock);
    assert.deepEqual(second.peek(10), [{ i: 2 }, { i: 3 }, { i: 4 }]);
    assert.equal(second.length, 3);
  });

  it("skips a damaged record and a write cut short, keeping the rest", async () => {
    const path = file();
    const clock = new VirtualClock();
    const outbox = new DiskOutbox<{ i: number }>(path, clock);
    outbox.push({ i: 1 });
    outbox.close();
    appendFileSync(path, 'garbage\n{"at":0,"r":{"i":2}}\n{"at":0,"r":{"i"');
    const reopened = new DiskOutbox<{ i: number }>(path, clock);
    assert.deepEqual(reopened.peek(10), [{ i: 1 }, { i: 2 }]);
    assert.ok(!readFileSync(path, "utf8").includes("garbage"), "the log is rewritten clean");
  });

  it("drops the oldest past maxMessages or maxBytes, and counts them", () => {
    const clock = new VirtualClock();
    const byCount = new DiskOutbox<number>(undefined, clock, { maxMessages: 3 });
    for (let i = 0; i < 5; i++) byCount.push(i);
    assert.deepEqual([byCount.peek(10), byCount.dropped.overflow], [[2, 3, 4], 2]);
    const byBytes = new DiskOutbox<string>(undefined, clock, { maxBytes: 1024 });
    for (let i = 0; i < 20; i++) byBytes.push("x".repeat(100));
    assert.ok(byBytes.bytes <= 1024 && byBytes.length < 20 && byBytes.dropped.overflow === 20 - byBytes.length);
  });

  it("expires records older than maxAgeMs, counted", () => {
    const clock = new VirtualClock();
    const outbox = new DiskOutbox<number>(undefined, clock, { maxAgeMs: 1000 });
    outbox.push(1);
    clock.advance(600);
    outbox.push(2);
    clock.advance(600);
    assert.deepEqual(outbox.peek(10), [2]);
    assert.equal(outbox.dropped.expired, 1);
  });
});
