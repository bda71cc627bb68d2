import { AiotError, Config, defineNode, isRecord, Type, type Message } from "../../runtime/sdk/index.ts";
import { Ddm, type DdmLevel } from "../lib/drift/detectors.ts";

interface Pending {
  readonly score: number;
  readonly ts: number;
  readonly model: string | undefined;
}

/** Rolling sums over the last `size` labelled predictions, in a ring. */
class Rolling {
  private readonly kinds: Uint8Array; // classification: 0 tn, 1 fp, 2 fn, 3 tp
  private readonly errors: Float64Array; // regression: absolute error
  private next = 0;
  filled = 0;
  readonly tally = [0, 0, 0, 0];
  absErrorSum = 0;

  constructor(readonly size: number) {
    this.kinds = new Uint8Array(size);
    this.errors = new Float64Array(size);
  }

  push(kind: number, absError: number): void {
    if (this.filled === this.size) {
      this.tally[this.kinds[this.next]!]! -= 1;
      this.absErrorSum -= this.errors[this.next]!;
    } else this.filled += 1;
    this.kinds[this.next] = kind;
    this.errors[this.next] = absError;
    this.tally[kind]! += 1;
    this.absErrorSum += absError;
    this.next = (this.next + 1) % this.size;
  }
}

export default defineNode({
  type: "performance-monitor",
  version: 1,
  family: "inference",
  title: "Performance monitor",
  summary: "Joins feedback labels to earlier predictions and tracks rolling precision/recall or MAE, with DDM decay events.",
  docs: `
Measures how right a model is once the truth is known (a technician's verdict, a later sensor value).

Predictions arrive on \`predictions\` and wait; a label on \`feedback\` is joined to its prediction
by \`key\` + \`ts\` (the feedback message carries the prediction's key and event time) or by an id
field present in both payloads. Each joined pair updates a rolling window of the last \`window\`
pairs and, every \`reportEvery\` pairs, a KPI message goes to \`metrics\`:
- **classification** (score >= \`threshold\` means positive, labels 0/1 or true/false):
  \`{ precision, recall, accuracy, count, model }\`;
- **regression**: \`{ mae, count, model }\`.

The error stream (misclassified, or |error| > \`tolerance\`) feeds DDM; entering its warning zone and
detecting decay each emit an event \`{ kind: "performance-decay", level: "warning" | "drift",
errorRate, count, model }\` on \`events\`.

Bad input never stops it: a prediction without a finite score is counted (\`invalid_predictions\`) and
dropped; a label without a finite value likewise (\`invalid_labels\`); a label matching no waiting
prediction raises FEEDBACK_UNKNOWN_PREDICTION on the error port. Predictions wait at most
\`maxPending\` deep and \`maxAgeMs\` of event time. Waiting predictions, the rolling window and DDM
start afresh on a redeploy.`,
  config: Config({
    task: Type.Union(
      [
        Type.Object(
          {
            kind: Type.Literal("classification", { description: "Binary classifier." }),
            threshold: Type.Number({ default: 0.5, description: "A score at or above this is a positive prediction." }),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            kind: Type.Literal("regression", { description: "Numeric prediction." }),
            tolerance: Type.Number({ minimum: 0, default: 1, description: "An absolute error above this counts as an error for DDM." }),
          },
          { additionalProperties: false },
        ),
      ],
      { default: { kind: "classification", threshold: 0.5 }, description: "What the model predicts." },
    ),
    scoreField: Type.String({ minLength: 1, default: "score", description: "Prediction payload field holding the score." }),
    labelField: Type.String({ minLength: 1, default: "label", description: "Feedback payload field holding the true label or value." }),
    joinBy: Type.Union([Type.Literal("key-ts"), Type.String({ pattern: "^id:.+$" })], {
      default: "key-ts",
      description: 'How a label finds its prediction: "key-ts" (same key and ts) or "id:<field>" (same payload field value).',
    }),
    window: Type.Integer({ minimum: 1, default: 500, description: "Labelled predictions in the rolling metrics." }),
    reportEvery: Type.Integer({ minimum: 1, default: 100, description: "Emit the rolling metrics after this many labels." }),
    maxPending: Type.Integer({ minimum: 1, default: 100_000, description: "Predictions kept waiting for a label (oldest dropped first)." }),
    maxAgeMs: Type.Integer({ minimum: 1, default: 86_400_000, unit: "ms", description: "A prediction older than this (event time) no longer waits for its label." }),
  }),
  inputs: {
    predictions: { kind: "prediction", description: "Model outputs with a score." },
    feedback: { kind: "any", description: "Labels: the true class or value of an earlier prediction." },
  },
  outputs: {
    metrics: { kind: "kpi", description: "Rolling precision/recall/accuracy or MAE." },
    events: { kind: "event", description: "Performance-decay events from DDM." },
  },
  examples: [
    { title: "Failure classifier, labels from maintenance", config: { task: { kind: "classification", threshold: 0.7 }, labelField: "failed" } },
    { title: "Energy forecast joined by id", config: { task: { kind: "regression", tolerance: 5 }, joinBy: "id:forecastId", window: 200, reportEvery: 50 } },
  ],
  create(config, ctx) {
    const { task, scoreField, labelField } = config;
    const idField = config.joinBy.startsWith("id:") ? config.joinBy.slice(3) : undefined;
    const pending = new Map<string, Pending>();
    const rolling = new Rolling(config.window);
    const ddm = new Ddm();
    let lastLevel: DdmLevel = "stable";
    let newestTs = Number.NEGATIVE_INFINITY;
    let labelled = 0;

    function joinKey(msg: Message, payload: Readonly<Record<string, unknown>>): string | undefined {
      if (idField === undefined) return `${msg.key ?? ""}\u0000${msg.ts}`;
      const id = payload[idField];
      return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
    }

    function expire(): void {
      for (const [k, p] of pending) {
        if (pending.size <= config.maxPending && p.ts >= newestTs - config.maxAgeMs) break;
        pending.delete(k);
        ctx.metrics.count("expired_predictions");
      }
    }

    function onPrediction(msg: Message): void {
      const payload = isRecord(msg.payload) ? msg.payload : {};
      const score = payload[scoreField];
      const key = joinKey(msg, payload);
      if (typeof score !== "number" || !Number.isFinite(score) || key === undefined) return void ctx.metrics.count("invalid_predictions");
      const model = typeof msg.meta?.["model"] === "string" ? msg.meta["model"] : undefined;
      pending.delete(key); // a re-sent prediction moves to the back
      pending.set(key, { score, ts: msg.ts, model });
      if (msg.ts > newestTs) newestTs = msg.ts;
      expire();
    }

    function onFeedback(msg: Message): void {
      const payload = isRecord(msg.payload) ? msg.payload : {};
      const raw = payload[labelField];
      const label = typeof raw === "boolean" ? Number(raw) : raw;
      if (typeof label !== "number" || !Number.isFinite(label)) return void ctx.metrics.count("invalid_labels");
      const key = joinKey(msg, payload);
      const prediction = key === undefined ? undefined : pending.get(key);
      if (!prediction) {
        const by = idField === undefined ? `key "${msg.key ?? ""}" and ts ${msg.ts}` : `${idField} ${JSON.stringify(payload[idField])}`;
        throw new AiotError("FEEDBACK_UNKNOWN_PREDICTION", `no waiting prediction for the label with ${by}`, { path: idField ? `payload.${idField}` : "ts" });
      }
      pending.delete(key!);
      let error: boolean;
      if (task.kind === "classification") {
        const predicted = prediction.score >= task.threshold;
        const actual = label >= 0.5;
        rolling.push((actual ? 2 : 0) + (predicted ? 1 : 0), 0);
        error = predicted !== actual;
      } else {
        const absError = Math.abs(prediction.score - label);
        rolling.push(0, absError);
        error = absError > task.tolerance;
      }
      labelled += 1;
      const level = ddm.add(error);
      if (level !== "stable" && level !== lastLevel) {
        const errorRate = ddm.lastRate;
        ctx.metrics.count(level === "drift" ? "decay_events" : "decay_warnings");
        ctx.emit("events", { topic: "performance", ts: msg.ts, payload: { kind: "performance-decay", detector: "ddm", level, errorRate, count: labelled, model: prediction.model } });
      }
      lastLevel = level === "drift" ? "stable" : level;
      if (labelled % config.reportEvery === 0) ctx.emit("metrics", { topic: "performance", ts: msg.ts, payload: { ...report(), model: prediction.model } });
    }

    function report(): Record<string, number> {
      const n = rolling.filled;
      if (task.kind === "regression") return { mae: rolling.absErrorSum / n, count: n };
      const [tn, fp, fn, tp] = rolling.tally as [number, number, number, number];
      return { precision: tp + fp === 0 ? 0 : tp / (tp + fp), recall: tp + fn === 0 ? 0 : tp / (tp + fn), accuracy: (tp + tn) / n, count: n };
    }

    return {
      onMessage(msg, port) {
        if (port === "predictions") onPrediction(msg);
        else onFeedback(msg);
      },
    };
  },
});
