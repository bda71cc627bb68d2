import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { AiotError, Config, defineNode, Type, type Message } from "../sdk/index.ts";
import { SeededRandom } from "../sdk/seeded-random.ts";
import { harness } from "../sdk/testing.ts";
import { Engine } from "./engine.ts";

const valueOf = (msg: Message) => (msg.payload as { value: number }).value;

/**
 * Doubles payload.value a batch at a time; negative values are bad input, `throwOn` fails the whole
 * batch. `test-batch` declares no concurrency, `test-batch-async` 8 messages in flight.
 */
function batchNodes() {
  const batches: Array<{ port: string; values: number[] }> = [];
  let inflight = 0;
  let maxInflight = 0;
  const define = (type: string, concurrency: number | undefined) => defineNode({
    type,
    version: 1,
    family: "util",
    title: "Test batch",
    summary: "Doubles values per batch, optionally after a real delay.",
    config: Config({
      delayMs: Type.Number({ default: 0, description: "Real delay before emitting (0: synchronous)." }),
      throwOn: Type.Optional(Type.Number({ description: "A batch holding this value throws." })),
    }),
    inputs: { in: { kind: "reading", description: "{ value }" }, side: { kind: "reading", description: "{ value }" } },
    outputs: { out: { kind: "reading", description: "{ value * 2 }" } },
    examples: [{ title: "plain", config: {} }],
    ...(concurrency !== undefined ? { concurrency } : {}),
    create: (config, ctx) => {
      const handle = (msgs: readonly Message[], fail: (msg: Message, error: unknown) => void) => {
        if (msgs.some((m) => valueOf(m) === config.throwOn)) throw new Error(`batch with ${config.throwOn} refused`);
        for (const msg of msgs) {
          const value = valueOf(msg);
          if (value < 0) fail(msg, new AiotError("MODEL_FEATURE_INVALID", `value ${value} is negative`, { path: "payload.value" }));
          else ctx.emit("out", { ...msg, payload: { value: value * 2 } });
        }
      };
      return {
        onBatch(msgs, port, fail) {
          batches.push({ port, values: msgs.map(valueOf) });
          if (config.delayMs === 0) return handle(msgs, fail);
          inflight += msgs.length;
          maxInflight = Math.max(maxInflight, inflight);
          return new Promise<void>((resolve) => setTimeout(resolve, config.delayMs)).then(() => {
            inflight -= msgs.length;
            handle(msgs, fail);
          });
        },
      };
    },
  });
  return { doubler: define("test-batch", undefined), asyncDoubler: define("test-batch-async", 8), batches, maxInflight: () => maxInflight };
}

function setup(config: Record<string, unknown> = {}, options: { highWater?: number; type?: string } = {}) {
  const probe = probeNodes();
  const nodes = batchNodes();
  const catalog = new Map([...probe.definitions, nodes.doubler, nodes.asyncDoubler].map((d) => [d.type, d]));
  const engine = new Engine({ catalog, freezeMessages: true, ...(options.highWater !== undefined ? { highWater: options.highWater } : {}) });
  const flow = flowOf(
    [["src", "test-source"], ["side", "test-source"], ["b", options.type ?? "test-batch", config], ["out", "test-sink"], ["errors", "test-sink"]],
    ["src.out->b.in", "side.out->b.side", "b.out->out.in", "b.error->errors.in"],
  );
  const send = (value: number, source = "src") => probe.sources.get(source)!(reading(value));
  const got = (sink: string) => (probe.received.get(sink) ?? []).map(valueOf);
  return { engine, flow, send, got, ...nodes };
}

