/** The summary `aiotflow run` prints when it stops: a line per node, then what the stop drained or dropped. */
import type { StopReport } from "../core/engine.ts";
import type { NodeMetricsSnapshot } from "../core/metrics.ts";

/** The summary's lines: a table of every node's counts, then how the drain went. */
export function summaryLines(metrics: readonly NodeMetricsSnapshot[], stop: StopReport): string[] {
  const lines = ["", "node                 type               in        out       errors  dropped  p99 ms  counters"];
  for (const m of metrics) {
    const counters = Object.entries(m.counters)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    lines.push(
      `${m.node.padEnd(20)} ${m.type.padEnd(18)} ${String(m.in).padStart(9)} ${String(m.out).padStart(9)} ${String(m.errors).padStart(8)} ${String(m.dropped).padStart(8)}  ${String(m.latencyMs.count ? m.latencyMs.p99 : "-").padStart(6)}  ${counters}`,
    );
  }
  lines.push("", ...drainLines(stop));
  return lines;
}

function drainLines(stop: StopReport): string[] {
  if (stop.drained) return ["stopped: every queued message was delivered"];
  const queued = stop.dropped.reduce((sum, n) => sum + n.queued, 0);
  const inFlight = stop.dropped.reduce((sum, n) => sum + n.inFlight, 0);
  const lines = [
    `stopped after the drain timeout (${stop.timeoutMs / 1000} s, --drain-timeout): ${queued} queued message${queued === 1 ? "" : "s"} dropped, ${inFlight} call${inFlight === 1 ? "" : "s"} abandoned in flight [DRAIN_TIMEOUT]`,
  ];
  for (const node of stop.dropped) lines.push(`  ${node.node.padEnd(20)} ${String(node.queued).padStart(9)} dropped  ${String(node.inFlight).padStart(6)} in flight`);
  return lines;
}
