import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Clock, TimerHandle } from "../sdk/clock.ts";
import type { Logger } from "../sdk/define.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";

/** Keyed state of one node as written to disk; restored only into a node with the same config hash. */
export interface NodeStateSnapshot {
  readonly type: string;
  readonly configHash: string;
  readonly entries: Array<[string, unknown]>;
}

export interface FlowStateSnapshot {
  readonly flowId: string;
  readonly savedAt: string;
  readonly nodes: Record<string, NodeStateSnapshot>;
}

/**
 * Reads a snapshot. A missing file is an empty start; an unreadable one is reported (never a silent
 * reset) and moved aside to `<file>.invalid` so the next snapshot does not overwrite the evidence.
 */
export function readSnapshot(file: string): { snapshot?: FlowStateSnapshot; problem?: AiotError } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    return { problem: new AiotError("STATE_SNAPSHOT_INVALID", `cannot read: ${errorMessage(error)}`, { file }) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return movedAside(file, errorMessage(error));
  }
  const problem = shapeProblem(parsed);
  return problem === undefined ? { snapshot: parsed as FlowStateSnapshot } : movedAside(file, problem);
}

/** What keeps a parsed file from being a snapshot, or undefined when it is one. */
function shapeProblem(parsed: unknown): string | undefined {
  const nodes = (parsed as Partial<FlowStateSnapshot> | null)?.nodes;
  if (typeof parsed !== "object" || typeof nodes !== "object" || nodes === null) return 'missing "nodes" object';
  for (const [id, node] of Object.entries(nodes)) {
    if (!Array.isArray(node?.entries) || typeof node.configHash !== "string") return `node "${id}" has no entries/configHash`;
  }
  return undefined;
}

function movedAside(file: string, problem: string): { problem: AiotError } {
  try {
    renameSync(file, `${file}.invalid`);
  } catch {
    // keep going: the report below still names the file
  }
  return { problem: new AiotError("STATE_SNAPSHOT_INVALID", `${problem}; moved aside to ${file}.invalid, starting with empty state`, { file }) };
}

/** Atomic write: a crash mid-write leaves the previous snapshot intact. */
export function writeSnapshot(file: string, snapshot: FlowStateSnapshot): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(snapshot));
  renameSync(temporary, file);
}

export interface StatefulNode {
  readonly id: string;
  readonly definition: { readonly type: string };
  readonly configHash: string;
  readonly state: Map<string, unknown>;
}

/** One flow's snapshot file: restores keyed state at start, saves it periodically and at stop. */
export class StateSnapshots {
  private restored: FlowStateSnapshot | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly flowId: string,
    private readonly file: string | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    if (!file) return;
    const { snapshot, problem } = readSnapshot(file);
    if (problem) log.warn(problem.message, { file, code: problem.code });
    this.restored = snapshot;
  }

  /** The saved state of `nodeId`, only if it was saved by a node with the same config hash. */
  stateFor(nodeId: string, configHash: string): Map<string, unknown> {
    const saved = this.restored?.nodes[nodeId];
    return saved && saved.configHash === configHash ? new Map(saved.entries) : new Map();
  }

  save(nodes: Iterable<StatefulNode>): void {
    if (!this.file) return;
    const saved: FlowStateSnapshot["nodes"] = {};
    for (const node of nodes) {
      if (node.state.size > 0) saved[node.id] = { type: node.definition.type, configHash: node.configHash, entries: [...node.state] };
    }
    try {
      writeSnapshot(this.file, { flowId: this.flowId, savedAt: new Date(this.clock.now()).toISOString(), nodes: saved });
    } catch (error) {
      this.log.error(`could not write state snapshot: ${errorMessage(error)}`, { file: this.file });
    }
  }

  /** Saves `nodes()` every `ms` until `cancel()`. */
  every(ms: number, nodes: () => Iterable<StatefulNode>): void {
    if (this.file) this.timer = this.clock.setInterval(() => this.save(nodes()), ms);
  }

  cancel(): void {
    this.timer?.cancel();
  }
}
