/**
 * Flows, their versions, diffs and deployments as the store keeps them and the API and the editor
 * exchange them. Types only.
 */
import type { FlowDocument } from "./flow-format.ts";

export interface FlowRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly latestVersion: number;
  /** Version running on the local runtime, if any. */
  readonly deployedVersion?: number;
  /** Last version that deployed and started successfully (the rollback target). */
  readonly lastGoodVersion?: number;
}

export interface FlowVersionInfo {
  readonly flowId: string;
  /** 1, 2, 3 ... per flow. */
  readonly version: number;
  readonly author: string;
  readonly createdAt: string;
  /** sha256 (hex) of the canonical JSON of the document (keys sorted). */
  readonly hash: string;
  readonly message: string;
}

export interface FlowVersion extends FlowVersionInfo {
  readonly document: FlowDocument;
}

export interface FlowDiff {
  readonly nodes: {
    readonly added: string[];
    readonly removed: string[];
    /** Node ids whose type, name, config, position or disabled flag changed, with the changed JSON paths. */
    readonly changed: Array<{ readonly id: string; readonly paths: string[] }>;
  };
  readonly edges: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  readonly connections: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  /** Top-level fields (name, description) that changed. */
  readonly flow: string[];
}

export type SaveResult =
  | { readonly ok: true; readonly version: FlowVersion; readonly created: boolean }
  /** `baseVersion` was not the latest: someone saved in between. `diff` = base -> latest. */
  | { readonly ok: false; readonly conflict: { readonly base: number; readonly latest: FlowVersionInfo; readonly diff: FlowDiff } };

/** One file holding a flow and all its versions (export / import). */
export interface FlowBundle {
  readonly format: "aiotflow/flow-bundle@1";
  readonly flow: FlowRecord;
  readonly versions: FlowVersion[];
}

export interface DeploymentRecord {
  readonly id: string;
  readonly flowId: string;
  readonly version: number;
  readonly by: string;
  readonly at: string;
  readonly outcome: "running" | "failed" | "rolled-back";
  readonly durationMs: number;
  readonly error?: { readonly code: string; readonly message: string };
}
