import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deepFreeze, keyedView } from "./state.ts";

describe("keyedView", () => {
  it("creates a key's state with init the first time it is read, and keeps it", () => {
    const store = new Map<string, unknown>();
    const inits: string[] = [];
    const view = keyedView(store, (key) => (inits.push(key), { count: 0 }));
    view.get("a").count++;
    view.get("a").count++;
    assert.deepEqual(view.get("a"), { count: 2 });
    assert.deepEqual(inits, ["a"]);
    assert.equal(store.get("a"), view.get("a"), "the runtime's map holds the state itself");
  });

  it("peeks without creating, and lists, counts and deletes keys", () => {
    const view = keyedView(new Map<string, unknown>(), () => 0);
    assert.equal(view.peek("a"), undefined);
    assert.equal(view.size, 0);
    view.get("a");
    view.get("b");
    assert.deepEqual([...view.keys()], ["a", "b"]);
    view.delete("a");
    assert.deepEqual([view.size, view.peek("a"), view.peek("b")], [1, undefined, 0]);
  });

  it("finds state carried over from a previous deploy in the map it is given", () => {
    const view = keyedView(new Map<string, unknown>([["pump-1", { count: 7 }]]), () => ({ count: 0 }));
    assert.deepEqual(view.get("pump-1"), { count: 7 });
  });

  it("creates afresh a key whose stored state is undefined", () => {
    const view = keyedView(new Map<string, unknown>([["a", undefined]]), () => "fresh");
    assert.equal(view.get("a"), "fresh");
  });
});

describe("deepFreeze", () => {
  it("freezes an object and everything reachable from it, and returns it", () => {
    const msg = { topic: "t", payload: { values: [1, { x: 2 }] }, meta: { tags: ["a"] } };
    assert.equal(deepFreeze(msg), msg);
    assert.ok(Object.isFrozen(msg) && Object.isFrozen(msg.payload) && Object.isFrozen(msg.payload.values) && Object.isFrozen(msg.payload.values[1]) && Object.isFrozen(msg.meta.tags));
    assert.throws(() => ((msg.payload.values[1] as { x: number }).x = 3), TypeError);
  });

  it("passes primitives and null through", () => {
    for (const value of [null, undefined, 1, "s", true]) assert.equal(deepFreeze(value), value);
  });

  it("handles shared and circular references", () => {
    const shared = { n: 1 };
    const a: Record<string, unknown> = { left: shared, right: shared };
    a["self"] = a;
    deepFreeze(a);
    assert.ok(Object.isFrozen(shared));
  });
});
