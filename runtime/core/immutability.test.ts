import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, type Message } from "../sdk/index.ts";
import { Engine, type FlowErrorEvent } from "./engine.ts";
import { freezeDeep, freezeShallow, isFrozenWrite } from "./immutability.ts";

type Mutation = (msg: Message) => void;

/** A node that changes the message it received (`mutate`), then passes it on; sync or async. */
function mutatorNode(mutate: Mutation, async = false) {
  return defineNode({
    type: "test-mutator",
    version: 1,
    family: "util",
    title: "Mutator",
    summary: "Breaks the immutability contract.",
    config: Config({}),
    inputs: { in: { kind: "any", description: "x" } },
    outputs: { out: { kind: "any", description: "x" } },
    examples: [],
    ...(async ? { concurrency: 2 } : {}),
    create: (_c, ctx) => ({
      onMessage: async
        ? async (msg: Message) => {
            await Promise.resolve();
            mutate(msg);
            ctx.emit("out", msg);
          }
        : (msg: Message) => {
            mutate(msg);
            ctx.emit("out", msg);
          },
    }),
  });
}

/** src fans out to the mutator (first) and a sibling sink; production defaults (no freezeMessages). */
async function fanOut(mutate: Mutation, async = false) {
  const probe = probeNodes();
  const engine = new Engine({ catalog: new Map([...probe.definitions, mutatorNode(mutate, async)].map((d) => [d.type, d])), clock: new VirtualClock() });
  const errors: FlowErrorEvent[] = [];
  engine.on("error", (e) => errors.push(e));
  await engine.deploy(
    flowOf([["src", "test-source"], ["m", "test-mutator"], ["after", "test-sink"], ["sibling", "test-sink"]], ["src.out->m.in", "m.out->after.in", "src.out->sibling.in"]),
  );
  probe.sources.get("src")!({ ...reading(1), meta: { source: "src" } });
  await engine.idle();
  await engine.stop();
  return { errors, sibling: probe.received.get("sibling") ?? [], after: probe.received.get("after") ?? [] };
}

