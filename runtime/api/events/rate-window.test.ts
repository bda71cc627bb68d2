import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rateWindow } from "./rate-window.ts";

const takeMany = (take: () => boolean, times: number) => Array.from({ length: times }, take).filter(Boolean).length;

describe("per-client rate window", () => {
  it("lets the limit through per type and flow, and counts the rest as dropped", () => {
    const window = rateWindow(5);
    assert.equal(takeMany(() => window.take("debug", "line-1"), 20), 5);
    assert.equal(takeMany(() => window.take("debug", "line-2"), 3), 3, "another flow has its own budget");
    assert.equal(takeMany(() => window.take("status", "line-1"), 6), 5, "another type has its own budget");
    assert.deepEqual(window.takeNotes(), [
      { type: "debug-dropped", flowId: "line-1", count: 15 },
      { type: "status-dropped", flowId: "line-1", count: 1 },
    ]);
    assert.deepEqual(window.takeNotes(), [], "a note is given once");
  });

  it("gives a full budget again in a new window", () => {
    const window = rateWindow(2);
    assert.equal(takeMany(() => window.take("debug", "line-1"), 3), 2);
    window.restart();
    assert.equal(takeMany(() => window.take("debug", "line-1"), 3), 2);
  });

  it("keeps drop counts across windows until they are taken (a client that is behind gets them later)", () => {
    const window = rateWindow(1);
    takeMany(() => window.take("debug", "line-1"), 3);
    window.restart();
    takeMany(() => window.take("debug", "line-1"), 4);
    assert.deepEqual(window.takeNotes(), [{ type: "debug-dropped", flowId: "line-1", count: 5 }]);
  });

  it("drops everything with a limit of 0", () => {
    const window = rateWindow(0);
    assert.equal(window.take("error", "line-1"), false);
    assert.deepEqual(window.takeNotes(), [{ type: "error-dropped", flowId: "line-1", count: 1 }]);
  });
});
