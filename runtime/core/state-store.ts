import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
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
  try {
    const parsed = JSON.parse(text) as Partial<FlowStateSnapshot>;
    if (!parsed || typeof parsed !== "object" || typeof parsed.nodes !== "object" || parsed.nodes === null) {
      throw new Error('missing "nodes" object');
    }
    for (const [id, node] of Object.entries(parsed.nodes)) {
      if (!Array.isArray(node?.entries) || typeof node.configHash !== "string") throw new Error(`node "${id}" has no entries/configHash`);
    }
    return { snapshot: parsed as FlowStateSnapshot };
  } catch (error) {
    try {
      renameSync(file, `${file}.invalid`);
    } catch {
      // keep going: the report below still names the file
    }
    return {
      problem: new AiotError("STATE_SNAPSHOT_INVALID", `${errorMessage(error)}; moved aside to ${file}.invalid, starting with empty state`, { file }),
    };
  }
}

/** Atomic write: a crash mid-write leaves the previous snapshot intact. */
export function writeSnapshot(file: string, snapshot: FlowStateSnapshot): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(snapshot));
  renameSync(temporary, file);
}
