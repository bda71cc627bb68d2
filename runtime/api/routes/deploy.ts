import { Type } from "typebox";
import { ERROR_CATALOGUE, errorMessage, type ErrorCode } from "../../sdk/errors.ts";
import type { DeployOutcome } from "../../local/local-runtime.ts";
import type { DeploymentRecord } from "../../contract/flow-records.ts";
import type { Principal } from "../../contract/access.ts";
import type { ApiDeps } from "../deps.ts";
import { requireFlow, requireVersion } from "../flow-checks.ts";
import { flowLocks } from "../flow-locks.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, versionField, type AuditEntry, type Route } from "../route.ts";
import { DeploymentRecordSchema, DeployReportSchema, FlowRecordSchema } from "../schemas.ts";

const Deployed = Type.Object({ flow: FlowRecordSchema, deployment: DeploymentRecordSchema, report: DeployReportSchema });
const FAILED = {
  422: "The version did not start because of its content (DEPLOY_FAILED with cause and problems); the previous version keeps running.",
  500: "The version did not start (DEPLOY_FAILED with cause); the previous version keeps running.",
};
/** Failure causes that are the flow's fault (fix the flow), not the machine's. */
// Causes in what the flow says or what it refers to (a missing model, secret, service or connection):
// the caller can fix them, so 422; anything else failing to start is the server's 500.
const CONTENT_FAULT = /^(FLOW_|NODE_CONFIG_INVALID|SECRET_MISSING|EXPRESSION_INVALID|SERVICE_UNAVAILABLE|MODEL_(NOT_FOUND|INPUT_MISMATCH|HASH_MISMATCH|NOT_ONNX)|CONNECTION_|DRIFT_REFERENCE_MISSING|UNIT_|ASSET_NOT_FOUND|SIGNAL_NOT_FOUND)/;

