import { Type } from "typebox";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";
import { NodeMetricsSchema, RunningFlowStateSchema } from "../schemas.ts";

export function runtimeRoutes({ runtime }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/runtime",
      operationId: "runtime.list",
      tag: "runtime",
      summary: "The flows on the local runtime: version, state, each node's status",
      access: "viewer",
      responses: { 200: { description: "Every flow the runtime knows.", schema: Type.Object({ flows: Type.Array(RunningFlowStateSchema) }) } },
      handler: () => ({ body: { flows: runtime.flows() } }),
    }),
    defineRoute({
      method: "get",
      path: "/api/runtime/:id/metrics",
      operationId: "runtime.metrics",
      tag: "runtime",
      summary: "Per-node metrics of a running flow: messages in/out, errors, drops, queue depth, latency",
      access: "viewer",
      responses: { 200: { description: "One entry per node.", schema: Type.Object({ flowId: Type.String(), nodes: Type.Array(NodeMetricsSchema) }) } },
      handler: (ctx) => {
        const id = ctx.param("id");
        const found = runtime.metrics(id).find((m) => m.flowId === id);
        if (!found) throw new ApiError("NOT_FOUND", `flow "${id}" is not on the local runtime`, { flowId: id });
        return { body: found };
      },
    }),
  ];
}
