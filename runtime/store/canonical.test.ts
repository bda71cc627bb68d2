import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalJson, contentHash } from "./canonical.ts";

describe("canonical JSON", () => {
  const cases: Array<[string, unknown, string]> = [
    ["sorts keys at every depth", { b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } }, '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}'],
    ["keeps array order", [3, 1, 2], "[3,1,2]"],
    ["drops undefined fields", { a: undefined, b: 1 }, '{"b":1}'],
    ["keeps a __proto__ key as data", JSON.parse('{"__proto__":{"x":1},"a":2}'), '{"__proto__":{"x":1},"a":2}'],
    ["writes scalars as JSON does", "x\u0000", '"x\\u0000"'],
  ];
  for (const [name, value, expected] of cases) it(name, () => assert.equal(canonicalJson(value), expected));

  it("gives the same hash whatever the key order, and a different one for a changed value", () => {
    assert.equal(contentHash({ a: 1, b: [1, 2] }), contentHash({ b: [1, 2], a: 1 }));
    assert.notEqual(contentHash({ a: 1, b: [1, 2] }), contentHash({ a: 1, b: [2, 1] }));
    assert.match(contentHash({}), /^[0-9a-f]{64}$/);
  });
});