export function deployRoutes({ flows, runtime, logger }: ApiDeps): Route[] {
  // Deploy, rollback, stop, delete and import-with-replace of one flow run one at a time (one
  // queue per flow, shared with routes/flows.ts and routes/bundles.ts), so the store's record of
  // what runs always matches the runtime.
  const serially = flowLocks(runtime);
  const runningVersion = (flowId: string) => runtime.flows().find((f) => f.flowId === flowId && f.state === "running")?.version;
  const hashOf = (flowId: string, version: number | undefined) => (version === undefined ? undefined : flows.getVersion(flowId, version)?.hash);

  async function deploy(
    flowId: string,
    version: number,
    principal: Principal,
    audit: (entry: AuditEntry) => Promise<void>,
    kind: "deploy" | "rollback",
  ) {
    const target = requireVersion(flows, flowId, version);
    const previous = runningVersion(flowId);
    const before = hashOf(flowId, previous);
    // The runtime reports failures as outcomes; one that throws has a bug, but still failed to deploy.
    const outcome: DeployOutcome = await runtime.deploy(flowId, version, target.document).catch((error: unknown) => {
      logger?.error("the runtime threw from deploy", { flowId, version, stack: error instanceof Error ? error.stack : String(error) });
      return { ok: false as const, error: { code: "DEPLOY_FAILED", message: errorMessage(error) }, durationMs: 0 };
    });
    const base: Omit<DeploymentRecord, "id" | "outcome"> = { flowId, version, by: principal.username, at: new Date().toISOString(), durationMs: outcome.durationMs };
    if (outcome.ok) {
      let deployment: DeploymentRecord;
      try {
        deployment = await flows.recordDeployment({ ...base, outcome: kind === "rollback" ? "rolled-back" : "running" });
        await flows.setDeployed(flowId, version, true);
      } catch (storeError) {
        // The store cannot say this version runs: put the runtime back to what the store says.
        await undoDeploy(flowId, version, previous);
        throw storeError;
      }
      await audit({ before, after: target.hash, detail: { version, previous: previous ?? null, durationMs: outcome.durationMs } });
      return { body: { flow: requireFlow(flows, flowId), deployment, report: outcome.report } };
    }
    const { code, problems } = outcome.error;
    const message = failureMessage(outcome.error.message, problems);
    const deployment = await flows.recordDeployment({ ...base, outcome: "failed", error: { code, message } });
    await audit({ outcome: "failed", before, after: target.hash, detail: { version, code, message } });
    const still = previous === undefined ? "nothing was running before" : `version ${previous} keeps running`;
    throw new ApiError(
      "DEPLOY_FAILED",
      `deploying flow "${flowId}" version ${version} failed: ${message}; ${still}`,
      { cause: { code, message, ...(code in ERROR_CATALOGUE ? { hint: ERROR_CATALOGUE[code as ErrorCode] } : {}) }, ...(problems ? { problems } : {}), running: previous ?? null, deployment },
      problems || CONTENT_FAULT.test(code) ? 422 : 500,
    );
  }

  /** After a store failure: redeploy what ran before (or stop the flow), logging what cannot be undone. */
  async function undoDeploy(flowId: string, version: number, previous: number | undefined): Promise<void> {
    try {
      const before = previous === undefined ? undefined : flows.getVersion(flowId, previous);
      const restored = before ? (await runtime.deploy(flowId, before.version, before.document)).ok : (await runtime.stop(flowId), true);
      // A plain Error: the catch below only logs its message beside the store failure; no caller sees it.
      if (!restored) throw new Error(`version ${previous} did not start again`);
      logger?.warn("the store refused the deployment record: the runtime was put back", { flowId, version, running: previous ?? null });
    } catch (error) {
      logger?.error("the store refused the deployment record and the runtime could not be put back: runtime and store disagree", {
        flowId,
        version,
        error: errorMessage(error),
      });
    }
  }

  /** The version to roll back to: the latest one other than what runs now that started successfully. */
  function rollbackTarget(flowId: string): number {
    const record = requireFlow(flows, flowId);
    const current = runningVersion(flowId) ?? record.deployedVersion;
    const good = flows
      .listDeployments(flowId)
      .filter((d) => d.outcome !== "failed" && d.version !== current)
      .sort((a, b) => a.at.localeCompare(b.at));
    const target = good.at(-1)?.version ?? (record.lastGoodVersion !== current ? record.lastGoodVersion : undefined);
    if (target === undefined) throw new ApiError("ROLLBACK_UNAVAILABLE", `flow "${flowId}" has no other version that ran successfully`);
    return target;
  }

  const flowTarget = (param: (name: string) => string) => `flow:${param("id")}`;
  return [
    defineRoute({
      method: "post",
      path: "/api/flows/:id/deploy",
      operationId: "flow.deploy",
      tag: "deploy",
      summary: "Run a version of the flow on the local runtime (default: the latest)",
      description:
        "A running flow is swapped in place: unchanged nodes keep running with their state, no message is lost. If the new version fails to start, the previous one keeps running and the answer says why.",
      access: "operator",
      target: flowTarget,
      body: Type.Object({ version: Type.Optional(versionField("Default: the latest version.")) }, { additionalProperties: false }),
      bodyOptional: true,
      responses: { 200: { description: "Running.", schema: Deployed } },
      errors: FAILED,
      handler: (ctx) => {
        const id = ctx.param("id");
        const version = ctx.body.version ?? requireFlow(flows, id).latestVersion;
        return serially(id, () => deploy(id, version, ctx.principal, ctx.audit, "deploy"));
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/:id/rollback",
      operationId: "flow.rollback",
      tag: "deploy",
      summary: "Deploy the most recent other version that ran successfully",
      access: "operator",
      target: flowTarget,
      responses: { 200: { description: "The earlier version runs.", schema: Deployed } },
      errors: { ...FAILED, 409: "No other version of this flow ever ran (ROLLBACK_UNAVAILABLE)." },
      handler: (ctx) => {
        const id = ctx.param("id");
        return serially(id, () => deploy(id, rollbackTarget(id), ctx.principal, ctx.audit, "rollback"));
      },
    }),

    defineRoute({
      method: "post",
      path: "/api/flows/:id/stop",
      operationId: "flow.stop",
      tag: "deploy",
      summary: "Stop the flow on the local runtime (sources stop, queued messages drain)",
      access: "operator",
      target: flowTarget,
      responses: { 200: { description: "Stopped (`stopped: false` when it was not running).", schema: Type.Object({ flow: FlowRecordSchema, stopped: Type.Boolean() }) } },
      handler: (ctx) => {
        const id = ctx.param("id");
        const record = requireFlow(flows, id);
        return serially(id, async () => {
          const before = hashOf(id, runningVersion(id) ?? record.deployedVersion);
          const stopped = await runtime.stop(id);
          await flows.setDeployed(id, undefined, false);
          await ctx.audit({ before, detail: { stopped } });
          return { body: { flow: requireFlow(flows, id), stopped } };
        });
      },
    }),

    defineRoute({
      method: "get",
      path: "/api/flows/:id/deployments",
      operationId: "flow.deployments",
      tag: "deploy",
      summary: "Every deployment of the flow: version, who, when, outcome, duration, error",
      access: "viewer",
      responses: { 200: { description: "Oldest first.", schema: Type.Object({ deployments: Type.Array(DeploymentRecordSchema) }) } },
      handler: (ctx) => ({ body: { deployments: flows.listDeployments(requireFlow(flows, ctx.param("id")).id) } }),
    }),
  ];
}

/** "flow has 1 problem:" (a summary line whose list was cut off) reads as the summary and the first problem. */
export function failureMessage(message: string, problems: readonly unknown[] | undefined): string {
  const trimmed = message.trim();
  if (!trimmed.endsWith(":")) return trimmed;
  const first = problems?.[0];
  const detail = typeof first === "object" && first !== null && typeof (first as { message?: unknown }).message === "string" ? (first as { message: string }).message : undefined;
  const head = trimmed.slice(0, -1).trimEnd();
  return detail ? `${head}: ${detail}${problems!.length > 1 ? ` (and ${problems!.length - 1} more)` : ""}` : head;
}
