import type { KeyedState } from "./define.ts";

/**
 * A typed view over one node's key -> state map. The map itself is owned by the runtime (so it can
 * be carried across a redeploy and snapshotted); the view only adds lazy creation by `init`.
 */
export function keyedView<S>(store: Map<string, unknown>, init: (key: string) => S): KeyedState<S> {
  return {
    get(key) {
      let value = store.get(key) as S | undefined;
      if (value === undefined) store.set(key, (value = init(key)));
      return value;
    },
    peek: (key) => store.get(key) as S | undefined,
    delete: (key) => void store.delete(key),
    keys: () => store.keys(),
    get size() {
      return store.size;
    },
  };
}

/** Freezes a value and everything reachable from it; used by tests to catch nodes mutating messages. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
