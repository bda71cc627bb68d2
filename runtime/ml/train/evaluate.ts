/**
 * Held-out loss of a model as onnxruntime runs it, the same for a fresh candidate and the production
 * version: classification error rate (score >= 0.5 is class 1), regression MAE, or an
 * autoencoder's mean squared reconstruction error. Lower is better for all three.
 */
import type { RetrainTask } from "../../sdk/retrain.ts";

export function heldOutLoss(task: RetrainTask, x: readonly (readonly number[])[], y: readonly (number | null)[], outputs: readonly (readonly number[])[]): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const out = outputs[i]!;
    if (task === "classification") sum += ((out[0]! >= 0.5 ? 1 : 0) === (y[i]! >= 0.5 ? 1 : 0) ? 0 : 1);
    else if (task === "regression") sum += Math.abs(out[0]! - y[i]!);
    else sum += x[i]!.reduce((s, v, j) => s + (out[j]! - v) ** 2, 0) / x[i]!.length;
  }
  return sum / x.length;
}

/** The score a row gets for its reference statistics: the output, or the reconstruction error. */
export function scoreOf(task: RetrainTask, row: readonly number[], out: readonly number[]): number {
  return task === "anomaly" ? row.reduce((s, v, j) => s + (out[j]! - v) ** 2, 0) / row.length : out[0]!;
}

/** Splits rows into an older training part and the newest `holdoutShare` (rows arrive in time order). */
export function chronologicalSplit<T>(rows: readonly T[], holdoutShare: number): { train: T[]; holdout: T[] } {
  const cut = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * (1 - holdoutShare))));
  return { train: rows.slice(0, cut), holdout: rows.slice(cut) };
}
