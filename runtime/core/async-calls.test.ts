import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricsOnly, runtimeNode } from "../../test/support/runtime-nodes.ts";
import type { Message } from "../sdk/message.ts";
import { AsyncCalls } from "./async-calls.ts";
import type { CallHost } from "./call-host.ts";
import type { RuntimeNode } from "./runtime-node.ts";

const msg = (value: number, key?: string): Message => ({ topic: "t", ...(key ? { key } : {}), ts: value, payload: { value } });
const valueOf = (m: Message) => (m.payload as { value: number }).value;

/** A host that keeps the counts a scheduler would, and records failures. */
function host(): CallHost & { queued: number; inflight: number; failures: string[] } {
  return {
    hooks: metricsOnly(),
    queued: 0,
    inflight: 0,
    failures: [],
    taken(node, count) {
      node.stats.queued -= count;
      this.queued -= count;
    },
    inFlight(node, count) {
      node.inflight += count;
      this.inflight += count;
    },
    fail(node, _port, m, thrown) {
      this.failures.push(`${node.id} ${valueOf(m)} ${(thrown as Error).message}`);
    },
    settle: () => undefined,
  };
}

/** A node whose calls stay open until the test resolves them, in any order. */
function pending(shape: { concurrency: number; orderBy?: "key"; throwOn?: number }) {
  const open = new Map<number, () => void>();
  const started: number[] = [];
  const node = runtimeNode("remote", {
    concurrency: shape.concurrency,
    ...(shape.orderBy ? { orderBy: shape.orderBy } : {}),
    instance: {
      onMessage(m) {
        if (valueOf(m) === shape.throwOn) throw new Error("refused at once");
        started.push(valueOf(m));
        return new Promise<void>((resolve) => open.set(valueOf(m), resolve));
      },
    },
  });
  const finish = async (value: number) => {
    open.get(value)!();
    open.delete(value);
    await Promise.resolve();
    await Promise.resolve();
  };
  return { node, started, finish };
}

function deliver(calls: AsyncCalls, h: { queued: number }, node: RuntimeNode, m: Message): void {
  node.stats.queued++;
  h.queued++;
  calls.deliver(node, "in", m);
}

describe("AsyncCalls", () => {
  it("keeps at most `concurrency` calls in flight and starts the next as one finishes", async () => {
    const h = host();
    const calls = new AsyncCalls(h);
    const { node, started, finish } = pending({ concurrency: 2 });
    for (let i = 0; i < 4; i++) deliver(calls, h, node, msg(i));
    assert.deepEqual([started, node.inflight, node.stats.queued], [[0, 1], 2, 2]);
    await finish(1);
    assert.deepEqual([started, node.inflight, h.queued], [[0, 1, 2], 2, 1]);
  });

  it("with orderBy runs one call per key, other keys in parallel, and a key's next message when its call ends", async () => {
    const h = host();
    const calls = new AsyncCalls(h);
    const { node, started, finish } = pending({ concurrency: 4, orderBy: "key" });
    deliver(calls, h, node, msg(1, "a"));
    deliver(calls, h, node, msg(2, "a"));
    deliver(calls, h, node, msg(3, "b"));
    deliver(calls, h, node, msg(4));
    deliver(calls, h, node, msg(5));
    assert.deepEqual(started, [1, 3, 4], "a and b in parallel, messages without key in their own lane");
    assert.equal(node.stats.queued, 2, "the waiting ones still count as queued");
    await finish(1);
    await finish(4);
    assert.deepEqual(started, [1, 3, 4, 2, 5]);
    assert.equal(h.queued, 0);
  });

  it("with orderBy frees a key whose call threw at once, and routes the failure", async () => {
    const h = host();
    const calls = new AsyncCalls(h);
    const { node, started } = pending({ concurrency: 2, orderBy: "key", throwOn: 1 });
    deliver(calls, h, node, msg(1, "a"));
    deliver(calls, h, node, msg(2, "a"));
    assert.deepEqual([h.failures, started, node.inflight], [["remote 1 refused at once"], [2], 1]);
  });

  it("tracks a promise of a node without concurrency until it settles, and routes its rejection", async () => {
    const h = host();
    const calls = new AsyncCalls(h);
    const node = runtimeNode("lazy");
    calls.track(node, "in", msg(7), Promise.reject(new Error("late failure")));
    assert.equal(node.inflight, 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual([node.inflight, h.failures], [0, ["lazy 7 late failure"]]);
  });
});
