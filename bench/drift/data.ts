// The drift benchmark's data, identical in both systems (node-red.cjs has the same three lines):
// 4 features uniform on [0, 1) from a sine hash, and from the middle of each pass f0 shifted by +0.3.
export const FEATURES = 4;
export const WINDOW = 1000;
export const EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
export const PROPORTIONS = new Array<number>(10).fill(0.1);

const frac = (x: number) => x - Math.floor(x);

export function row(i: number, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let f = 0; f < FEATURES; f++) out[`f${f}`] = frac(Math.sin((i + 1) * 12.9898 + f * 78.233) * 43758.5453) + (f === 0 && i >= n / 2 ? 0.3 : 0);
  return out;
}

const histograms = Object.fromEntries(Array.from({ length: FEATURES }, (_, f) => [`f${f}`, { edges: EDGES, proportions: PROPORTIONS }]));
export const DRIFT_CONFIG = {
  features: Array.from({ length: FEATURES }, (_, f) => `f${f}`),
  reference: { from: "inline", histograms },
  statistic: "psi",
  threshold: 0.25,
  window: { by: "count", count: WINDOW },
  minCount: 200,
};
