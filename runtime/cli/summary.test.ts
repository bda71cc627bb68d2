import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeMetricsSnapshot } from "../core/metrics.ts";
import { summaryLines } from "./summary.ts";

function node(id: string, type: string, counts: Partial<NodeMetricsSnapshot> = {}): NodeMetricsSnapshot {
  return {
    node: id, type, in: 0, out: 0, errors: 0, dropped: 0, queueDepth: 0,
    latencyMs: { count: 0, sum: 0, p50: 0, p99: 0, mean: 0, buckets: [] },
    counters: {},
    ...counts,
  };
}

describe("summaryLines", () => {
  it("lists every node's counts and says when the stop delivered every queued message", () => {
    const lines = summaryLines([node("src", "replay", { out: 80, counters: { rows: 80 } }), node("out", "debug", { in: 80 })], { drained: true, timeoutMs: 10_000, dropped: [] });
    assert.match(lines[2]!, /^src\s+replay\s+0\s+80\s+0\s+0\s+-\s+rows=80$/);
    assert.match(lines[3]!, /^out\s+debug\s+80\s+0\s+0\s+0\s+-\s+$/);
    assert.equal(lines.at(-1), "stopped: every queued message was delivered");
  });

  it("says what the drain timeout dropped, per node", () => {
    const lines = summaryLines([node("slow", "http-out", { in: 10, dropped: 90, counters: { dropped_at_stop: 90 } })], {
      drained: false,
      timeoutMs: 2_500,
      dropped: [{ node: "slow", queued: 90, inFlight: 1 }],
    });
    assert.deepEqual(lines.slice(-2), [
      "stopped after the drain timeout (2.5 s, --drain-timeout): 90 queued messages dropped, 1 call abandoned in flight [DRAIN_TIMEOUT]",
      "  slow                        90 dropped       1 in flight",
    ]);
  });
});
