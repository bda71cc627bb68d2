/**
 * What a model slot hands back for each run: the run's outputs and inputs for all of its rows, a row
 * being an index into them (a view or object per row was a measurable share of the node's cost).
 */
import type { ModelRunner, ModelVersionInfo } from "../../../runtime/sdk/models.ts";

/** One model run: its outputs and inputs for every row of the chunk; a row is an index into them. */
export interface ScoredChunk {
  /** The first output, `columns` values per row. */
  readonly outputs: Float32Array;
  /** The input rows as the model saw them, `width` values per row, in its feature order. */
  readonly inputs: Float32Array;
  readonly columns: number;
  readonly width: number;
  readonly model: ModelVersionInfo;
  /** `name@version`, made once per version (meta.model). */
  readonly modelId: string;
  /** The runner the rows were scored with, for a follow-up run (explanations) on the same version. */
  readonly runner: ModelRunner;
  readonly latencyMs: number;
  /**
   * Call once per row when done with its inputs and outputs; after the last row the input buffer is
   * reused for a later run (a fresh 8 KB tensor per run was a measurable share of the node's cost).
   * A row never consumed only means its buffer is left to the garbage collector.
   */
  consumed(): void;
}

/** Where the results of submitted rows go; `index` is the row's position in what was submitted. */
export interface RowSink {
  scored(index: number, chunk: ScoredChunk, row: number): void;
  failed(index: number, error: unknown): void;
  /** Every row of a run that touched this sink has been passed to `scored` or `failed`. */
  settled(): void;
}

/** A run's results; returns its input buffer to the slot's free list once every row is consumed. */
export class ScoredRun implements ScoredChunk {
  constructor(
    readonly outputs: Float32Array,
    readonly inputs: Float32Array,
    readonly columns: number,
    readonly width: number,
    readonly model: ModelVersionInfo,
    readonly modelId: string,
    readonly runner: ModelRunner,
    readonly latencyMs: number,
    private unconsumed: number,
    private readonly buffer: Float32Array,
    private readonly free: Float32Array[],
  ) {}

  consumed(): void {
    if (--this.unconsumed === 0 && this.free.length < 4) this.free.push(this.buffer);
  }
}

/** The row's output values (a view). */
export function outputsOf(chunk: ScoredChunk, row: number): Float32Array {
  return chunk.outputs.subarray(row * chunk.columns, (row + 1) * chunk.columns);
}

/** The row's input values in the model's feature order (a view). */
export function inputsOf(chunk: ScoredChunk, row: number): Float32Array {
  return chunk.inputs.subarray(row * chunk.width, (row + 1) * chunk.width);
}
