import { Config, defineNode, Type } from "../../../runtime/sdk/index.ts";
import { MODELS, type ModelRef } from "../../../runtime/sdk/models.ts";
import { InferenceHandler } from "./inference-batch.ts";
import { ModelSlot, type SlotOptions } from "./model-slot.ts";
import type { OutputMapping } from "./prediction.ts";

const version = (description: string) =>
  Type.Union([Type.Integer({ minimum: 1 }), Type.Enum(["production", "candidate"])], { default: "production", description });

export default defineNode({
  type: "onnx-inference",
  version: 1,
  family: "inference",
  title: "ONNX inference",
  summary: "Scores feature vectors with a registered ONNX model, micro-batched, with A/B variants, a shadow model and explanations.",
  docs: `
Runs a model from the model registry (\`aiotflow models list\`) on onnxruntime, inside the flow.

- **Model**: \`model\` + \`version\` (a number, or the stage alias \`production\` / \`candidate\`). Following
  an alias, the node switches to a newly promoted version between two batches: no message is dropped
  or scored twice; if the new version cannot load (hash mismatch, inputs that do not fit) it keeps
  serving the running one and logs why.
- **Features**: each model column is read from the payload field of the same name. List the fields
  the flow provides in \`features\`: the deploy then fails (MODEL_INPUT_MISMATCH) if the model needs a
  feature not listed or its input is not float32 [N, features]. A message with a missing or non-finite
  feature goes to \`error\` (MODEL_FEATURE_INVALID); a batch the model fails on is MODEL_RUN_FAILED for
  each of its messages. The flow keeps running either way.
- **Batching**: the engine hands the node what is queued for it at once; rows wait until \`maxBatch\`
  are queued or \`maxWaitMs\` passed (0: the current burst), with up to \`concurrency\` batches running.
  The outputs of a batch leave in arrival order.
- **Output**: the payload gains \`score\` (and \`label\` / \`probabilities\` per \`output\`), and
  \`meta.model = "name@version"\`. \`output.score: reconstruction-error\` scores an autoencoder by the mean
  squared difference between its output and its input.
- **A/B**: \`variants\` split keys by a sticky hash (percent each); \`meta.variant\` names the one used.
  **Shadow**: \`shadow\` scores every message too, never acts; its agreement is counted.
- **Explanations**: a share \`explain.rate\` of messages gets \`meta.explanation\`: the \`explain.top\`
  features whose replacement by their training mean moves the score most (occlusion, one batched run).
  A version registered without reference statistics has no means: it is occluded with 0, and
  \`meta.explanation.baseline\` says \`"zero (no reference statistics)"\`.
- **Feedback**: messages on \`feedback\` with the same key and \`payload.label\` count each variant's
  correct/incorrect decisions. Counters (\`variant.<id>.*\`, \`model.<name>@<v>.latency_ms_le_*\`) are
  exported with the node's metrics.`,
  config: Config({
    model: Type.String({ minLength: 1, description: "Model name in the registry." }),
    version: version("Version number, or the stage whose current version is used (followed as it moves)."),
    features: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "Payload fields the flow provides; checked against the model's features at deploy." })),
    maxBatch: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: "Rows per model run at most." }),
    maxWaitMs: Type.Number({ minimum: 0, maximum: 1000, default: 0, description: "Longest a row waits for its batch to fill (0: only the current burst)." }),
    concurrency: Type.Integer({ minimum: 1, maximum: 16, default: 1, description: "Batches running at once." }),
    output: Type.Object(
      {
        score: Type.Enum(["first", "max", "reconstruction-error"], { default: "first", description: "Score from the first output, the largest, or an autoencoder's reconstruction error." }),
        labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 2, description: "Class names per output column, or [negative, positive] with threshold." })),
        threshold: Type.Optional(Type.Number({ description: "Single-output models: positive at or above this score." })),
      },
      { default: {}, additionalProperties: false, description: "How the output row becomes score, label and probabilities." },
    ),
    variants: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1, pattern: "^[A-Za-z0-9_.-]+$", description: "Variant name in metrics and meta.variant." }),
          model: Type.Optional(Type.String({ minLength: 1, description: "Model name (default: the node's model)." })),
          version: version("Version or stage of this variant."),
          percent: Type.Number({ minimum: 0, maximum: 100, description: "Share of keys routed here." }),
        },
        { additionalProperties: false, description: "One variant of an A/B split." },
      ),
      { default: [], description: "A/B split by sticky hash of the key; percents sum to 100. Empty: model + version only." },
    ),
    shadow: Type.Optional(
      Type.Object(
        {
          model: Type.String({ minLength: 1, description: "Shadow model name." }),
          version: version("Shadow version or stage."),
          tolerance: Type.Number({ minimum: 0, default: 0.05, description: "Without labels or threshold: scores this close agree." }),
        },
        { additionalProperties: false, description: "Scores every message without acting on it." },
      ),
    ),
    explain: Type.Object(
      {
        rate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: "Share of messages explained (0.1: every tenth)." }),
        top: Type.Integer({ minimum: 1, maximum: 64, default: 3, description: "Features listed per explanation." }),
      },
      { default: {}, additionalProperties: false, description: "Per-prediction explanations by occlusion against the training means." },
    ),
  }),
  inputs: {
    in: { kind: "features", description: "Feature vectors: one payload field per model feature." },
    feedback: { kind: "any", description: "Ground truth later on: same key, payload.label." },
  },
  outputs: { out: { kind: "prediction", description: "The message with score (label, probabilities) added and meta.model set." } },
  concurrency: 1024,
  examples: [
    { title: "Pump failure probability", config: { model: "pump-failure", version: "production", features: ["vibration_rms", "temperature_mean"], output: { threshold: 0.8, labels: ["ok", "failing"] } } },
    { title: "Autoencoder anomaly score", config: { model: "compressor-ae", features: ["p1", "p2", "p3"], output: { score: "reconstruction-error" }, explain: { rate: 0.1, top: 2 } } },
    { title: "A/B test with a shadow", config: { model: "pump-failure", variants: [{ id: "a", version: "production", percent: 90 }, { id: "b", version: "candidate", percent: 10 }], shadow: { model: "pump-failure-xgb", version: 1 } } },
  ],
  check(config) {
    const total = config.variants.reduce((sum, v) => sum + v.percent, 0);
    const problems = config.variants.length > 0 && Math.abs(total - 100) > 1e-9 ? [{ path: "variants", message: `percents sum to ${total}, not 100` }] : [];
    if (config.output.labels && config.output.labels.length !== 2 && config.output.threshold !== undefined) problems.push({ path: "output.labels", message: "with a threshold, give exactly [negative, positive]" });
    return problems;
  },
  fieldsOut: (config, inputFields) => [...inputFields, "score", ...(config.output.labels ? ["label"] : []), "probabilities"],
  create(config, ctx) {
    const models = ctx.use(MODELS);
    const mapping: OutputMapping = { score: config.output.score, ...(config.output.labels ? { labels: config.output.labels } : {}), ...(config.output.threshold !== undefined ? { threshold: config.output.threshold } : {}) };
    const slotOptions = (label: string): SlotOptions => ({
      maxBatch: config.maxBatch, maxWaitMs: config.maxWaitMs, concurrency: config.concurrency, clock: ctx.clock, log: ctx.log, metrics: ctx.metrics, provided: config.features, label,
      onSwitch: (from, to) => ctx.status({ state: "running", text: `${to.name}@${to.version} (was v${from.version})` }),
    });
    const slotFor = (name: string, ref: ModelRef, label: string) => new ModelSlot(models, name, ref, slotOptions(label));
    const variants = config.variants.length > 0
      ? config.variants.map((v) => ({ id: v.id, percent: v.percent, slot: slotFor(v.model ?? config.model, v.version, "model") }))
      : [{ id: "main", percent: 100, slot: slotFor(config.model, config.version, "model") }];
    const shadow = config.shadow ? slotFor(config.shadow.model, config.shadow.version, "shadow") : undefined;
    ctx.status({ state: "running", text: variants.map((v) => `${v.slot.info.name}@${v.slot.info.version}`).join(", ") });
    const handler = new InferenceHandler({ variants, shadow: shadow && { slot: shadow, tolerance: config.shadow?.tolerance ?? 0 }, mapping, explain: config.explain }, ctx);
    return {
      onBatch: (msgs, port, fail) => handler.onBatch(msgs, port, fail),
      close: () => handler.close(),
    };
  },
});
