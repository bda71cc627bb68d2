import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accumulate, accumulator, rollingPush, rollingWindow, STAT_NAMES, WindowFeatures, type FeaturePayload } from "./window-stats.ts";

/** A small seeded generator so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function naive(values: readonly number[]): Record<string, number> {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { mean, std: Math.sqrt(variance), min, max, rms: Math.sqrt(values.reduce((a, b) => a + b * b, 0) / n), p2p: max - min };
}

function assertClose(actual: FeaturePayload, field: string, expected: Record<string, number>, context: string): void {
  for (const stat of STAT_NAMES) {
    const got = actual[`${field}_${stat}`]!;
    const want = expected[stat]!;
    const tolerance = 1e-9 * Math.max(1, Math.abs(want));
    assert.ok(Math.abs(got - want) <= tolerance, `${context}: ${field}_${stat} = ${got}, expected ${want}`);
  }
}

const series: Array<{ name: string; size: number; length: number; value: (i: number, r: () => number) => number }> = [
  { name: "noisy temperature around 55 °C", size: 10, length: 500, value: (_, r) => 55 + (r() - 0.5) * 0.4 },
  { name: "large offset with tiny variance", size: 32, length: 2_000, value: (_, r) => 1e6 + r() * 1e-3 },
  { name: "steadily rising values", size: 7, length: 100, value: (i) => i * 0.5 },
  { name: "steadily falling values", size: 7, length: 100, value: (i) => -i * 0.25 },
  { name: "constant values", size: 5, length: 50, value: () => 3.3 },
  { name: "repeated ties and sign changes", size: 4, length: 300, value: (_, r) => Math.round((r() - 0.5) * 4) },
  { name: "the smallest window", size: 2, length: 100, value: (_, r) => r() * 100 - 50 },
  { name: "a window larger than the data", size: 1_000, length: 300, value: (_, r) => r() * 10 },
];

describe("rolling count window", () => {
  for (const { name, size, length, value } of series) {
    it(`matches a naive computation over the last readings: ${name}`, () => {
      const r = random(size * 7919 + length);
      const features = new WindowFeatures(["x", "y"], STAT_NAMES);
      const w = rollingWindow(size, 2);
      const xs: number[] = [];
      const ys: number[] = [];
      for (let i = 0; i < length; i++) {
        const x = value(i, r);
        const y = r() * 5;
        xs.push(x);
        ys.push(y);
        rollingPush(w, 1_000 + i, [x, y]);
        const payload = features.fromRolling(w);
        const from = Math.max(0, i + 1 - size);
        assertClose(payload, "x", naive(xs.slice(from)), `${name} at ${i}`);
        assertClose(payload, "y", naive(ys.slice(from)), `${name} at ${i}`);
        assert.equal(payload["count"], i + 1 - from);
        assert.equal(payload["window_start"], 1_000 + from);
        assert.equal(payload["window_end"], 1_000 + i);
      }
    });
  }

  it("continues exactly after its state went through JSON (a snapshot restore)", () => {
    const r = random(42);
    const features = new WindowFeatures(["x"], STAT_NAMES);
    let w = rollingWindow(8, 1);
    const xs: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 37 === 0) w = JSON.parse(JSON.stringify(w));
      const x = r() * 20 - 10;
      xs.push(x);
      rollingPush(w, i, [x]);
    }
    assertClose(features.fromRolling(w), "x", naive(xs.slice(-8)), "after restores");
  });
});

describe("accumulator", () => {
  for (const { name, length, value } of series) {
    it(`matches a naive computation over all readings: ${name}`, () => {
      const r = random(length);
      const features = new WindowFeatures(["x"], STAT_NAMES);
      const acc = accumulator(1);
      const xs: number[] = [];
      for (let i = 0; i < length; i++) {
        const x = value(i, r);
        xs.push(x);
        accumulate(acc, [x]);
      }
      const payload = features.fromAccumulator(acc, 0, 60_000);
      assertClose(payload, "x", naive(xs), name);
      assert.deepEqual([payload["count"], payload["window_start"], payload["window_end"]], [length, 0, 60_000]);
    });
  }

  it("starts over when n is reset to 0", () => {
    const features = new WindowFeatures(["x"], ["min", "max", "mean"]);
    const acc = accumulator(1);
    for (const x of [100, -100, 7]) accumulate(acc, [x]);
    acc.n = 0;
    for (const x of [2, 4]) accumulate(acc, [x]);
    assert.deepEqual(features.fromAccumulator(acc, 0, 1), { x_min: 2, x_max: 4, x_mean: 3, count: 2, window_start: 0, window_end: 1 });
  });
});

describe("window features", () => {
  it("writes only the chosen statistics, named <field>_<stat>", () => {
    const features = new WindowFeatures(["vibration"], ["rms", "p2p"]);
    const acc = accumulator(1);
    for (const x of [3, 4]) accumulate(acc, [x]);
    assert.deepEqual(features.fromAccumulator(acc, 10, 20), {
      vibration_rms: Math.sqrt(12.5),
      vibration_p2p: 1,
      count: 2,
      window_start: 10,
      window_end: 20,
    });
  });

  const badPayloads: Array<{ name: string; payload: unknown; path: string; message: RegExp }> = [
    { name: "the field missing", payload: { temperature: 50 }, path: "payload.vibration", message: /is missing/ },
    { name: "the field a string", payload: { vibration: "2.1" }, path: "payload.vibration", message: /not a finite number: "2.1"/ },
    { name: "the field NaN", payload: { vibration: Number.NaN }, path: "payload.vibration", message: /not a finite number: NaN/ },
    { name: "the field null", payload: { vibration: null }, path: "payload.vibration", message: /not a finite number: null/ },
    { name: "a number as payload", payload: 2.1, path: "payload", message: /not an object/ },
    { name: "a null payload", payload: null, path: "payload", message: /not an object/ },
  ];
  for (const { name, payload, path, message } of badPayloads) {
    it(`refuses a reading with ${name}, naming ${path}`, () => {
      const features = new WindowFeatures(["vibration"], STAT_NAMES);
      assert.throws(() => features.read({ topic: "t", ts: 0, payload }), { code: "MESSAGE_SHAPE_INVALID", details: { path }, message });
    });
  }
});
