/**
 * A deploy (or rollback) as the user watches it: the runtime's live deploy events (validating,
 * starting, running / failed) as they arrive over the events WebSocket, then the API's answer —
 * the version that runs and when it took effect, or the failure with its coded problems and what
 * keeps running. Plain state transitions; DeployProgress.tsx only draws them.
 */
export type DeployKind = "deploy" | "rollback";
export type DeployPhase = "validating" | "starting" | "running" | "failed";
const PHASES: readonly string[] = ["validating", "starting", "running", "failed"];

export interface DeployStep {
  readonly phase: DeployPhase;
  readonly version: number;
  readonly detail?: string;
  readonly at: number;
}

export interface DeployProblem {
  readonly code?: string;
  readonly message: string;
  readonly node?: string;
  readonly path?: string;
}

export interface DeployState {
  readonly kind: DeployKind;
  readonly flowId: string;
  /** "refused": the API said no before anything was tried (ROLLBACK_UNAVAILABLE...): no phases to show. */
  readonly status: "pending" | "running" | "failed" | "refused";
  readonly steps: readonly DeployStep[];
  readonly outcome?: { readonly version: number; readonly at: string; readonly durationMs: number; readonly by: string };
  readonly failure?: {
    readonly code: string;
    readonly message: string;
    readonly problems: readonly DeployProblem[];
    /** What to do about it (the cause's hint from the error catalogue). */
    readonly hint?: string;
    /** The flow's nodes the failure names, to mark on the canvas. */
    readonly nodes: readonly string[];
    /** The version that keeps running, null when nothing ran, undefined when the answer did not say. */
    readonly running?: number | null;
  };
}

export function startDeploy(flowId: string, kind: DeployKind): DeployState {
  return { kind, flowId, status: "pending", steps: [] };
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** A live event of the events WebSocket; anything that is not this flow's deploy event leaves the state as it is. */
export function onDeployEvent(state: DeployState, event: unknown): DeployState {
  if (event === null || typeof event !== "object") return state;
  const e = event as Record<string, unknown>;
  if (e["type"] !== "deploy" || e["flowId"] !== state.flowId || typeof e["phase"] !== "string" || !PHASES.includes(e["phase"])) return state;
  if (typeof e["version"] !== "number" || typeof e["at"] !== "number") return state;
  const detail = text(e["detail"]);
  const step: DeployStep = { phase: e["phase"] as DeployPhase, version: e["version"], at: e["at"], ...(detail ? { detail } : {}) };
  return { ...state, steps: [...state.steps, step] };
}

/** The 200 answer of POST /api/flows/:id/deploy or /rollback. */
export function onDeployAnswer(state: DeployState, answer: { deployment: { version: number; at: string; durationMs: number; by: string } }): DeployState {
  const { version, at, durationMs, by } = answer.deployment;
  return { ...state, status: "running", outcome: { version, at, durationMs, by } };
}

function problemOf(value: unknown): DeployProblem | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const p = value as Record<string, unknown>;
  const message = text(p["message"]);
  if (!message) return undefined;
  const [code, node, path] = [text(p["code"]), text(p["node"]), text(p["path"])];
  return { message, ...(code ? { code } : {}), ...(node ? { node } : {}), ...(path ? { path } : {}) };
}

/** `node "pump-2"` or `source "pumps"` in a runtime message: the node a failure without a `node` field names. */
const NODE_IN_MESSAGE = /\b(?:node|source) "([^"]+)"/g;

/**
 * The nodes a failure names: its problems' and cause's `node`, the details' own `node`, and
 * otherwise `node "x"` (or `source "x"`) in the problems', the cause's or the failure's message. `documentNodes` maps `nodes[i]` paths to ids.
 */
export function failedNodes(failure: { message: string; details?: Readonly<Record<string, unknown>> }, documentNodes: readonly string[] = []): string[] {
  const details = failure.details ?? {};
  const found: string[] = [];
  const add = (value: unknown) => void (typeof value === "string" && value !== "" && !found.includes(value) && found.push(value));
  const fromPath = (value: unknown) => {
    const index = typeof value === "string" ? /^nodes\[(\d+)\]/.exec(value)?.[1] : undefined;
    if (index !== undefined) add(documentNodes[Number(index)]);
  };
  const problems = Array.isArray(details["problems"]) ? details["problems"] : [];
  const cause = details["cause"] !== null && typeof details["cause"] === "object" ? (details["cause"] as Record<string, unknown>) : {};
  for (const p of [...problems, cause, details]) {
    if (p === null || typeof p !== "object") continue;
    const record = p as Record<string, unknown>;
    add(record["node"]);
    fromPath(record["path"]);
  }
  const messages = [...problems.map((p) => (p !== null && typeof p === "object" ? (p as Record<string, unknown>)["message"] : undefined)), cause["message"], failure.message];
  for (const message of found.length === 0 ? messages : []) {
    if (typeof message !== "string") continue;
    for (const match of message.matchAll(NODE_IN_MESSAGE)) add(match[1]);
    if (found.length > 0) break;
  }
  return found;
}

