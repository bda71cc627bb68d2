/** Per-node metrics kept by the engine from the routing hooks (nodes only add their own named counters). */
import { ERROR_PORT } from "../contract/ports.ts";
import type { RoutingHooks } from "./hooks.ts";
import type { RuntimeNode } from "./runtime-node.ts";

/** Upper bounds in milliseconds, Prometheus-style, from 1 µs to 10 s. */
export const LATENCY_BUCKETS_MS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
] as const;

/** A fixed-bucket histogram: O(buckets) insert, no allocation, mergeable, exportable as is. */
export class LatencyHistogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  count = 0;
  sum = 0;

  observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += ms;
  }

  /** Upper bound of the bucket holding quantile q (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }
}

export class NodeStats {
  /** Messages handed to the node's handler. */
  in = 0;
  /** Messages it sent, error messages excepted (those are errors, not output). */
  out = 0;
  /** Error messages on its error port: bad input it reported, or a failure of its handler (wired or not). */
  errors = 0;
  /** Messages lost at this node: see DropReason (hooks.ts); the reasons other than a full queue or a close have their own counter too. */
  dropped = 0;
  /** Messages waiting for this node (run queue + its own inbox); kept by the scheduler, which bounds it. */
  queued = 0;
  readonly latency = new LatencyHistogram();
  readonly custom = new Map<string, number>();

  count(name: string, by = 1): void {
    this.custom.set(name, (this.custom.get(name) ?? 0) + by);
  }
}

export interface NodeMetricsSnapshot {
  readonly node: string;
  readonly type: string;
  readonly in: number;
  readonly out: number;
  readonly errors: number;
  readonly dropped: number;
  readonly queueDepth: number;
  readonly latencyMs: {
    readonly count: number;
    readonly p50: number;
    readonly p99: number;
    readonly mean: number;
    readonly sum: number;
    /** Per-bucket (not cumulative) counts, one per LATENCY_BUCKETS_MS bound plus a last +Inf bucket. */
    readonly buckets: number[];
  };
  readonly counters: Readonly<Record<string, number>>;
}

export function snapshotStats(node: string, type: string, stats: NodeStats): NodeMetricsSnapshot {
  const h = stats.latency;
  return {
    node,
    type,
    in: stats.in,
    out: stats.out,
    errors: stats.errors,
    dropped: stats.dropped,
    queueDepth: stats.queued,
    latencyMs: { count: h.count, p50: h.quantile(0.5), p99: h.quantile(0.99), mean: h.count ? h.sum / h.count : 0, sum: h.sum, buckets: [...h.counts] },
    counters: Object.fromEntries(stats.custom),
  };
}

/**
 * The engine's own listener: every count above, kept from the routing hooks. Built in to the hook
 * list (called directly, so plain functions, no `this`).
 */
export const metricsHooks: RoutingHooks<RuntimeNode> = {
  onSend: (node, port) => {
    if (port === ERROR_PORT) node.stats.errors++;
    else node.stats.out++;
  },
  onReceive: (node) => void node.stats.in++,
  onTimed: (node, _port, ms) => node.stats.latency.observe(ms),
  onDrop: (node, _port, _msg, reason) => {
    node.stats.dropped++;
    if (reason === "hop-limit") node.stats.count("dropped_hop_limit");
    else if (reason === "redeploy-full") node.stats.count("dropped_during_redeploy");
    else if (reason === "drain-timeout") node.stats.count("dropped_at_stop");
  },
  onHold: (node) => node.stats.count("held_during_redeploy"),
};
