/**
 * Event-time hopping windows shared by sliding-window and tumbling-window (a tumbling window is a
 * hopping window whose slide equals its size). Not a node.
 */
import type { Message, NodeContext } from "../../../runtime/sdk/index.ts";
import { accumulate, accumulator, type Accumulator, type WindowFeatures } from "./window-stats.ts";

export interface EventTimeSpec {
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly allowedLatenessMs: number;
}

/** One open window [start, start + size) of one key. Plain JSON: it lives in keyed state. */
export interface OpenWindow {
  start: number;
  /** The last reading added; its topic, key and meta label the emitted features. */
  last: Message;
  acc: Accumulator;
}

export interface KeyWindows {
  /** Largest event time seen for the key; the watermark is this minus the allowed lateness. */
  maxTs: number;
  /** Sorted by start. */
  open: OpenWindow[];
}

/**
 * Builds the message handler of an event-time window node. Each window is emitted on `out` once,
 * when the key's watermark reaches its end; a reading whose windows have all been emitted already
 * goes to `late` unchanged and is counted.
 */
export function eventTimeWindows(
  spec: EventTimeSpec,
  features: WindowFeatures,
  ctx: NodeContext<"out" | "late">,
): (msg: Message) => void {
  const { sizeMs: size, slideMs: slide, allowedLatenessMs: lateness } = spec;
  const fieldCount = features.fields.length;
  const state = ctx.keyed<KeyWindows>(() => ({ maxTs: Number.MIN_SAFE_INTEGER, open: [] }));

  function windowAt(windows: KeyWindows, start: number, msg: Message): OpenWindow {
    const open = windows.open;
    let i = open.length - 1;
    while (i >= 0 && open[i]!.start > start) i--;
    if (i >= 0 && open[i]!.start === start) return open[i]!;
    const created: OpenWindow = { start, last: msg, acc: accumulator(fieldCount) };
    open.splice(i + 1, 0, created);
    return created;
  }

  function emitClosed(windows: KeyWindows, watermark: number): void {
    const open = windows.open;
    let closed = 0;
    while (closed < open.length && open[closed]!.start + size <= watermark) {
      const w = open[closed++]!;
      const end = w.start + size;
      ctx.emit("out", { ...w.last, ts: end, payload: features.fromAccumulator(w.acc, w.start, end) });
    }
    if (closed > 0) open.splice(0, closed);
  }

  return (msg) => {
    const values = features.read(msg);
    const windows = state.get(msg.key ?? "");
    const watermark = windows.maxTs - lateness;
    const latestStart = Math.floor(msg.ts / slide) * slide;
    if (latestStart + size <= watermark) {
      ctx.metrics.count("late");
      ctx.emit("late", msg);
      return;
    }
    // Every window containing ts whose end the watermark has not reached yet.
    for (let start = latestStart; start + size > msg.ts && start + size > watermark; start -= slide) {
      const w = windowAt(windows, start, msg);
      accumulate(w.acc, values);
      w.last = msg;
    }
    if (msg.ts > windows.maxTs) {
      windows.maxTs = msg.ts;
      emitClosed(windows, msg.ts - lateness);
    }
  };
}
