/**
 * The envelope every message travels in. Immutable by contract: a node that wants to change a
 * message builds a new one (`{ ...msg, payload: next }`), so fan-out needs no cloning.
 */
export interface Message<P = unknown> {
  readonly topic: string;
  /** Asset or device identity; keyed state and windows are partitioned by it. */
  readonly key?: string;
  /** Event time in epoch milliseconds. */
  readonly ts: number;
  readonly payload: P;
  /** Lineage and quality: source, model name@version, quality flags. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** A payload of named numeric signals, e.g. `{ vibration: 2.1, temperature: 61.4 }`. */
export type SignalPayload = Readonly<Record<string, unknown>>;

/** Reads `payload.<field>` as a finite number, or undefined when absent or not a number. */
export function readNumber(payload: unknown, field: string): number | undefined {
  if (payload === null || typeof payload !== "object") return undefined;
  const value = (payload as Record<string, unknown>)[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** True when the payload is a plain object whose fields can be read by name. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
