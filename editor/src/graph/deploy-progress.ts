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
  readonly status: "pending" | "running" | "failed";
  readonly steps: readonly DeployStep[];
  readonly outcome?: { readonly version: number; readonly at: string; readonly durationMs: number; readonly by: string };
  readonly failure?: {
    readonly code: string;
    readonly message: string;
    readonly problems: readonly DeployProblem[];
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

/** A refused deploy: the API's error code, message and details (`problems`, `running`, `cause`). */
export function onDeployFailure(state: DeployState, failure: { code: string; message: string; details?: Readonly<Record<string, unknown>> }): DeployState {
  const details = failure.details ?? {};
  const problems = Array.isArray(details["problems"]) ? details["problems"].map(problemOf).filter((p) => p !== undefined) : [];
  const cause = problemOf(details["cause"]);
  // A cause that only repeats the message adds nothing; one with its own code (SECRET_MISSING...) does.
  if (problems.length === 0 && cause?.code && cause.code !== failure.code) problems.push(cause);
  const running = details["running"];
  return {
    ...state,
    status: "failed",
    failure: {
      code: failure.code,
      message: failure.message,
      problems,
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
  const keeps =
    failure.running === undefined ? "" : failure.running === null ? " Nothing was running before." : ` The previous version ${failure.running} keeps running.`;
  return `${state.kind === "rollback" ? "Rollback" : "Deploy"} of ${state.flowId} failed: ${failure.code}: ${failure.message}.${keeps}`;
}

/** The phases to draw, in order, each with whether it was reached (and how it ended). */
export function phaseTrack(state: DeployState): Array<{ phase: DeployPhase; reached: boolean; detail?: string }> {
  const failedStep = state.steps.find((s) => s.phase === "failed");
  const end: DeployPhase = failedStep || state.status === "failed" ? "failed" : "running";
  return (["validating", "starting", end] as const).map((phase) => {
    const step = state.steps.find((s) => s.phase === phase);
    return { phase, reached: step !== undefined || (phase === end && state.status !== "pending"), ...(step?.detail ? { detail: step.detail } : {}) };
  });
}