/**
 * The API's error for a deploy or rollback: a failed deploy (its details say what keeps `running`,
 * or carry the failed `deployment`) with its code, message, hint, problems and the nodes to mark;
 * anything else, before any phase ran, is a refusal (ROLLBACK_UNAVAILABLE, FORBIDDEN...), not a failed deploy.
 */
export function onDeployFailure(
  state: DeployState,
  failure: { code: string; message: string; details?: Readonly<Record<string, unknown>> },
  documentNodes: readonly string[] = [],
): DeployState {
  const details = failure.details ?? {};
  const problems = Array.isArray(details["problems"]) ? details["problems"].map(problemOf).filter((p) => p !== undefined) : [];
  const cause = problemOf(details["cause"]);
  // A cause that only repeats the message adds nothing; one with its own code (SECRET_MISSING...) does.
  if (problems.length === 0 && cause?.code && cause.code !== failure.code) problems.push(cause);
  const running = details["running"];
  const causeRecord = details["cause"] !== null && typeof details["cause"] === "object" ? (details["cause"] as Record<string, unknown>) : {};
  const hint = text(causeRecord["hint"]) ?? text(details["hint"]);
  const attempted = state.steps.length > 0 || "running" in details || "deployment" in details;
  return {
    ...state,
    status: attempted ? "failed" : "refused",
    failure: {
      code: failure.code,
      message: failure.message,
      problems,
      nodes: failedNodes(failure, documentNodes),
      ...(hint ? { hint } : {}),
      ...(typeof running === "number" || running === null ? { running } : {}),
    },
  };
}

export function describeProblem(p: DeployProblem): string {
  const where = [p.node ? `node ${p.node}` : "", p.path ?? ""].filter(Boolean).join(" ");
  return `${where ? `${where}: ` : ""}${p.message}${p.code ? ` (${p.code})` : ""}`;
}

/** The headline: what runs now, or what failed and what keeps running. */
export function deploySummary(state: DeployState): string {
  const verb = state.kind === "rollback" ? "Rolled back" : "Deployed";
  if (state.status === "pending") return `${state.kind === "rollback" ? "Rolling back" : "Deploying"} ${state.flowId}…`;
  if (state.status === "running" && state.outcome) {
    const { version, at, durationMs } = state.outcome;
    return `${verb} ${state.flowId} version ${version}: running (${Math.round(durationMs)} ms), took effect at ${new Date(at).toLocaleTimeString()}`;
  }
  const failure = state.failure;
  if (!failure) return `${state.flowId}: no answer`;
  const message = failure.message.replace(/[.\s]+$/, "");
  const what = state.kind === "rollback" ? "Rollback" : "Deploy";
  if (state.status === "refused") return `${what} of ${state.flowId} refused: ${failure.code}: ${message}.`;
  // The server's message may say it already ("...; version 5 keeps running"): say it once.
  const said = /keeps running|nothing was running/i.test(message);
  const keeps =
    failure.running === undefined || said ? "" : failure.running === null ? " Nothing was running before." : ` The previous version ${failure.running} keeps running.`;
  return `${what} of ${state.flowId} failed: ${failure.code}: ${message}.${keeps}`;
}

/** The phases to draw, in order, each with whether it was reached (and how it ended). */
export function phaseTrack(state: DeployState): Array<{ phase: DeployPhase; reached: boolean; detail?: string }> {
  // A refusal is not a deploy that failed: there were no phases.
  if (state.status === "refused") return [];
  const failedStep = state.steps.find((s) => s.phase === "failed");
  const end: DeployPhase = failedStep || state.status === "failed" ? "failed" : "running";
  return (["validating", "starting", end] as const).map((phase) => {
    const step = state.steps.find((s) => s.phase === phase);
    return { phase, reached: step !== undefined || (phase === end && state.status !== "pending"), ...(step?.detail ? { detail: step.detail } : {}) };
  });
}

/** A deployment record of GET /api/flows/:id/deployments (the fields the rollback choice reads). */
export interface DeploymentLike {
  readonly version: number;
  readonly at: string;
  readonly outcome: string;
}

/**
 * The version Roll back would deploy, as the server chooses it: the latest other than the current
 * one (running, else deployed) that started successfully, else the flow's last good version if it
 * is another. Undefined: nothing to roll back to (the server would answer ROLLBACK_UNAVAILABLE).
 */
export function rollbackTarget(deployments: readonly DeploymentLike[], current: number | undefined, lastGoodVersion: number | undefined): number | undefined {
  const good = deployments.filter((d) => d.outcome !== "failed" && d.version !== current).sort((a, b) => a.at.localeCompare(b.at));
  return good.at(-1)?.version ?? (lastGoodVersion !== current ? lastGoodVersion : undefined);
}
