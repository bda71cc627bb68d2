import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom, streamSeed } from "./seeded-random.ts";

const draws = (random: SeededRandom, n: number, draw: (r: SeededRandom) => number) => Array.from({ length: n }, () => draw(random));

describe("seeded random", () => {
  it("repeats the same sequence for the same seed", () => {
    assert.deepEqual(draws(new SeededRandom(7), 100, (r) => r.gaussian()), draws(new SeededRandom(7), 100, (r) => r.gaussian()));
    assert.notDeepEqual(draws(new SeededRandom(7), 10, (r) => r.next()), draws(new SeededRandom(8), 10, (r) => r.next()));
  });

  it("draws uniforms in [0, 1) with mean 1/2", () => {
    const xs = draws(new SeededRandom(1), 100_000, (r) => r.next());
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5) < 0.01);
  });

  it("draws standard normals (mean 0, standard deviation 1)", () => {
    const xs = draws(new SeededRandom(1), 100_000, (r) => r.gaussian());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.02, `std ${std}`);
    assert.ok(xs.every(Number.isFinite));
  });

  it("gives neighbouring seeds and devices unrelated streams", () => {
    const seeds = [streamSeed(1, 0), streamSeed(1, 1), streamSeed(2, 0), streamSeed(2, 1), streamSeed(0, 0)];
    assert.equal(new Set(seeds).size, seeds.length);
    const first = seeds.map((seed) => new SeededRandom(seed).next());
    assert.equal(new Set(first).size, first.length);
  });
});
