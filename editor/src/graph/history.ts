/**
 * Undo/redo of graph edits as a bounded stack of snapshots. The editor records the state *before*
 * each edit; `undo` hands back that state and keeps the current one for `redo`. Steps recorded with
 * the same coalescing key one after another (typing into one config field) become a single step.
 */
export interface History<T> {
  /** Keep `before` as the state to go back to. A step with the previous step's `key` is merged into it. */
  record(before: T, key?: string): void;
  /** The state before the last step, or undefined when there is nothing to undo. */
  undo(current: T): T | undefined;
  /** The state the last undo left, or undefined when there is nothing to redo. */
  redo(current: T): T | undefined;
  /** Ends coalescing: the next step is a step of its own even with the same key. */
  seal(): void;
  clear(): void;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly size: number;
}

export const DEFAULT_HISTORY_LIMIT = 100;

export function createHistory<T>(limit = DEFAULT_HISTORY_LIMIT): History<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`history limit must be a positive integer, got ${limit}`);
  const past: T[] = [];
  let future: T[] = [];
  let lastKey: string | undefined;

  return {
    record(before, key) {
      future = [];
      if (key !== undefined && key === lastKey && past.length > 0) return;
      lastKey = key;
      past.push(before);
      // Bounded: the oldest steps fall off first.
      if (past.length > limit) past.splice(0, past.length - limit);
    },
    undo(current) {
      const previous = past.pop();
      if (previous === undefined) return undefined;
      future.push(current);
      lastKey = undefined;
      return previous;
    },
    redo(current) {
      const next = future.pop();
      if (next === undefined) return undefined;
      past.push(current);
      lastKey = undefined;
      return next;
    },
    seal() {
      lastKey = undefined;
    },
    clear() {
      past.length = 0;
      future = [];
      lastKey = undefined;
    },
    get canUndo() {
      return past.length > 0;
    },
    get canRedo() {
      return future.length > 0;
    },
    get size() {
      return past.length;
    },
  };
}

/** Which config fields an edit of `id` touches: typing on in one field stays one undo step. */
export function configEditKey(id: string, before: Record<string, unknown>, after: Record<string, unknown> | undefined): string {
  if (!after) return `node:${id}`;
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
  return `config:${id}:${changed.join(",")}`;
}

/**
 * A snapshot's nodes or wires as they come back on undo/redo: selected only if selected right now
 * (`selectedNow`, the ids of the current selection) and never dragging. The selection is not an edit:
 * a snapshot taken after Ctrl+A would otherwise come back all selected, and the next Delete would
 * remove every node instead of the one clicked.
 */
export function restorable<T extends { id: string; selected?: boolean; dragging?: boolean }>(items: readonly T[], selectedNow: ReadonlySet<string>): T[] {
  return items.map((item) => {
    const selected = selectedNow.has(item.id);
    return !!item.selected === selected && !item.dragging ? item : { ...item, selected, dragging: false };
  });
}
