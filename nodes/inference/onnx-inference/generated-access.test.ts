import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FieldCopier, featureReader } from "./generated-access.ts";

describe("generated feature reader", () => {
  it("packs features in the given order and names the first that is not a finite number", () => {
    const read = featureReader(["b", "a"]);
    const out = new Float32Array(4);
    assert.equal(read({ a: 1, b: 2 }, out, 2), -1);
    assert.deepEqual([...out], [0, 0, 2, 1]);
    for (const [payload, bad] of [[{ a: 1 }, 0], [{ b: 1, a: Number.NaN }, 1], [{ b: Infinity, a: 1 }, 0], [{ b: 1, a: "1" }, 1], [{ b: 1, a: null }, 1]] as const) {
      assert.equal(read(payload, new Float32Array(2), 0), bad, JSON.stringify(payload));
    }
  });

  it("reads names that look like code as plain property names", () => {
    const names = ['x"]; globalThis.pwned = 1; //', "line\nbreak", "back\\slash", "\u2028", "__proto__"];
    const read = featureReader(names);
    const payload = JSON.parse(JSON.stringify(Object.fromEntries(names.map((n, i) => [n, i + 1])))) as Record<string, unknown>;
    const out = new Float32Array(names.length);
    assert.equal(read(payload, out, 0), -1);
    assert.deepEqual([...out], [1, 2, 3, 4, 5]);
    assert.equal((globalThis as { pwned?: number }).pwned, undefined);
  });
});

describe("FieldCopier", () => {
  const spread = (source: object, extras: Record<string, unknown>) => ({ ...source, ...extras });

  it("copies like spread: same keys, same order, extras last, a source field of an extra's name overwritten in place", () => {
    const copier = new FieldCopier(["score", "label"]);
    const sources = [{ t: 1, v: 2 }, { t: 3, v: 4 }, { v: 1, t: 2 }, {}, { score: 9, t: 1 }, { t: 1, nested: { deep: [1] } }];
    for (const source of sources) {
      const copy = copier.copy(source, 0.5, "hot");
      assert.deepEqual(copy, spread(source, { score: 0.5, label: "hot" }));
      assert.deepEqual(Object.keys(copy), Object.keys(spread(source, { score: 0.5, label: "hot" })));
      assert.notEqual(copy, source);
    }
  });

  it("keeps a __proto__ field as a field, never as the prototype", () => {
    const source = JSON.parse('{"__proto__": {"polluted": true}, "t": 1}') as Record<string, unknown>;
    const copy = new FieldCopier(["score"]).copy(source, 1);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ["__proto__", "t", "score"]);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  });

  it("copies objects with odd names, inherited fields or more shapes than it generates code for", () => {
    const copier = new FieldCopier(["score"]);
    const odd = { 'a"]; globalThis.pwned = 1; //': 1, "x\ny": 2, "2": 3 };
    assert.deepEqual(copier.copy(odd, 0), spread(odd, { score: 0 }));
    assert.equal((globalThis as { pwned?: number }).pwned, undefined);
    const inherited = Object.assign(Object.create({ hidden: 1 }) as Record<string, unknown>, { t: 1 });
    assert.deepEqual(Object.keys(copier.copy(inherited, 0)), ["t", "score"]);
    for (let i = 0; i < 20; i++) {
      const source = { [`k${i}`]: i, t: 1 };
      assert.deepEqual(copier.copy(source, i), spread(source, { score: i }));
    }
  });
});
