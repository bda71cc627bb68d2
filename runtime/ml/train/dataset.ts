/**
 * Training data as trainers take it: a matrix of finite features (rows in one column order) and,
 * for supervised models, one finite label per row. Checked once here so every trainer refuses bad
 * data the same way (TRAINING_SET_EMPTY, TRAINING_SET_INVALID naming the row).
 */
import { AiotError } from "../../sdk/errors.ts";

export interface Dataset {
  readonly featureNames: readonly string[];
  readonly x: readonly (readonly number[])[];
  /** Required by supervised trainers. */
  readonly y?: readonly number[];
}

/** Column means and standard deviations (a constant column gets std 1, so scaling leaves it alone). */
export interface Scaling {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export function checkDataset(data: Dataset, needsLabels: boolean): void {
  const width = data.featureNames.length;
  if (data.x.length === 0) throw new AiotError("TRAINING_SET_EMPTY", "the training set has no rows", { path: "x" });
  if (width === 0) throw new AiotError("TRAINING_SET_INVALID", "the training set names no features", { path: "featureNames" });
  data.x.forEach((row, i) => {
    if (row.length !== width) throw new AiotError("TRAINING_SET_INVALID", `row ${i} has ${row.length} features, expected ${width}`, { path: `x[${i}]` });
    const bad = row.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
    if (bad >= 0) throw new AiotError("TRAINING_SET_INVALID", `row ${i}: feature "${data.featureNames[bad]}" is ${String(row[bad])}, not a finite number`, { path: `x[${i}][${bad}]` });
  });
  if (!needsLabels) return;
  if (!data.y || data.y.length !== data.x.length) {
    throw new AiotError("TRAINING_SET_INVALID", `needs one label per row (${data.x.length} rows, ${data.y?.length ?? 0} labels)`, { path: "y" });
  }
  const bad = data.y.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0) throw new AiotError("TRAINING_SET_INVALID", `label of row ${bad} is ${String(data.y[bad])}, not a finite number`, { path: `y[${bad}]` });
}

export function scalingOf(x: readonly (readonly number[])[]): Scaling {
  const width = x[0]!.length;
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  for (const row of x) for (let j = 0; j < width; j++) mean[j]! += row[j]! / x.length;
  for (const row of x) for (let j = 0; j < width; j++) sq[j]! += (row[j]! - mean[j]!) ** 2 / x.length;
  return { mean, std: sq.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

export function scaleRow(row: readonly number[], s: Scaling): number[] {
  return row.map((v, j) => (v - s.mean[j]!) / s.std[j]!);
}

/**
 * Folds input standardisation into a linear layer, so the exported model takes raw features:
 * w·((x - mean) / std) + b = (w / std)·x + (b - Σ w·mean / std).
 */
export function foldScaling(weights: readonly number[], bias: number, s: Scaling): { weights: number[]; bias: number } {
  const folded = weights.map((w, j) => w / s.std[j]!);
  return { weights: folded, bias: bias - weights.reduce((sum, w, j) => sum + (w * s.mean[j]!) / s.std[j]!, 0) };
}
