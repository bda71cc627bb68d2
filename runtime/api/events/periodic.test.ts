import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { every } from "./periodic.ts";

describe("every", () => {
  it("is due once per period, counted from the last time it was due", () => {
    const due = every(1000, 0);
    const at = [0, 999, 1000, 1500, 1999, 2000, 3500, 4000, 4499, 4500];
    assert.deepEqual(at.filter(due), [1000, 2000, 3500, 4500]);
  });
});
