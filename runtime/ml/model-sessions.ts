/**
 * onnxruntime sessions shared by file hash: two nodes (or an A/B pair) on the same model version load
 * it once. A session closes when its last user releases it.
 */
import * as ort from "onnxruntime-node";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import type { ModelOutputTensor, ModelRunner, ModelVersionInfo } from "../sdk/models.ts";

interface SharedSession {
  readonly session: Promise<ort.InferenceSession>;
  users: number;
}

export class SessionPool {
  private readonly sessions = new Map<string, SharedSession>();

  /** A runner for `info` over `bytes` (already hash-checked by the caller). */
  async acquire(info: ModelVersionInfo, bytes: Uint8Array): Promise<ModelRunner> {
    let shared = this.sessions.get(info.sha256);
    if (!shared) {
      const session = ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
      shared = { session, users: 0 };
      this.sessions.set(info.sha256, shared);
      session.catch(() => this.sessions.delete(info.sha256));
    }
    shared.users++;
    let session: ort.InferenceSession;
    try {
      session = await shared.session;
    } catch (error) {
      shared.users--;
      throw new AiotError("MODEL_NOT_ONNX", `model ${info.name}@${info.version} does not load in onnxruntime: ${errorMessage(error)}`, { model: `${info.name}@${info.version}` }, { cause: error });
    }
    return runnerFor(info, session, () => this.releaseOne(info.sha256));
  }

  private async releaseOne(sha256: string): Promise<void> {
    const shared = this.sessions.get(sha256);
    if (!shared || --shared.users > 0) return;
    this.sessions.delete(sha256);
    await (await shared.session).release();
  }

  /** Releases every session (runtime shutdown). */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s.session.catch(() => undefined))?.release()));
  }
}

function runnerFor(info: ModelVersionInfo, session: ort.InferenceSession, release: () => Promise<void>): ModelRunner {
  const inputName = session.inputNames[0] ?? "features";
  const width = info.featureNames.length;
  let released = false;
  return {
    info,
    async run(features, rows) {
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run({ [inputName]: new ort.Tensor("float32", features, [rows, width]) });
      } catch (error) {
        throw new AiotError("MODEL_RUN_FAILED", `model ${info.name}@${info.version} failed on a batch of ${rows}: ${errorMessage(error)}`, { model: `${info.name}@${info.version}` }, { cause: error });
      }
      const outputs: Record<string, ModelOutputTensor> = {};
      for (const [name, value] of Object.entries(result)) {
        if (value instanceof ort.Tensor) outputs[name] = { data: asFloat32(value.data), dims: value.dims };
      }
      return outputs;
    },
    async release() {
      if (released) return;
      released = true;
      await release();
    },
  };
}

function asFloat32(data: ort.Tensor["data"]): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  if (Array.isArray(data)) return new Float32Array(data.length).fill(Number.NaN); // string tensors: no numeric meaning
  return Float32Array.from(data);
}
