import { Type } from "typebox";
import type { FeatureQuery, FeatureStore } from "../../ml/feature-store.ts";
import { trainingSetCsv } from "../../ml/feature-store.ts";
import type { Retrainer } from "../../ml/retrain.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

const Time = (what: string) => Type.Optional(Type.String({ minLength: 1, description: `${what}: epoch milliseconds or an ISO date (2026-01-31T00:00:00Z).` }));
const filters = {
  from: Time("Rows at or after this event time"),
  to: Time("Rows before this event time"),
  flowId: Type.Optional(Type.String({ minLength: 1, description: "Only rows recorded by this flow." })),
  flowVersion: Type.Optional(Type.Integer({ minimum: 1, description: "Only rows recorded while this flow version was deployed." })),
  model: Type.Optional(Type.String({ minLength: 1, description: "Only rows scored by this model (name@version)." })),
  labelled: Type.Optional(Type.Boolean({ description: "true: only rows with a label; false: only rows without." })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "At most this many rows, oldest first (default 1000 for /api/features)." })),
};
const StoredRow = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  ts: Type.Integer(),
  flowId: Type.String(),
  flowVersion: Type.Union([Type.Integer(), Type.Null()]),
  featureHash: Type.String(),
  features: Type.Record(Type.String(), Type.Unknown()),
  model: Type.Union([Type.String(), Type.Null()]),
  score: Type.Union([Type.Number(), Type.Null()]),
  label: Type.Union([Type.Number(), Type.Null()]),
});
const RetrainJobBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 128, description: "Registry name; the candidate becomes its next version." }),
    trainer: Type.Union([Type.Literal("logistic"), Type.Literal("linear"), Type.Literal("autoencoder"), Type.Literal("webhook")], { description: "Built-in trainer or an external webhook." }),
    task: Type.Optional(Type.Union([Type.Literal("classification"), Type.Literal("regression"), Type.Literal("anomaly")], { description: "Required for webhook." })),
    windowMs: Type.Integer({ minimum: 1, description: "Train on rows of this recent event-time span." }),
    flowId: Type.Optional(Type.String({ minLength: 1, description: "Only rows of this flow." })),
    minRows: Type.Optional(Type.Integer({ minimum: 2, description: "Fewest rows (default 50)." })),
    holdoutShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.9, description: "Newest share held out (default 0.2)." })),
    minImprovement: Type.Optional(Type.Number({ minimum: 0, description: "Relative loss improvement for auto-promotion (default 0.05)." })),
    autoPromote: Type.Optional(Type.Boolean({ description: "false: leave the candidate for approval." })),
    maxLoss: Type.Optional(Type.Number({ minimum: 0, description: "Evaluation fails above this held-out loss." })),
    webhook: Type.Optional(Type.Object({ url: Type.String({ minLength: 1 }), timeoutMs: Type.Optional(Type.Integer({ minimum: 1000 })) }, { additionalProperties: false, description: "External trainer." })),
  },
  { additionalProperties: false },
);
const Outcome = Type.Record(Type.String(), Type.Unknown(), { description: "status (promoted, awaiting-approval, failed-evaluation, skipped, failed), model, version, evaluation or error." });

/** Parses `from`/`to`: epoch ms or an ISO date. */
function timeOf(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new ApiError("API_QUERY_INVALID", `query.${name}: ${JSON.stringify(value.slice(0, 60))} is neither epoch ms nor an ISO date`, { path: `query.${name}` });
  return ms;
}

function queryOf(q: { from?: string; to?: string; flowId?: string; flowVersion?: number; model?: string; labelled?: boolean; limit?: number; featureHash?: string }): FeatureQuery {
  const from = timeOf(q.from, "from");
  const to = timeOf(q.to, "to");
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(q.flowId !== undefined ? { flowId: q.flowId } : {}),
    ...(q.flowVersion !== undefined ? { flowVersion: q.flowVersion } : {}),
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(q.labelled !== undefined ? { labelled: q.labelled } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.featureHash !== undefined ? { featureHash: q.featureHash } : {}),
  };
}

