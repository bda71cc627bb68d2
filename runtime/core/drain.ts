/**
 * Stop drains with a timeout: sources stop, queued messages are delivered, and if that takes longer
 * than the drain timeout (10 s by default) the engine gives up: what is still queued is dropped and
 * counted per node (`dropped_at_stop`), calls still in flight are abandoned (what they send later is
 * dropped, their nodes being closed), and the stop report says so.
 */
import type { Clock } from "../sdk/clock.ts";
import type { RuntimeNode } from "./runtime-node.ts";

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** What one node still had when the drain timeout passed. */
export interface UndrainedNode {
  readonly node: string;
  /** Messages dropped from its queue. */
  readonly queued: number;
  /** Calls abandoned in flight. */
  readonly inFlight: number;
}

/** What stop() did. */
export interface StopReport {
  /** Every queued message was delivered. */
  readonly drained: boolean;
  readonly timeoutMs: number;
  /** The nodes that still had work when the timeout passed (empty when drained). */
  readonly dropped: readonly UndrainedNode[];
}

/** Resolves true when `idle` resolves within `ms` on `clock`, false when the time runs out first. */
export function drainWithin(idle: Promise<void>, clock: Clock, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), ms);
    void idle.then(() => {
      timer.cancel();
      resolve(true);
    });
  });
}

/** The report of a drain that timed out: per node, what was dropped from its queue and what it had in flight. */
export function undrained(nodes: Iterable<RuntimeNode>, droppedQueued: ReadonlyMap<RuntimeNode, number>): UndrainedNode[] {
  const report: UndrainedNode[] = [];
  for (const node of nodes) {
    const queued = droppedQueued.get(node) ?? 0;
    if (queued > 0 || node.inflight > 0) report.push({ node: node.id, queued, inFlight: node.inflight });
  }
  return report;
}

/** One line for the log: "dropped 90 queued messages (slow 90), 1 call still in flight (slow 1)". */
export function describeUndrained(report: readonly UndrainedNode[]): string {
  const part = (total: number, one: string, many: string, pick: (n: UndrainedNode) => number) => {
    const by = report.filter((n) => pick(n) > 0).map((n) => `${n.node} ${pick(n)}`);
    return `${total} ${total === 1 ? one : many} (${by.join(", ")})`;
  };
  const queued = report.reduce((sum, n) => sum + n.queued, 0);
  const inFlight = report.reduce((sum, n) => sum + n.inFlight, 0);
  const parts = [queued > 0 ? `dropped ${part(queued, "queued message", "queued messages", (n) => n.queued)}` : "", inFlight > 0 ? `abandoned ${part(inFlight, "call", "calls", (n) => n.inFlight)} in flight` : ""];
  return parts.filter(Boolean).join("; ");
}
