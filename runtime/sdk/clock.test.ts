import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { systemClock, VirtualClock } from "./clock.ts";

const T0 = Date.UTC(2026, 0, 1);

describe("VirtualClock", () => {
  it("starts at 2026-01-01 or the time it is given, and moves only when told", () => {
    assert.equal(new VirtualClock().now(), T0);
    const clock = new VirtualClock(1_000);
    assert.equal(clock.now(), 1_000);
    clock.advance(250);
    assert.equal(clock.now(), 1_250);
  });

  it("fires due timers in time order, ties in creation order, with now() at each one's due time", () => {
    const clock = new VirtualClock(0);
    const fired: Array<[string, number]> = [];
    const at = (name: string) => () => void fired.push([name, clock.now()]);
    clock.setTimeout(at("c"), 30);
    clock.setTimeout(at("a"), 10);
    clock.setTimeout(at("b1"), 20);
    clock.setTimeout(at("b2"), 20);
    clock.advance(25);
    assert.deepEqual(fired, [["a", 10], ["b1", 20], ["b2", 20]]);
    assert.equal(clock.now(), 25);
    clock.advance(5);
    assert.deepEqual(fired.at(-1), ["c", 30]);
  });

  it("fires a timer set by a callback within the same advance when it falls due in it", () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => void fired.push(clock.now()), 10), 10);
    clock.advance(20);
    assert.deepEqual(fired, [20]);
  });

  it("repeats an interval until cancelled", () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const handle = clock.setInterval(() => void fired.push(clock.now()), 100);
    clock.advance(350);
    assert.deepEqual(fired, [100, 200, 300]);
    handle.cancel();
    clock.advance(1_000);
    assert.deepEqual(fired, [100, 200, 300]);
  });

  it("runs a zero-millisecond interval once per millisecond instead of forever", () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    clock.setInterval(() => void calls++, 0);
    clock.advance(5);
    assert.equal(calls, 6);
  });

  it("fires a timeout with a zero or negative delay on the next advance, even advance(0)", () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => void fired.push("zero"), 0);
    clock.setTimeout(() => void fired.push("negative"), -50);
    clock.advance(0);
    assert.deepEqual(fired, ["zero", "negative"]);
  });

  it("never fires a cancelled timeout, and counts only waiting timers as pending", () => {
    const clock = new VirtualClock(0);
    let fired = false;
    const handle = clock.setTimeout(() => void (fired = true), 10);
    clock.setTimeout(() => {}, 20);
    assert.equal(clock.pending, 2);
    handle.cancel();
    assert.equal(clock.pending, 1);
    clock.advance(100);
    assert.equal(fired, false);
    assert.equal(clock.pending, 0);
  });

  it("lets a callback cancel a later timer of the same advance", () => {
    const clock = new VirtualClock(0);
    let fired = false;
    const later = clock.setTimeout(() => void (fired = true), 20);
    clock.setTimeout(() => later.cancel(), 10);
    clock.advance(30);
    assert.equal(fired, false);
  });
});

describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const now = systemClock.now();
    assert.ok(now >= before && now <= Date.now());
  });

  it("fires a real timeout, and never one that was cancelled", async () => {
    let cancelledFired = false;
    systemClock.setTimeout(() => void (cancelledFired = true), 0).cancel();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(cancelledFired, false);
  });

  it("repeats a real interval until cancelled", async () => {
    let calls = 0;
    await new Promise<void>((resolve) => {
      const handle = systemClock.setInterval(() => {
        if (++calls === 2) {
          handle.cancel();
          resolve();
        }
      }, 1);
    });
    assert.equal(calls, 2);
  });
});
