import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { until, within } from "./wait.ts";

describe("waiting helpers", () => {
  it("until returns as soon as the condition holds, sync or async, moving `between` on each miss", async () => {
    let looks = 0;
    let moved = 0;
    await until(() => ++looks === 3, "the third look", { between: () => void moved++ });
    assert.deepEqual([looks, moved], [3, 2]);
    await until(async () => true, "an async condition");
  });

  it("until fails at its deadline naming what it waited for, with state read then", async () => {
    let seen = 0;
    await assert.rejects(until(() => (seen++, false), () => `nothing (looked ${seen} times)`, 20), /^Error: timed out waiting for nothing \(looked \d+ times\) \(20 ms\)$/);
  });

  it("within passes a result on, and rejects a promise that takes too long", async () => {
    assert.equal(await within(Promise.resolve(7), "seven"), 7);
    await assert.rejects(within(new Promise(() => {}), "an answer", 10), /^Error: an answer: not within 10 ms$/);
  });

  it("keeps polling while node:test's mock timers hold setTimeout and Date", async (test) => {
    test.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    let ready = false;
    setImmediate(() => (ready = true));
    await until(() => ready, "the immediate");
    assert.ok(ready);
  });
});
