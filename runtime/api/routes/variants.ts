import { Type } from "typebox";
import type { ModelRef } from "../../sdk/models.ts";
import { isRecord } from "../../sdk/message.ts";
import { variantReport, type VariantLayout } from "../../contract/variant-report.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

const Nullable = (schema: ReturnType<typeof Type.Number>) => Type.Union([schema, Type.Null()]);
const Latency = Type.Object({
  batches: Type.Number(), rows: Type.Number(), meanMs: Nullable(Type.Number()),
  p50Ms: Nullable(Type.Number()), p95Ms: Nullable(Type.Number()), p99Ms: Nullable(Type.Number()),
  openEnded: Type.Array(Type.String(), { description: "Quantiles past the last bucket: their value is a lower limit." }),
});
const Variant = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal("variant"), Type.Literal("shadow")]),
  configured: Type.Boolean({ description: "false: the counters name a variant the deployed config does not." }),
  percent: Nullable(Type.Number()),
  messages: Type.Number(),
  share: Nullable(Type.Number({ description: "Of the messages the A/B variants scored (null for the shadow)." })),
  scoreBins: Type.Array(Type.Number(), { description: "Messages per score bin: 10 bins over [0, 1], out-of-range scores in the end bins." }),
  agreement: Type.Union([Type.Object({ agree: Type.Number(), disagree: Type.Number(), rate: Nullable(Type.Number()) }), Type.Null()]),
  feedback: Type.Object({ correct: Type.Number(), incorrect: Type.Number(), unjudged: Type.Number(), judged: Type.Number(), accuracy: Nullable(Type.Number()) }),
  errors: Type.Number(),
  models: Type.Array(Type.String()),
  latency: Type.Union([Latency, Type.Null()], { description: "Batch latency of the variant's model versions." }),
});
const Report = Type.Object({
  flowId: Type.String(),
  node: Type.String(),
  variants: Type.Array(Variant),
  shadow: Type.Union([Variant, Type.Null()]),
  models: Type.Array(Type.Intersect([Latency, Type.Object({ model: Type.String(), role: Type.String(), errors: Type.Number() })])),
  messages: Type.Number(),
  feedbackUnmatched: Type.Number(),
});

/** The A/B and shadow read-out of a running onnx-inference node (the dashboard's per-variant table). */
export function variantRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get", path: "/api/flows/:id/nodes/:node/variants", operationId: "runtime.variants", tag: "runtime", access: "viewer",
      params: { node: "Node id of an onnx-inference node in the running flow." },
      summary: "Per-variant figures of a running onnx-inference node: traffic share, score distribution, shadow agreement, latency, feedback accuracy",
      description: "Read from the node's counters since its deploy. Latency quantiles are estimated from the per-model batch latency buckets.",
      responses: { 200: { description: "One row per A/B variant, the shadow, and the latency of each model version.", schema: Report } },
      errors: { 404: "The flow is not running, or the node is not an onnx-inference node in it (VARIANTS_NODE_NOT_RUNNING)." },
      handler: (ctx) => {
        const flowId = ctx.param("id");
        const nodeId = ctx.param("node");
        const running = deps.runtime.flows().find((f) => f.flowId === flowId && f.state === "running");
        const snapshot = running && deps.runtime.metrics(flowId).find((m) => m.flowId === flowId)?.nodes.find((n) => n.node === nodeId);
        if (!running || !snapshot || snapshot.type !== "onnx-inference") {
          const why = !running ? `flow "${flowId}" is not running` : !snapshot ? `flow "${flowId}" has no node "${nodeId}"` : `node "${nodeId}" of flow "${flowId}" is a ${snapshot.type} node, not onnx-inference`;
          throw new ApiError("VARIANTS_NODE_NOT_RUNNING", `no variants to report: ${why}`, { flowId, node: nodeId }, 404);
        }
        const config = deps.flows.getVersion(flowId, running.version)?.document.nodes.find((n) => n.id === nodeId)?.config;
        return { body: { flowId, node: nodeId, ...variantReport(snapshot.counters, layoutOf(config, deps)) } };
      },
    }),
  ];
}

/**
 * The deployed config's variants and the model versions they run now: the registry's current
 * version of a stage alias is the one the node follows (its batch latency is counted under it).
 */
function layoutOf(config: Readonly<Record<string, unknown>> | undefined, deps: ApiDeps): VariantLayout {
  const model = typeof config?.["model"] === "string" ? config["model"] : undefined;
  const models = (name: unknown, version: unknown): string[] => {
    if (typeof name !== "string" || !deps.models) return [];
    const ref: ModelRef = typeof version === "number" ? version : version === "candidate" ? "candidate" : "production";
    try {
      const info = deps.models.resolve(name, ref);
      return [`${info.name}@${info.version}`];
    } catch {
      return []; // archived or deleted since the deploy: the report still shows the counters
    }
  };
  const listed = Array.isArray(config?.["variants"]) ? config["variants"].filter(isRecord) : [];
  const variants = listed.length > 0
    ? listed.map((v) => ({ id: String(v["id"]), ...(typeof v["percent"] === "number" ? { percent: v["percent"] } : {}), models: models(v["model"] ?? model, v["version"]) }))
    : [{ id: "main", percent: 100, models: models(model, config?.["version"]) }];
  const shadow = isRecord(config?.["shadow"]) ? config["shadow"] : undefined;
  return { variants, ...(shadow ? { shadow: { models: models(shadow["model"], shadow["version"]) } } : {}) };
}
