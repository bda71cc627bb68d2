/**
 * The feature store as nodes see it: `const store = ctx.use(FEATURE_STORE)` in `create`. The runtime
 * (serve, `aiotflow run --data-dir`, tests) provides it; the implementation is
 * runtime/ml/feature-store.ts (SQLite in the data directory).
 *
 * @example
 * const store = ctx.use(FEATURE_STORE);
 * store.record({ flowId: ctx.flowId, key: "pump-1", ts, features: { rms: 2.1 }, model: "pump@3", score: 0.7 });
 * store.label("pump-1", ts, 1); // later, when the truth is known
 */
import { serviceKey, type ServiceKey } from "./services.ts";

/** One feature vector as serving saw it. */
export interface FeatureEntry {
  readonly flowId: string;
  readonly key: string;
  /** Event time of the vector (epoch ms); with `key` it identifies the row for a later label. */
  readonly ts: number;
  /** Feature name -> value, in the model's column order. */
  readonly features: Readonly<Record<string, number>>;
  /** `name@version` of the model that scored it, if any. */
  readonly model?: string;
  readonly score?: number;
  /** Known at once (a supervised source); usually attached later with `label`. */
  readonly label?: number;
}

export interface FeatureRecorder {
  /** Buffers the entry; rows reach the database in batches (a transaction each). */
  record(entry: FeatureEntry): void;
  /** Attaches the true label to the rows of `key` at event time `ts`; returns how many rows it labelled. */
  label(key: string, ts: number, label: number): number;
}

export const FEATURE_STORE: ServiceKey<FeatureRecorder> = serviceKey<FeatureRecorder>("feature-store");
