import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventSettings } from "./limits.ts";

describe("event settings", () => {
  it("fills in the documented defaults", () => {
    assert.deepEqual(eventSettings(), {
      perFlowPerSecond: 50,
      maxBufferedBytes: 1024 * 1024,
      stuckMs: 10_000,
      closeGraceMs: 2000,
      tickMs: 250,
      recheckMs: 5000,
      historyPerFlow: 100,
    });
  });

  it("keeps what is given", () => {
    const given = { perFlowPerSecond: 5, maxBufferedBytes: 64, stuckMs: 300, closeGraceMs: 10, tickMs: 20, recheckMs: 50, historyPerFlow: 3 };
    assert.deepEqual(eventSettings(given), given);
  });

  const histories: Array<[asked: number, kept: number]> = [
    [0, 0],
    [2.7, 2],
    [-5, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ];
  for (const [asked, kept] of histories) {
    it(`keeps ${kept} debug events per flow when asked for ${asked} (never an unbounded ring)`, () => {
      assert.equal(eventSettings({ historyPerFlow: asked }).historyPerFlow, kept);
    });
  }
});
