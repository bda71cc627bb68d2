// Raw onnxruntime-node: session.run rows/s at batch 64 (and 1), the ceiling the inference node is
// measured against. One JSON line on stdout.
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { benchModel, FEATURES, modelSizeOf, readingValue } from "./model.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1] || 3);

async function rowsPerSecond(session: ort.InferenceSession, batch: number): Promise<number> {
  const data = Float32Array.from({ length: batch * FEATURES.length }, (_, k) => readingValue(Math.floor(k / FEATURES.length), k % FEATURES.length));
  for (let i = 0; i < 200; i++) await session.run({ features: new ort.Tensor("float32", data, [batch, FEATURES.length]) });
  let runs = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    await session.run({ features: new ort.Tensor("float32", data, [batch, FEATURES.length]) });
    runs++;
  }
  return (runs * batch) / ((performance.now() - start) / 1000);
}

const size = modelSizeOf(process.argv.includes("--model") ? process.argv[process.argv.indexOf("--model") + 1] : undefined);
const session = await ort.InferenceSession.create(benchModel(32, size), { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
const batch64 = await rowsPerSecond(session, 64);
const batch1 = await rowsPerSecond(session, 1);
process.stdout.write(`${JSON.stringify({ system: "raw-onnxruntime", correct: true, rows_per_s_batch64: batch64, rows_per_s_batch1: batch1, peak_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exit(0);
