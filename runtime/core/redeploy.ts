/** What a hot redeploy keeps, rebuilds, adds and removes (the swap itself is engine.ts's). */
import type { DeployReport } from "./engine-types.ts";
import { enabled, hashOf } from "./graph.ts";
import type { RuntimeNode } from "./runtime-node.ts";
import type { ValidFlow } from "./validate.ts";

export interface RedeployPlan {
  /** The nodes kept as they run (unchanged type, version, config and connections), by id; new ones are added by the swap. */
  readonly next: Map<string, RuntimeNode>;
  readonly report: DeployReport;
  /** The running nodes that go: removed, or replaced by a rebuilt node of the same id. */
  readonly retired: RuntimeNode[];
}

/**
 * Compares the running nodes with the enabled nodes of `valid`: a node whose identity hash is
 * unchanged is kept with its instance and keyed state, one whose hash changed is rebuilt, new ids are
 * added and missing ones removed (a node disabled in the new version counts as removed).
 */
export function planRedeploy(previous: ReadonlyMap<string, RuntimeNode>, valid: ValidFlow): RedeployPlan {
  const next = new Map<string, RuntimeNode>();
  const report: DeployReport = { flowId: valid.flow.id, added: [], changed: [], removed: [], kept: [] };
  for (const entry of enabled(valid)) {
    const old = previous.get(entry.node.id);
    if (old && old.configHash === hashOf(entry)) {
      next.set(old.id, old);
      report.kept.push(old.id);
    } else {
      (old ? report.changed : report.added).push(entry.node.id);
    }
  }
  for (const id of previous.keys()) if (!next.has(id) && !report.changed.includes(id)) report.removed.push(id);
  const retired = [...previous.values()].filter((n) => next.get(n.id) !== n);
  return { next, report, retired };
}