describe("engine: batch nodes (onBatch)", () => {
  it("hands a burst over as one batch and emits in order", async () => {
    const { engine, flow, send, got, batches } = setup();
    await engine.deploy(flow);
    for (let i = 0; i < 100; i++) send(i);
    await engine.idle();
    assert.deepEqual(batches, [{ port: "in", values: Array.from({ length: 100 }, (_, i) => i) }]);
    assert.deepEqual(got("out"), Array.from({ length: 100 }, (_, i) => i * 2));
    const b = engine.metrics().find((m) => m.node === "b")!;
    assert.deepEqual([b.in, b.out, b.errors, b.queueDepth, b.latencyMs.count], [100, 100, 0, 0, 1]);
    await engine.stop();
  });

  it("routes the one bad message of a batch to the error port with its code; the others go on, in order", async () => {
    const { engine, flow, send, got } = setup();
    await engine.deploy(flow);
    for (const value of [1, 2, -3, 4, 5]) send(value);
    await engine.idle();
    assert.deepEqual(got("out"), [2, 4, 8, 10]);
    const errors = engine.metrics().find((m) => m.node === "b")!;
    assert.deepEqual([errors.in, errors.out, errors.errors], [5, 4, 1]);
    await engine.stop();
  });

  it("puts a failed message's code, node and input on the error port", async () => {
    const probe = probeNodes();
    const { doubler } = batchNodes();
    const engine = new Engine({ catalog: new Map([...probe.definitions, doubler].map((d) => [d.type, d])) });
    await engine.deploy(flowOf([["src", "test-source"], ["b", "test-batch"], ["out", "test-sink"], ["errors", "test-sink"]], ["src.out->b.in", "b.out->out.in", "b.error->errors.in"]));
    for (const value of [1, -2, 3]) probe.sources.get("src")!(reading(value));
    await engine.idle();
    const [error] = probe.received.get("errors")!;
    assert.equal(probe.received.get("errors")!.length, 1);
    const payload = error!.payload as { code: string; node: string; message: string; input: Message };
    assert.deepEqual([payload.code, payload.node, payload.message, valueOf(payload.input)], ["MODEL_FEATURE_INVALID", "b", "value -2 is negative", -2]);
    assert.equal(error!.meta?.["error"], "MODEL_FEATURE_INVALID");
    await engine.stop();
  });

  it("fails every message of a batch whose handler throws, and keeps running", async () => {
    const { engine, flow, send, got } = setup({ throwOn: 7 });
    await engine.deploy(flow);
    for (const value of [6, 7, -1]) send(value);
    await engine.idle();
    for (const value of [8, 9]) send(value);
    await engine.idle();
    assert.deepEqual(got("out"), [16, 18]);
    const b = engine.metrics().find((m) => m.node === "b")!;
    assert.deepEqual([b.in, b.out, b.errors], [5, 2, 3]);
    await engine.stop();
  });

  it("keeps an async batch node within its concurrency, reports bad input from a later batch and drains on stop", async () => {
    const { engine, flow, send, got, batches, maxInflight } = setup({ delayMs: 2 }, { type: "test-batch-async" });
    await engine.deploy(flow);
    for (let i = 0; i < 20; i++) send(i === 13 ? -13 : i);
    await Promise.resolve(); // the drain (a microtask queued by the first send) has run
    assert.deepEqual(batches.map((b) => b.values.length), [8], "one batch up to the concurrency, the rest waits");
    await engine.stop();
    assert.ok(maxInflight() <= 8, `in flight ${maxInflight()}`);
    assert.deepEqual(batches.map((b) => b.values.length), [8, 8, 4]);
    assert.deepEqual(got("out"), Array.from({ length: 20 }, (_, i) => i * 2).filter((v) => v !== 26));
    const b = engine.metrics().find((m) => m.node === "b")!;
    assert.deepEqual([b.in, b.out, b.errors, b.queueDepth], [20, 19, 1, 0]);
  });

  it("batches per input port, in arrival order", async () => {
    const { engine, flow, send, batches } = setup();
    await engine.deploy(flow);
    send(1);
    send(2);
    send(3, "side");
    send(4);
    await engine.idle();
    assert.deepEqual(batches, [{ port: "in", values: [1, 2] }, { port: "side", values: [3] }, { port: "in", values: [4] }]);
    await engine.stop();
  });

  it("tells sources to pause past the high-water mark while batches wait, and loses nothing", async () => {
    const { engine, flow, send, got } = setup({ delayMs: 1 }, { highWater: 16, type: "test-batch-async" });
    await engine.deploy(flow);
    const accepted = Array.from({ length: 40 }, (_, i) => send(i));
    assert.equal(accepted.indexOf(false), 15);
    await engine.idle();
    assert.equal(got("out").length, 40);
    await engine.stop();
  });
});

describe("engine: batch nodes with orderBy", () => {
  it("keeps one batch in flight at a time, so batches of random length cannot overtake each other", async () => {
    const probe = probeNodes();
    const random = new SeededRandom(3);
    let inFlight = 0;
    let most = 0;
    const ordered = defineNode({
      type: "test-ordered-batch", version: 1, family: "sinks", title: "Ordered batch", summary: "Batches that take a random time.",
      config: Config({}), inputs: { in: { kind: "any", description: "x" } }, outputs: { out: { kind: "any", description: "x" } },
      examples: [], concurrency: 4, orderBy: "key",
      create: (_c, ctx) => ({
        async onBatch(msgs) {
          most = Math.max(most, ++inFlight);
          await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 1 + Math.floor(random.next() * 10)));
          inFlight--;
          for (const msg of msgs) ctx.emit("out", msg);
        },
      }),
    });
    const clock = new VirtualClock();
    const engine = new Engine({ catalog: new Map([...probe.definitions, ordered].map((d) => [d.type, d])), clock });
    await engine.deploy(flowOf([["src", "test-source"], ["b", "test-ordered-batch"], ["out", "test-sink"]], ["src.out->b.in", "b.out->out.in"]));
    for (let i = 0; i < 200; i++) probe.sources.get("src")!(reading(i, i % 2 ? "pump-1" : "pump-2"));
    const got = () => probe.received.get("out") ?? [];
    for (let guard = 0; got().length < 200 && guard < 10_000; guard++) {
      clock.advance(1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(got().map(valueOf), Array.from({ length: 200 }, (_, i) => i));
    assert.equal(most, 1);
    await engine.stop();
  });
});

describe("test harness: batch nodes", () => {
  it("drives onBatch: send throws the reported error, sendBatch collects bad messages", async () => {
    const { doubler } = batchNodes();
    const h = harness(doubler, {});
    await h.send(reading(2));
    assert.throws(() => h.send(reading(-1)), /value -1 is negative/);
    await h.sendBatch([reading(3), reading(-4), reading(5)]);
    assert.deepEqual(h.payloads("out"), [{ value: 4 }, { value: 6 }, { value: 10 }]);
    assert.deepEqual(h.failed.map((f) => valueOf(f.msg)), [-1, -4]);
  });
});
