import { Config, defineNode, isRecord, Type } from "../../runtime/sdk/index.ts";
import { FEATURE_STORE } from "../../runtime/sdk/feature-store.ts";

export default defineNode({
  type: "feature-store",
  version: 1,
  family: "sinks",
  title: "Feature store",
  summary: "Records the feature vectors a model saw (with its score and, later, the true label) for retraining.",
  docs: `
Writes each message's \`features\` (in the order given, which is the model's column order) to the
runtime's feature store (SQLite in the data directory), with the message's \`key\` and \`ts\`, the
flow id and deployed version, a hash of the feature list, \`meta.model\` and the \`scoreField\`.
Training then uses exactly what serving saw (\`GET /api/features/training-set\`).

Labels arrive later on \`labels\`: \`{ key, ts, payload: { label: 1 } }\` with the key and event time
of the recorded vector. A label matching no row is counted (\`unmatched_labels\`).

A vector with a missing or non-finite (NaN) feature is not recorded and is counted
(\`invalid_vectors\`). Needs a runtime with a data directory (\`aiotflow serve\`, \`aiotflow run
--data-dir\`); elsewhere the deploy fails with SERVICE_UNAVAILABLE.`,
  config: Config({
    features: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "Payload fields to record, in the model's column order." }),
    scoreField: Type.Optional(Type.String({ minLength: 1, description: "Payload field with the model's score, recorded beside the features." })),
    labelField: Type.String({ minLength: 1, default: "label", description: "Field of a `labels` message holding the true label." }),
  }),
  inputs: {
    in: { kind: "any", description: "Feature vectors or predictions carrying the features." },
    labels: { kind: "any", description: "True labels of recorded vectors, by key and ts." },
  },
  outputs: {},
  examples: [
    { title: "Record the pump model's inputs and score", config: { features: ["vibration_rms", "temperature_mean"], scoreField: "score" } },
    { title: "Labels from maintenance tickets", config: { features: ["current_mean"], labelField: "failed" } },
  ],
  create(config, ctx) {
    const store = ctx.use(FEATURE_STORE);
    return {
      onMessage(msg, port) {
        const payload = isRecord(msg.payload) ? msg.payload : {};
        if (port === "labels") {
          const raw = payload[config.labelField];
          const label = typeof raw === "boolean" ? Number(raw) : raw;
          if (typeof label !== "number" || !Number.isFinite(label)) return void ctx.metrics.count("invalid_labels");
          if (store.label(msg.key ?? "", msg.ts, label) === 0) ctx.metrics.count("unmatched_labels");
          return;
        }
        const features: Record<string, number> = {};
        for (const name of config.features) {
          const value = payload[name];
          if (typeof value !== "number" || !Number.isFinite(value)) return void ctx.metrics.count("invalid_vectors");
          features[name] = value;
        }
        const score = config.scoreField === undefined ? undefined : payload[config.scoreField];
        const model = msg.meta?.["model"];
        store.record({
          flowId: ctx.flowId,
          key: msg.key ?? "",
          ts: msg.ts,
          features,
          ...(typeof score === "number" ? { score } : {}),
          ...(typeof model === "string" ? { model } : {}),
        });
      },
    };
  },
});
