/**
 * The last debug events of each flow, replayed to a client that subscribes to that flow: whoever
 * opens the editor after an alarm fired still sees it. Bounded per flow; the oldest falls off.
 */
import type { RuntimeEvent } from "../../local/local-runtime.ts";

export interface EventHistory {
  /** Keeps `event` if it is a debug event. */
  remember(event: RuntimeEvent): void;
  /** The flow's kept debug events, oldest first. */
  of(flowId: string): readonly RuntimeEvent[];
}

/** `perFlow`: debug events kept per flow, a whole number >= 0 (eventSettings makes it one). */
export function eventHistory(perFlow: number): EventHistory {
  const rings = new Map<string, RuntimeEvent[]>();
  return {
    remember(event) {
      if (event.type !== "debug" || perFlow === 0) return;
      const ring = rings.get(event.flowId) ?? [];
      ring.push(event);
      if (ring.length > perFlow) ring.splice(0, ring.length - perFlow);
      rings.set(event.flowId, ring);
    },
    of: (flowId) => [...(rings.get(flowId) ?? [])],
  };
}
