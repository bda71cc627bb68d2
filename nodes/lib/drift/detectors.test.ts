import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../../runtime/sdk/seeded-random.ts";
import { Adwin, Ddm, PageHinkley, type ChangeDetector } from "./detectors.ts";

/** Index of the first alarm (or -1) for `n` values drawn by `draw`. */
function firstAlarm(detector: ChangeDetector, n: number, draw: (i: number) => number): number {
  for (let i = 0; i < n; i++) if (detector.add(draw(i))) return i;
  return -1;
}

describe("change detectors on a score stream", () => {
  const detectors: Array<[string, () => ChangeDetector]> = [
    ["Page-Hinkley", () => new PageHinkley({ delta: 0.05, threshold: 25, minInstances: 30 })],
    ["ADWIN", () => new Adwin()],
  ];
  for (const [name, make] of detectors) {
    it(`${name} raises no alarm on 20,000 stationary values (seeded)`, () => {
      for (const seed of [1, 2, 3]) {
        const random = new SeededRandom(seed);
        assert.equal(firstAlarm(make(), 20_000, () => 0.5 + 0.1 * random.gaussian()), -1, `seed ${seed}`);
      }
    });

    it(`${name} alarms within 300 values of a mean shift up or down`, () => {
      for (const shift of [0.2, -0.2]) {
        const random = new SeededRandom(7);
        const detector = make();
        assert.equal(firstAlarm(detector, 2_000, () => 0.5 + 0.1 * random.gaussian()), -1);
        const after = firstAlarm(detector, 2_000, () => 0.5 + shift + 0.1 * random.gaussian());
        assert.ok(after >= 0 && after < 300, `${name} shift ${shift}: alarm after ${after}`);
      }
    });
  }

  it("ADWIN shrinks its window to the values after the change", () => {
    const random = new SeededRandom(11);
    const adwin = new Adwin();
    for (let i = 0; i < 4_000; i++) adwin.add(random.gaussian() * 0.1);
    assert.ok(adwin.count > 3_500);
    for (let i = 0; i < 1_000; i++) adwin.add(1 + random.gaussian() * 0.1);
    assert.ok(adwin.count <= 1_100, `width ${adwin.count}`);
    assert.ok(Math.abs(adwin.mean - 1) < 0.05, `mean ${adwin.mean}`);
  });

  it("Page-Hinkley waits for its minimum number of values", () => {
    const ph = new PageHinkley({ delta: 0, threshold: 1, minInstances: 50 });
    assert.equal(firstAlarm(ph, 49, (i) => (i < 10 ? 0 : 100)), -1);
  });
});

describe("DDM on an error stream", () => {
  it("stays stable at a constant 10% error rate", () => {
    const random = new SeededRandom(5);
    const ddm = new Ddm();
    const levels = Array.from({ length: 20_000 }, () => ddm.add(random.next() < 0.1));
    assert.equal(levels.filter((l) => l === "drift").length, 0);
  });

  it("warns, then signals drift within 500 predictions after the error rate rises from 10% to 40%", () => {
    const random = new SeededRandom(6);
    const ddm = new Ddm();
    for (let i = 0; i < 2_000; i++) assert.notEqual(ddm.add(random.next() < 0.1), "drift");
    const levels: string[] = [];
    for (let i = 0; i < 500 && !levels.includes("drift"); i++) levels.push(ddm.add(random.next() < 0.4));
    assert.ok(levels.includes("warning"), "a warning comes first");
    assert.equal(levels.at(-1), "drift", `no drift within 500 (last ${levels.at(-1)})`);
    assert.equal(ddm.count, 0, "starts afresh after the drift");
  });
});
