/**
 * Redeploy parking. While a redeploy swaps nodes, what sources emit is parked (they are told to pause:
 * emit returns false) and re-sent through the new wiring once the swap is done. A source that ignores
 * the pause must not fill memory: the parking is bounded by count and by (estimated) bytes, and what
 * is over the bound is dropped and counted at the source (`dropped_during_redeploy`). Parked messages
 * are re-sent as the flow drains, like a source honouring backpressure would send them, so they are not
 * lost at the next queue limit; until the last one is out, sources stay paused and what they send
 * still queues up behind, so each source's order holds.
 */
import type { Message } from "../sdk/message.ts";
import type { RuntimeNode } from "./runtime-node.ts";

export interface ParkingLimits {
  /** Most messages parked at once, all sources together. */
  readonly maxMessages: number;
  /** Most bytes parked at once, as estimated by approxBytes. */
  readonly maxBytes: number;
}

export const DEFAULT_PARKING: ParkingLimits = { maxMessages: 10_000, maxBytes: 16 * 1024 * 1024 };

interface Parked {
  readonly from: RuntimeNode;
  readonly port: string;
  readonly msg: Message;
  readonly bytes: number;
}

export class Parking {
  /** A redeploy is swapping nodes: sources' messages are parked, not routed. */
  holding = false;
  private parked: Parked[] = [];
  /** Index of the oldest message still parked. */
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: ParkingLimits) {}

  /** Messages parked now. */
  get size(): number {
    return this.parked.length - this.head;
  }

  /** True while sources must park what they send: during a swap, and until what it parked is re-sent. */
  get active(): boolean {
    return this.holding || this.parked.length > this.head;
  }

  /** Parks `msg`; false when that would pass a bound (the caller drops it). */
  park(from: RuntimeNode, port: string, msg: Message): boolean {
    if (this.size >= this.limits.maxMessages) return false;
    const bytes = approxBytes(msg);
    if (this.bytes + bytes > this.limits.maxBytes) return false;
    this.parked.push({ from, port, msg, bytes });
    this.bytes += bytes;
    return true;
  }

  /** Hands parked messages, oldest first, to `send` for as long as `room()` says the flow takes more. */
  resend(room: () => boolean, send: (from: RuntimeNode, port: string, msg: Message) => void): void {
    while (this.parked.length > this.head && room()) {
      const next = this.parked[this.head]!;
      this.parked[this.head++] = undefined!; // let it go: the array is kept until it is empty
      this.bytes -= next.bytes;
      send(next.from, next.port, next.msg);
    }
    if (this.head === this.parked.length) {
      this.parked = [];
      this.head = 0;
    }
  }
}

/** Nesting followed by approxBytes; deeper values count as a few bytes each. */
const MAX_DEPTH = 6;

/**
 * A rough size of a message in bytes: strings by length, numbers 8, binary views by byteLength, plus a
 * little per field. Only parked messages are measured, so it costs nothing on the hot path.
 */
export function approxBytes(msg: Message): number {
  return 32 + msg.topic.length + (msg.key?.length ?? 0) + sizeOf(msg.payload, 0) + sizeOf(msg.meta, 0);
}

function sizeOf(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
      return value.length;
    case "number":
    case "bigint":
      return 8;
    case "boolean":
      return 4;
    case "object": {
      if (value === null) return 4;
      if (ArrayBuffer.isView(value)) return value.byteLength;
      if (value instanceof ArrayBuffer) return value.byteLength;
      if (depth >= MAX_DEPTH) return 16;
      let total = 16;
      if (Array.isArray(value)) {
        for (const item of value) total += sizeOf(item, depth + 1);
        return total;
      }
      for (const key in value) total += key.length + 8 + sizeOf((value as Record<string, unknown>)[key], depth + 1);
      return total;
    }
    default:
      return 8;
  }
}
