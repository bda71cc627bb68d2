import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuntimeEvent } from "../../local/local-runtime.ts";
import { MAX_EVENT_BYTES, serialise } from "./serialise.ts";

const debug = (payload: unknown): RuntimeEvent => ({ type: "debug", flowId: "line-1", node: "out", label: "out", msg: { payload }, at: 7 });

describe("serialising a live event", () => {
  it("sends an event as its JSON", () => {
    const event = debug({ vibration: 4.2 });
    assert.deepEqual(JSON.parse(serialise(event)), event);
    assert.deepEqual(JSON.parse(serialise({ ...event, replayed: true })), { ...event, replayed: true });
  });

  it("replaces a debug message over the limit with a note of its size, keeping the rest of the event", () => {
    const sent = JSON.parse(serialise(debug("x".repeat(MAX_EVENT_BYTES))));
    assert.equal(sent.flowId, "line-1");
    assert.equal(sent.node, "out");
    assert.match(sent.msg.omitted, /^message of \d+ characters is over the 65536 limit$/);
  });

  it("does not shorten an event that is not a debug message", () => {
    const event: RuntimeEvent = { type: "error", flowId: "line-1", node: "map", code: "EXPRESSION_FAILED", message: "m".repeat(MAX_EVENT_BYTES), at: 1 };
    assert.equal(serialise(event), JSON.stringify(event));
  });

  it("says so instead of throwing when the message cannot be serialised", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const sent = JSON.parse(serialise(debug(cyclic)));
    assert.deepEqual(Object.keys(sent), ["type", "flowId", "at", "omitted"]);
    assert.match(sent.omitted, /^cannot serialise: .*circular/i);
    assert.equal(JSON.parse(serialise(debug(10n))).omitted.startsWith("cannot serialise"), true);
  });
});