describe("immutable messages in production", () => {
  const cases: Array<[string, Mutation]> = [
    ["writes a payload field", (msg) => void ((msg.payload as { value: number }).value = 99)],
    ["adds a payload field", (msg) => void ((msg.payload as Record<string, unknown>)["extra"] = true)],
    ["deletes a payload field", (msg) => void delete (msg.payload as { value?: number }).value],
    ["writes the topic", (msg) => void ((msg as { topic: string }).topic = "changed")],
    ["writes meta", (msg) => void ((msg.meta as Record<string, unknown>)["source"] = "changed")],
  ];
  for (const [what, mutate] of cases) {
    it(`refuses a node that ${what} of its input: MESSAGE_MUTATED naming the node, and its fan-out sibling sees the message as sent`, async () => {
      const { errors, sibling, after } = await fanOut(mutate);
      assert.deepEqual(sibling.map((m) => [m.topic, m.payload, m.meta]), [["sensors/pump-1", { value: 1 }, { source: "src" }]]);
      assert.equal(after.length, 0, "the mutated message went nowhere");
      assert.equal(errors.length, 1);
      const error = errors[0]!.error;
      assert.equal(error.code, "MESSAGE_MUTATED");
      assert.equal(error.details.node, "m");
      assert.match(error.message, /node "m" \(test-mutator\) changed a message it received/);
      assert.match(error.hint, /\{ \.\.\.msg\.payload, /);
    });
  }

  it("refuses an async node that changes its input after an await, the same way", async () => {
    const { errors, sibling } = await fanOut((msg) => void ((msg.payload as { value: number }).value = 99), true);
    assert.deepEqual(sibling.map((m) => m.payload), [{ value: 1 }]);
    assert.deepEqual(errors.map((e) => e.error.code), ["MESSAGE_MUTATED"]);
  });

  it("refuses every change on a fan-out, not only the first: the sibling sees each message as sent", async () => {
    const probe = probeNodes();
    const engine = new Engine({ catalog: new Map([...probe.definitions, mutatorNode((msg) => void ((msg.payload as { value: number }).value = -1))].map((d) => [d.type, d])) });
    const errors: FlowErrorEvent[] = [];
    engine.on("error", (e) => errors.push(e));
    await engine.deploy(flowOf([["src", "test-source"], ["m", "test-mutator"], ["sibling", "test-sink"]], ["src.out->m.in", "src.out->sibling.in"]));
    for (let i = 0; i < 100; i++) probe.sources.get("src")!(reading(i));
    await engine.stop();
    assert.deepEqual(probe.received.get("sibling")!.map((m) => (m.payload as { value: number }).value), Array.from({ length: 100 }, (_, i) => i));
    assert.equal(errors.filter((e) => e.error.code === "MESSAGE_MUTATED").length, 100);
  });

  it("refuses a node that changes its input on a single wire at its first message", async () => {
    const probe = probeNodes();
    const engine = new Engine({ catalog: new Map([...probe.definitions, mutatorNode((msg) => void ((msg.payload as { value: number }).value = -1))].map((d) => [d.type, d])) });
    const errors: FlowErrorEvent[] = [];
    engine.on("error", (e) => errors.push(e));
    await engine.deploy(flowOf([["src", "test-source"], ["m", "test-mutator"], ["after", "test-sink"]], ["src.out->m.in", "m.out->after.in"]));
    probe.sources.get("src")!(reading(1));
    await engine.stop();
    assert.deepEqual(errors.map((e) => [e.error.code, e.error.details.node]), [["MESSAGE_MUTATED", "m"]]);
  });

  it("keeps a node that copies instead of changing working (the fix the error names)", async () => {
    const { errors, sibling } = await fanOut(() => undefined);
    assert.deepEqual([errors.length, sibling.length], [0, 1]);
  });
});

describe("message freezing", () => {
  it("freezes the envelope, payload and meta, and leaves nested values to the deep freeze of tests", () => {
    const msg: Message = { topic: "t", ts: 0, payload: { nested: { x: 1 } }, meta: { source: "s" } };
    freezeShallow(msg);
    assert.deepEqual([Object.isFrozen(msg), Object.isFrozen(msg.payload), Object.isFrozen(msg.meta)], [true, true, true]);
    assert.equal(Object.isFrozen((msg.payload as { nested: object }).nested), false);
    const fresh: Message = { topic: "t", ts: 0, payload: { nested: { x: 1 } } };
    freezeDeep(fresh);
    assert.equal(Object.isFrozen((fresh.payload as { nested: object }).nested), true);
  });

  it("passes binary payloads (Buffer, Float32Array) through both freezes unchanged instead of throwing", () => {
    for (const payload of [Buffer.from("abc"), new Float32Array([1, 2]), { features: new Float64Array([3]) }]) {
      const msg: Message = { topic: "t", ts: 0, payload };
      assert.doesNotThrow(() => freezeShallow(msg));
      assert.doesNotThrow(() => freezeDeep({ ...msg }));
    }
  });

  it("tells a write to a frozen object from any other TypeError", () => {
    const frozen = Object.freeze({ a: 1, list: Object.freeze([1]) });
    const thrown = (f: () => void): unknown => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    assert.equal(isFrozenWrite(thrown(() => void ((frozen as { a: number }).a = 2))), true);
    assert.equal(isFrozenWrite(thrown(() => void ((frozen as Record<string, unknown>)["b"] = 2))), true);
    assert.equal(isFrozenWrite(thrown(() => void delete (frozen as { a?: number }).a)), true);
    assert.equal(isFrozenWrite(thrown(() => void (frozen.list as number[]).push(2))), true);
    assert.equal(isFrozenWrite(thrown(() => void (undefined as unknown as { x: number }).x)), false);
    assert.equal(isFrozenWrite(new Error("Cannot assign to read only property")), false);
  });
});
