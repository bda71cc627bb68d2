import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closest, editDistance } from "./suggest.ts";

describe("editDistance", () => {
  const cases: Array<[string, string, number]> = [
    ["", "", 0],
    ["abc", "abc", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["threshold", "treshold", 1],
    ["ab", "ba", 2],
  ];
  for (const [a, b, d] of cases) it(`is ${d} from "${a}" to "${b}"`, () => assert.equal(editDistance(a, b), d));
});

describe("closest", () => {
  const types = ["sliding-window", "tumbling-window", "threshold", "range-check"];
  const cases: Array<[string, string[], string | undefined]> = [
    ["treshold", types, "threshold"],
    ["Sliding-Window", types, "sliding-window"],
    ["range-chek", types, "range-check"],
    ["mqtt-in", types, undefined],
    ["anything", [], undefined],
    ["abcd", ["abcx", "abxx"], "abcx"],
    ["ab", ["xy", "ab "], "ab "],
  ];
  for (const [name, candidates, expected] of cases) {
    it(`suggests ${expected === undefined ? "nothing" : `"${expected}"`} for "${name}"`, () => assert.equal(closest(name, candidates), expected));
  }

  it("suggests nothing further than three edits away", () => {
    assert.equal(closest("abcdefg", ["abcdxyz"]), "abcdxyz");
    assert.equal(closest("abcdefg", ["abcwxyz"]), undefined);
  });
});
