import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuntimeEvent } from "../../local/local-runtime.ts";
import { eventHistory } from "./history.ts";

const debug = (flowId: string, at: number): RuntimeEvent => ({ type: "debug", flowId, node: "out", label: "out", msg: { payload: at }, at });
const times = (events: readonly RuntimeEvent[]) => events.map((e) => e.at);

describe("event history", () => {
  it("keeps the last debug events of each flow, oldest first", () => {
    const history = eventHistory(3);
    for (let at = 1; at <= 5; at++) history.remember(debug("line-1", at));
    history.remember(debug("line-2", 6));
    assert.deepEqual(times(history.of("line-1")), [3, 4, 5]);
    assert.deepEqual(times(history.of("line-2")), [6]);
    assert.deepEqual(history.of("line-3"), []);
  });

  it("keeps only debug events", () => {
    const history = eventHistory(3);
    history.remember({ type: "deploy", flowId: "line-1", version: 2, phase: "running", at: 1 });
    history.remember({ type: "status", flowId: "line-1", node: "src", status: { state: "running" }, at: 2 });
    history.remember({ type: "error", flowId: "line-1", node: "map", code: "EXPRESSION_FAILED", message: "x", at: 3 });
    assert.deepEqual(history.of("line-1"), []);
  });

  it("keeps nothing with a bound of 0", () => {
    const history = eventHistory(0);
    history.remember(debug("line-1", 1));
    assert.deepEqual(history.of("line-1"), []);
  });

  it("hands out a copy: what a caller does with it does not change the ring", () => {
    const history = eventHistory(2);
    history.remember(debug("line-1", 1));
    (history.of("line-1") as RuntimeEvent[]).length = 0;
    assert.deepEqual(times(history.of("line-1")), [1]);
  });
});
