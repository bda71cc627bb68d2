import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SerialQueue } from "./serial-queue.ts";

describe("serial queue", () => {
  it("runs tasks one at a time in call order, even when earlier ones are slower", async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([queue.run(task("a", 20)), queue.run(task("b", 1)), queue.run(task("c", 5))]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("rejects only the failing task and keeps running the next ones", async () => {
    const queue = new SerialQueue();
    const failing = queue.run(() => {
      throw new Error("disk full");
    });
    const next = queue.run(() => "still runs");
    await assert.rejects(failing, /disk full/);
    assert.equal(await next, "still runs");
  });
});
