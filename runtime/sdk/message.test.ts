import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRecord, readNumber } from "./message.ts";

describe("isRecord", () => {
  const cases: Array<[string, unknown, boolean]> = [
    ["a plain object", { a: 1 }, true],
    ["an empty object", {}, true],
    ["an object without prototype", Object.create(null), true],
    ["an array", [1, 2], false],
    ["null", null, false],
    ["undefined", undefined, false],
    ["a number", 4, false],
    ["a string", "{}", false],
  ];
  for (const [name, value, expected] of cases) it(`${expected ? "takes" : "refuses"} ${name}`, () => assert.equal(isRecord(value), expected));
});

describe("readNumber", () => {
  const cases: Array<[string, unknown, number | undefined]> = [
    ["a number field", { t: 61.5 }, 61.5],
    ["zero", { t: 0 }, 0],
    ["a missing field", { v: 1 }, undefined],
    ["a numeric string", { t: "61.5" }, undefined],
    ["NaN", { t: Number.NaN }, undefined],
    ["infinity", { t: Number.POSITIVE_INFINITY }, undefined],
    ["a payload that is a number", 61.5, undefined],
    ["a null payload", null, undefined],
  ];
  for (const [name, payload, expected] of cases) it(`reads ${name} as ${String(expected)}`, () => assert.equal(readNumber(payload, "t"), expected));
});
