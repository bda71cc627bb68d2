import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { canonicalJson } from "./canonical.ts";

/** The form stored hashes were made with: JSON.stringify with a key-sorting replacer. */
function replacerForm(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.keys(inner).sort().map((key) => [key, (inner as Record<string, unknown>)[key]]));
  });
}

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps array order", () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }), '{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it("writes odd values as JSON.stringify does: undefined dropped, null in arrays, dates by toJSON, NaN as null", () => {
    const odd = { s: 'é"\n', n: null, u: undefined, list: [undefined, () => 1, NaN, -0, 1e21], at: new Date(0), "k y": true, nested: { z: [{}], a: "" } };
    assert.equal(canonicalJson(odd), replacerForm(odd));
    assert.equal(canonicalJson(undefined), "undefined");
  });

  it("keeps a __proto__ key as data, as the hashes of stored versions did", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":1}}') as unknown;
    assert.equal(canonicalJson(value), replacerForm(value));
  });

  it("gives every shipped flow the text its stored hash was made from", () => {
    const dir = join(import.meta.dirname, "..", "..", "flows");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    assert.ok(files.length >= 2);
    for (const file of files) {
      const flow = JSON.parse(readFileSync(join(dir, file), "utf8")) as unknown;
      assert.equal(canonicalJson(flow), replacerForm(flow), file);
    }
  });
});
