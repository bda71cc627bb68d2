import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AiotError, Config, defineNode, ERROR_PORT, type NodeContext } from "../../../runtime/sdk/index.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { emitError } from "./emit-error.ts";

/** A source's context, from the test harness (its node id is "under-test"). */
function sourceContext() {
  let ctx: NodeContext<string> | undefined;
  const source = defineNode({
    type: "test-source", version: 1, family: "sources", title: "Source", summary: "Hands its context to the test.", config: Config({}), inputs: {},
    outputs: { out: { kind: "reading", description: "Readings." } }, examples: [],
    create: (_config, context) => ((ctx = context), {}),
  });
  const h = harness(source, {});
  return { ctx: ctx!, h, errors: () => h.emitted.filter((e) => e.port === ERROR_PORT).map((e) => e.msg) };
}

describe("emitError", () => {
  it("sends the coded error out of the error port as the engine shapes a thrown one, naming the node", () => {
    const { ctx, errors } = sourceContext();
    const error = new AiotError("MESSAGE_SHAPE_INVALID", "row 7: temperature is not a number", { path: "payload.temperature", line: 7 });
    emitError(ctx, error, { topic: "replay/line-3", ts: 1_000, key: "pump-1" }, "bad_rows");
    const [msg, ...more] = errors();
    assert.equal(more.length, 0);
    assert.deepEqual([msg!.topic, msg!.ts, msg!.key], ["replay/line-3", 1_000, "pump-1"]);
    assert.deepEqual(msg!.meta, { source: "under-test", error: "MESSAGE_SHAPE_INVALID" });
    assert.deepEqual(msg!.payload, new AiotError("MESSAGE_SHAPE_INVALID", error.message, { path: "payload.temperature", line: 7, node: "under-test" }).toJSON());
    assert.ok((msg!.payload as { hint: string }).hint.length > 0, "carries the catalogue's advice");
  });

  it("counts every error under the metric it is given", () => {
    const { ctx, h } = sourceContext();
    const error = new AiotError("OPCUA_NODE_NOT_FOUND", "node ns=1;s=X does not exist", { nodeId: "ns=1;s=X" });
    for (let i = 0; i < 3; i++) emitError(ctx, error, { topic: "opcua", ts: i }, "items_missing");
    assert.equal(h.counters.get("items_missing"), 3);
  });

  it("leaves the error it was given as it was, and names this node even when the error named another", () => {
    const { ctx, errors } = sourceContext();
    const error = new AiotError("NODE_FAILED", "upstream trouble", { node: "somewhere-else" });
    emitError(ctx, error, { topic: "t", ts: 0 }, "errors");
    assert.deepEqual(error.details, { node: "somewhere-else" });
    assert.equal((errors()[0]!.payload as { node: string }).node, "under-test");
  });

  it("emits a message without a key when the place it happened has none", () => {
    const { ctx, errors } = sourceContext();
    emitError(ctx, new AiotError("NODE_FAILED", "x"), { topic: "t", ts: 5 }, "errors");
    assert.equal(Object.hasOwn(errors()[0]!, "key"), false);
  });
});
