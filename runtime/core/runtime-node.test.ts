import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runtimeNode } from "../../test/support/runtime-nodes.ts";

describe("RuntimeNode", () => {
  it("is a source when its definition has no inputs", () => {
    assert.deepEqual([runtimeNode("a", { source: true }).isSource, runtimeNode("b").isSource], [true, false]);
  });

  it("reads a missing or negative concurrency as a synchronous node", () => {
    assert.deepEqual([runtimeNode("a").concurrency, runtimeNode("b", { concurrency: -3 }).concurrency, runtimeNode("c", { concurrency: 4 }).concurrency], [0, 0, 4]);
  });

  it("binds the instance's handlers so the scheduler can call them detached", () => {
    const seen: string[] = [];
    const instance = {
      prefix: "got",
      onMessage(this: { prefix: string }, msg: { topic: string }) {
        seen.push(`${this.prefix} ${msg.topic}`);
      },
    };
    const node = runtimeNode("a", { instance });
    const handler = node.handler!;
    void handler({ topic: "t", ts: 0, payload: 1 }, "in");
    assert.deepEqual(seen, ["got t"]);
    assert.equal(node.batchHandler, undefined);
  });

  it("keeps per-key lanes only for an async onMessage node with orderBy and more than one call at a time", () => {
    const lanesOf = (shape: Parameters<typeof runtimeNode>[1]) => runtimeNode("n", shape).lanes !== undefined;
    assert.equal(lanesOf({ concurrency: 4, orderBy: "key", instance: { onMessage: () => undefined } }), true);
    assert.equal(lanesOf({ concurrency: 1, orderBy: "key", instance: { onMessage: () => undefined } }), false, "one at a time keeps order anyway");
    assert.equal(lanesOf({ concurrency: 4, instance: { onMessage: () => undefined } }), false, "no orderBy");
    assert.equal(lanesOf({ concurrency: 4, orderBy: "key", instance: { onBatch: () => undefined } }), false, "batch nodes keep one batch in flight instead");
  });
});
