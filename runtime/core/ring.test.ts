import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { TripleRing } from "./ring.ts";

/** Drains `ring` through shift(), oldest first. */
function drain<A, B, C>(ring: TripleRing<A, B, C>): Array<[A, B, C]> {
  const out: Array<[A, B, C]> = [];
  while (ring.size > 0) ring.shift((a, b, c) => out.push([a, b, c]));
  return out;
}

describe("TripleRing", () => {
  it("hands triples back first in, first out, with the size following pushes and shifts", () => {
    const ring = new TripleRing<string, number, boolean>(4);
    ring.push("a", 1, true);
    ring.push("b", 2, false);
    assert.equal(ring.size, 2);
    assert.deepEqual(drain(ring), [["a", 1, true], ["b", 2, false]]);
    assert.equal(ring.size, 0);
  });

  it("grows past its initial capacity, also when the queue has wrapped around the end of its arrays", () => {
    for (const initialCapacity of [1, 3, 4, 5]) {
      const ring = new TripleRing<number, number, number>(initialCapacity);
      const expected: Array<[number, number, number]> = [];
      let next = 0;
      // Shift some first so head and tail sit mid-array when the ring fills and grows.
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < round * 3 + 1; i++, next++) {
          ring.push(next, next * 10, next * 100);
          expected.push([next, next * 10, next * 100]);
        }
        ring.shift((a, b, c) => assert.deepEqual([a, b, c], expected.shift(), `capacity ${initialCapacity}, round ${round}`));
      }
      assert.deepEqual(drain(ring), expected, `capacity ${initialCapacity}`);
    }
  });

  it("peeks at the oldest first element without removing it, and answers undefined when empty", () => {
    const ring = new TripleRing<string, number, number>(2);
    assert.equal(ring.peekFirst(), undefined);
    ring.push("oldest", 1, 1);
    ring.push("newer", 2, 2);
    assert.equal(ring.peekFirst(), "oldest");
    assert.equal(ring.size, 2);
    ring.shift(() => undefined);
    assert.equal(ring.peekFirst(), "newer");
    ring.shift(() => undefined);
    assert.equal(ring.peekFirst(), undefined, "a drained ring peeks nothing, not a stale slot");
  });

  it("shiftSecond removes the oldest triple and returns its message, in order with shift()", () => {
    const ring = new TripleRing<string, string, string>(2);
    for (const n of ["1", "2", "3"]) ring.push(`port-${n}`, `msg-${n}`, `node-${n}`);
    assert.equal(ring.shiftSecond(), "msg-1");
    ring.shift((a, b) => assert.deepEqual([a, b], ["port-2", "msg-2"]));
    assert.equal(ring.shiftSecond(), "msg-3");
    assert.equal(ring.size, 0);
  });

  it("keeps a million triples in order through repeated growth", () => {
    const ring = new TripleRing<number, number, null>(1);
    const count = 1_000_000;
    for (let i = 0; i < count; i++) ring.push(i, -i, null);
    let expected = 0;
    let inOrder = true;
    while (ring.size > 0) ring.shift((a, b) => (inOrder &&= a === expected && b === -expected, expected++));
    assert.equal(expected, count);
    assert.ok(inOrder);
  });

  it("lets go of every element it handed back, so a delivered message can be collected", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const ring = new TripleRing<object, object, object>(4);
    const refs: Array<WeakRef<object>> = [];
    (() => {
      const [a, b, c] = [{}, {}, {}];
      refs.push(new WeakRef(a), new WeakRef(b), new WeakRef(c));
      ring.push(a, b, c);
      ring.shift(() => {});
    })();
    await new Promise<void>((resolve) => setImmediate(resolve)); // a WeakRef keeps its target alive to the end of the job
    gc();
    gc();
    assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true]);
  });
});
