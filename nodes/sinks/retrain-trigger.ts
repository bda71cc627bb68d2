import { Config, defineNode, isRecord, Type, type TimerHandle } from "../../runtime/sdk/index.ts";
import { RETRAIN, type RetrainJob } from "../../runtime/sdk/retrain.ts";

const EVENT_KINDS = ["input-drift", "output-drift", "performance-decay"] as const;

export default defineNode({
  type: "retrain-trigger",
  version: 1,
  family: "sinks",
  title: "Retrain trigger",
  summary: "Starts retraining a model from the feature store when drift or decay events arrive, or on a schedule.",
  docs: `
Wire a drift-monitor's or performance-monitor's \`events\` here. An event of a kind listed in \`on\`
(a performance-decay only at level \`drift\`, not \`warning\`) starts a retraining run of \`model\`:

1. the feature store's rows of the last \`windowMs\` recorded by this flow (labelled rows for
   supervised trainers) are split in time: the newest \`holdoutShare\` is held out;
2. the built-in \`trainer\` (logistic, linear, autoencoder) trains a candidate, or \`webhook\` posts
   the training rows to an external trainer that answers \`{ "onnxBase64": "..." }\`;
3. candidate and production are scored on the held-out rows (error rate, MAE or reconstruction
   error) and the candidate is registered with its reference statistics and evaluation;
4. it is promoted to production when it passed and its loss is lower by \`minImprovement\`
   (relative) and \`autoPromote\` is on; otherwise it waits for an operator's approval.

A run for the same model is never started twice at once, and a new event within the runtime's
cooldown (10 minutes) is skipped. \`scheduleMs\` also retrains periodically. Outcomes are in the model
registry, its audit log and \`GET /api/retrain\`. Needs a runtime with a data directory (SERVICE_UNAVAILABLE otherwise).`,
  config: Config({
    model: Type.String({ minLength: 1, description: "Registry name of the model to retrain." }),
    trainer: Type.Enum(["logistic", "linear", "autoencoder", "webhook"], { default: "logistic", description: "Built-in trainer, or an external one via webhook." }),
    task: Type.Optional(Type.Enum(["classification", "regression", "anomaly"], { description: "How a webhook-trained model is scored (built-in trainers imply it)." })),
    windowMs: Type.Integer({ minimum: 1, default: 7 * 86_400_000, unit: "ms", description: "Train on feature-store rows of this recent event-time span." }),
    minRows: Type.Integer({ minimum: 2, default: 50, description: "Fewest rows to train on; fewer fails the run with TRAINING_SET_EMPTY." }),
    holdoutShare: Type.Number({ exclusiveMinimum: 0, maximum: 0.9, default: 0.2, description: "Newest share of rows held out for evaluation." }),
    minImprovement: Type.Number({ minimum: 0, default: 0.05, description: "Auto-promote only when the held-out loss is this much lower than production's (0.05 = 5%)." }),
    autoPromote: Type.Boolean({ default: true, description: "false: every candidate waits for an operator's approval." }),
    maxLoss: Type.Optional(Type.Number({ minimum: 0, description: "Evaluation fails above this held-out loss (error rate, MAE or reconstruction error)." })),
    on: Type.Array(Type.Enum(EVENT_KINDS), { default: [...EVENT_KINDS], description: "Event kinds that start a run." }),
    scheduleMs: Type.Optional(Type.Integer({ minimum: 60_000, unit: "ms", description: "Also retrain this often." })),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({ format: "uri", description: "External trainer endpoint; receives { model, task, featureNames, rows }." }),
          timeoutMs: Type.Integer({ minimum: 1000, default: 60_000, unit: "ms", description: "How long training may take." }),
        },
        { additionalProperties: false, description: "For trainer webhook." },
      ),
    ),
  }),
  inputs: { events: { kind: "event", description: "Drift and performance-decay events." } },
  outputs: {},
  examples: [
    { title: "Retrain the pump classifier on drift or decay", config: { model: "pump-failure", trainer: "logistic", windowMs: 604_800_000, minImprovement: 0.05 } },
    { title: "Nightly autoencoder, operator approval", config: { model: "compressor-ae", trainer: "autoencoder", on: ["input-drift"], scheduleMs: 86_400_000, autoPromote: false } },
    { title: "External trainer", config: { model: "chiller-cop", trainer: "webhook", task: "regression", webhook: { url: "https://ml.example.com/train" } } },
  ],
  check(config) {
    if (config.trainer === "webhook" && !config.webhook) return [{ path: "webhook", message: "is required when trainer is webhook" }];
    if (config.trainer === "webhook" && !config.task) return [{ path: "task", message: "is required when trainer is webhook" }];
    return [];
  },
  create(config, ctx) {
    const retrain = ctx.use(RETRAIN);
    const job: RetrainJob = {
      model: config.model,
      trainer: config.trainer,
      windowMs: config.windowMs,
      flowId: ctx.flowId,
      minRows: config.minRows,
      holdoutShare: config.holdoutShare,
      minImprovement: config.minImprovement,
      autoPromote: config.autoPromote,
      ...(config.task ? { task: config.task } : {}),
      ...(config.maxLoss !== undefined ? { maxLoss: config.maxLoss } : {}),
      ...(config.webhook ? { webhook: config.webhook } : {}),
    };
    const kinds = new Set<string>(config.on);
    const schedule: TimerHandle | undefined =
      config.scheduleMs === undefined ? undefined : ctx.clock.setInterval(() => retrain.trigger(job, { reason: "schedule" }), config.scheduleMs);
    return {
      onMessage(msg) {
        const event = isRecord(msg.payload) ? msg.payload : {};
        const kind = event["kind"];
        if (typeof kind !== "string" || !kinds.has(kind)) return void ctx.metrics.count("ignored_events");
        if (kind === "performance-decay" && event["level"] !== "drift") return void ctx.metrics.count("ignored_events");
        ctx.metrics.count("triggers");
        retrain.trigger(job, { reason: kind === "performance-decay" ? "decay" : "drift", detail: { ...event, ts: msg.ts } });
      },
      close() {
        schedule?.cancel();
      },
    };
  },
});