/** The feature store (rows, training-set export) and the retraining loop (manual runs, history). */
export function featureRoutes(deps: ApiDeps): Route[] {
  const store = (): FeatureStore => {
    if (!deps.features) throw new ApiError("SERVICE_UNAVAILABLE", "this server runs without a feature store (start it with a data directory)", {}, 503);
    return deps.features;
  };
  const retrainer = (): Retrainer => {
    if (!deps.retrain) throw new ApiError("SERVICE_UNAVAILABLE", "this server runs without the retraining loop (it needs the model registry and the feature store)", {}, 503);
    return deps.retrain;
  };
  return [
    defineRoute({
      method: "get", path: "/api/features", operationId: "feature.list", tag: "features", access: "viewer",
      summary: "Feature vectors the flows recorded (key, ts, flow version, features, model, score, label)",
      query: Type.Object(filters, { additionalProperties: false }),
      responses: { 200: { description: "Rows, oldest first.", schema: Type.Object({ rows: Type.Array(StoredRow) }) } },
      errors: { 503: "No feature store on this server (SERVICE_UNAVAILABLE)." },
      handler: (ctx) => ({ body: { rows: store().query({ limit: 1000, ...queryOf(ctx.query) }) } }),
    }),
    defineRoute({
      method: "get", path: "/api/features/training-set", operationId: "feature.export", tag: "features", access: "operator",
      summary: "A training set: the rows of one feature definition as CSV or JSON",
      description: "Rows of `featureHash` (default: the newest row's definition) in the range, oldest first. CSV columns: key, ts, the features in model order, label, score.",
      query: Type.Object(
        { ...filters, featureHash: Type.Optional(Type.String({ pattern: "^[0-9a-f]{16}$", description: "Feature definition (16 hex digits)." })), format: Type.Optional(Type.Union([Type.Literal("csv"), Type.Literal("json")], { description: "Default json." })) },
        { additionalProperties: false },
      ),
      responses: {
        200: {
          description: "The training set.",
          schema: Type.Object({ featureNames: Type.Array(Type.String()), featureHash: Type.String(), rows: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
      errors: { 503: "No feature store on this server (SERVICE_UNAVAILABLE)." },
      handler: (ctx) => {
        const set = store().trainingSet(queryOf(ctx.query));
        if (ctx.query.format === "csv") return { text: trainingSetCsv(set), contentType: "text/csv; charset=utf-8", headers: { "Content-Disposition": 'attachment; filename="training-set.csv"' } };
        return { body: set };
      },
    }),
    defineRoute({
      method: "get", path: "/api/retrain", operationId: "retrain.list", tag: "features", access: "viewer",
      summary: "Outcomes of the recent retraining runs, oldest first",
      responses: { 200: { description: "Up to 100 runs.", schema: Type.Object({ runs: Type.Array(Outcome) }) } },
      errors: { 503: "No retraining loop on this server (SERVICE_UNAVAILABLE)." },
      handler: () => ({ body: { runs: retrainer().history } }),
    }),
    defineRoute({
      method: "post", path: "/api/retrain", operationId: "retrain.run", tag: "features", access: "operator",
      summary: "Retrain a model now from the feature store; answers when the run is done",
      description: "Trains, evaluates against production on the newest held-out rows, registers the candidate and promotes it when the job's policy allows. A failed run answers 422 with its code (TRAINING_SET_EMPTY, TRAINING_SET_INVALID, RETRAIN_WEBHOOK_FAILED ...).",
      body: RetrainJobBody,
      target: () => "retrain",
      responses: { 200: { description: "The run's outcome.", schema: Type.Object({ outcome: Outcome }) } },
      errors: { 422: "The run failed; the production model is unchanged.", 503: "No retraining loop on this server (SERVICE_UNAVAILABLE)." },
      handler: async (ctx) => {
        const outcome = await retrainer().run(ctx.body, { reason: "manual", detail: { by: ctx.principal.username } });
        await ctx.audit({ target: `model:${ctx.body.model}`, outcome: outcome.status === "failed" ? "failed" : "ok", detail: { status: outcome.status, ...("version" in outcome ? { version: outcome.version } : {}) } });
        if (outcome.status === "failed") throw new ApiError("RETRAIN_FAILED", `retraining ${outcome.model} failed: ${outcome.error.message}`, { cause: outcome.error.code }, 422);
        return { body: { outcome } };
      },
    }),
  ];
}
