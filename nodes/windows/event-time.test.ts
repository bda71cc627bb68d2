import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import slidingWindow from "./sliding-window.ts";

// The helper is exercised through sliding-window, its simplest host (tumbling = slide equal to size).

const T0 = Date.UTC(2026, 0, 1);

function stream(length: number, stepMs: number): Message[] {
  return Array.from({ length }, (_, i) => ({ topic: "t", key: "k", ts: T0 + i * stepMs, payload: { x: (i * 37) % 11 } }));
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** Every window [k*slide, k*slide + size) that ends at or before `until`, computed in one batch. */
function batchWindows(readings: readonly Message[], size: number, slide: number, until: number): Array<[number, number, number]> {
  const sums = new Map<number, [number, number]>();
  for (const r of readings) {
    for (let start = Math.floor(r.ts / slide) * slide; start + size > r.ts; start -= slide) {
      const [n, total] = sums.get(start) ?? [0, 0];
      sums.set(start, [n + 1, total + (r.payload as { x: number }).x]);
    }
  }
  return [...sums]
    .filter(([start]) => start + size <= until)
    .sort(([a], [b]) => a - b)
    .map(([start, [n, total]]) => [start, n, round(total / n)]);
}

function emittedWindows(h: { out(port: "out"): Message[] }): Array<[number, number, number]> {
  return h.out("out").map((m) => {
    const p = m.payload as Record<string, number>;
    return [p["window_start"]!, p["count"]!, round(p["x_mean"]!)];
  });
}

describe("event-time windows", () => {
  const shapes = [
    { sizeMs: 10_000, slideMs: 10_000, stepMs: 700 },
    { sizeMs: 10_000, slideMs: 5_000, stepMs: 1_300 },
    { sizeMs: 10_000, slideMs: 3_000, stepMs: 900 },
    { sizeMs: 1_000, slideMs: 250, stepMs: 4_000 },
  ];
  for (const { sizeMs, slideMs, stepMs } of shapes) {
    it(`match a batch computation for size ${sizeMs} ms, slide ${slideMs} ms, a reading every ${stepMs} ms`, () => {
      const readings = stream(200, stepMs);
      const h = harness(slidingWindow, { fields: ["x"], stats: ["mean"], window: { by: "time", sizeMs, slideMs } });
      for (const r of readings) h.send(r);
      const until = readings.at(-1)!.ts;
      assert.deepEqual(emittedWindows(h), batchWindows(readings, sizeMs, slideMs, until));
    });
  }

  it("give the same windows for readings shuffled within the allowed lateness", () => {
    const readings = stream(300, 500);
    const shuffled = readings.slice();
    for (let i = 0; i + 4 < shuffled.length; i += 5) shuffled.splice(i, 5, ...shuffled.slice(i, i + 5).reverse()); // at most 2 s of disorder
    const config = { fields: ["x"], stats: ["mean"], window: { by: "time", sizeMs: 10_000, slideMs: 2_000, allowedLatenessMs: 2_000 } };
    const ordered = harness(slidingWindow, config);
    const disordered = harness(slidingWindow, config);
    for (const r of readings) ordered.send(r);
    for (const r of shuffled) disordered.send(r);
    assert.deepEqual(disordered.out("late"), []);
    assert.ok(emittedWindows(ordered).length > 50);
    assert.deepEqual(emittedWindows(disordered), emittedWindows(ordered));
  });

  it("keep one watermark per key, so a quiet device's windows stay open", () => {
    const h = harness(slidingWindow, { fields: ["x"], stats: ["mean"], window: { by: "time", sizeMs: 1_000, slideMs: 1_000 } });
    h.send({ topic: "t", key: "quiet", ts: T0, payload: { x: 1 } });
    h.send({ topic: "t", key: "busy", ts: T0, payload: { x: 2 } });
    h.send({ topic: "t", key: "busy", ts: T0 + 5_000, payload: { x: 3 } });
    assert.deepEqual(h.out("out").map((m) => m.key), ["busy"]);
    h.send({ topic: "t", key: "quiet", ts: T0 + 500, payload: { x: 5 } }); // not late: the quiet key's watermark is its own
    h.send({ topic: "t", key: "quiet", ts: T0 + 1_000, payload: { x: 0 } });
    assert.deepEqual(h.out("out").map((m) => [m.key, (m.payload as Record<string, number>)["x_mean"]]), [["busy", 2], ["quiet", 3]]);
  });
});
