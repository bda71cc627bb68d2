import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runtimeNode } from "../../test/support/runtime-nodes.ts";
import { LATENCY_BUCKETS_MS, LatencyHistogram, metricsHooks, NodeStats, snapshotStats } from "./metrics.ts";

const msg = { topic: "t", ts: 0, payload: 1 };

describe("LatencyHistogram", () => {
  it("puts a value in the first bucket whose bound holds it, and answers quantiles with bucket bounds", () => {
    const h = new LatencyHistogram();
    for (const ms of [0.0005, 0.003, 0.003, 0.2, 20_000]) h.observe(ms);
    assert.equal(h.count, 5);
    assert.equal(h.quantile(0.2), 0.001);
    assert.equal(h.quantile(0.6), 0.005);
    assert.equal(h.quantile(1), Number.POSITIVE_INFINITY, "past the last bound: the +Inf bucket");
    assert.equal(new LatencyHistogram().quantile(0.99), 0, "empty");
    assert.equal(h.counts.length, LATENCY_BUCKETS_MS.length + 1);
  });
});

describe("node metrics from the routing hooks", () => {
  it("counts output, errors (the error port), input and latency", () => {
    const node = runtimeNode("n");
    metricsHooks.onSend!(node, "out", msg);
    metricsHooks.onSend!(node, "error", msg);
    metricsHooks.onReceive!(node, "in", msg);
    metricsHooks.onTimed!(node, "in", 0.02, 1);
    const snapshot = snapshotStats("n", "test", node.stats);
    assert.deepEqual([snapshot.out, snapshot.errors, snapshot.in, snapshot.latencyMs.count], [1, 1, 1, 1]);
  });

  it("counts every drop, and the reasons a user must tell apart under their own counter", () => {
    const node = runtimeNode("n");
    for (const reason of ["queue-full", "closed", "sender-closed", "hop-limit", "redeploy-full", "drain-timeout", "drain-timeout"] as const) {
      metricsHooks.onDrop!(node, "in", msg, reason);
    }
    metricsHooks.onHold!(node, "out", msg);
    assert.equal(node.stats.dropped, 7);
    assert.deepEqual(Object.fromEntries(node.stats.custom), { dropped_hop_limit: 1, dropped_during_redeploy: 1, dropped_at_stop: 2, held_during_redeploy: 1 });
  });

  it("adds a node's own counters, by one or by more", () => {
    const stats = new NodeStats();
    stats.count("rows");
    stats.count("rows", 4);
    assert.deepEqual(snapshotStats("n", "t", stats).counters, { rows: 5 });
  });
});
