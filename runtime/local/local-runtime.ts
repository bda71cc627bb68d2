/**
 * The local runtime as the admin API sees it: deploy, stop, state, metrics and live events of the
 * flows running in this process. FlowRuntime (flow-runtime.ts) implements it.
 */
import type { FlowDocument } from "../contract/flow-format.ts";
import type { DeployReport } from "../core/engine.ts";
import type { NodeMetricsSnapshot } from "../core/metrics.ts";
import type { NodeStatus } from "../sdk/define.ts";

export interface RunningFlowState {
  readonly flowId: string;
  readonly version: number;
  readonly state: "running" | "stopped" | "failed";
  readonly since: string;
  readonly nodes: Array<{ readonly node: string; readonly status: NodeStatus }>;
}

export type RuntimeEvent =
  | { readonly type: "debug"; readonly flowId: string; readonly node: string; readonly label: string; readonly msg: unknown; readonly at: number }
  | { readonly type: "status"; readonly flowId: string; readonly node: string; readonly status: NodeStatus; readonly at: number }
  | { readonly type: "error"; readonly flowId: string; readonly node: string; readonly code: string; readonly message: string; readonly at: number }
  | {
      readonly type: "deploy";
      readonly flowId: string;
      readonly version: number;
      readonly phase: "validating" | "starting" | "running" | "failed";
      readonly detail?: string;
      readonly at: number;
    };

export type DeployOutcome =
  | { readonly ok: true; readonly report: DeployReport; readonly durationMs: number }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly problems?: unknown[] }; readonly durationMs: number };

export interface LocalRuntime {
  /** Deploys (or hot-redeploys) `document` as `version`; on failure the previous version keeps running. */
  deploy(flowId: string, version: number, document: FlowDocument): Promise<DeployOutcome>;
  stop(flowId: string): Promise<boolean>;
  flows(): RunningFlowState[];
  metrics(flowId?: string): Array<{ flowId: string; nodes: NodeMetricsSnapshot[] }>;
  /** Subscribe to live events; returns an unsubscribe function. */
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}
