import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Engine } from "../../runtime/core/engine.ts";
import { validateFlow } from "../../runtime/core/validate.ts";
import { VirtualClock } from "../../runtime/sdk/clock.ts";
import { Config, configOf, defineNode, Type, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import { flowOf, probeNodes } from "../../test/support/test-nodes.ts";
import retry from "./retry.ts";

const T0 = Date.UTC(2026, 0, 1);
const order = (n: number, attempt?: number): Message => ({ topic: `orders/${n}`, key: "line-1", ts: T0 + n, payload: { n }, meta: { source: "erp", ...(attempt ? { attempt } : {}) } });
/** What an error port sends when a node failed on `input`. */
const failure = (input: Message, message = "503 Service Unavailable"): Message => ({
  topic: input.topic, key: "line-1", ts: input.ts, payload: { code: "NODE_FAILED", message, node: "hook", nodeType: "http-out", input }, meta: { ...input.meta, error: "NODE_FAILED" },
});

function retryNode(config: Record<string, unknown>) {
  const clock = new VirtualClock(T0);
  return { clock, h: harness(retry, config, { clock }) };
}

/** Moves the clock 1 ms at a time until `count` messages went out of `out`; the time each one went, relative to now. */
function sendTimes(h: ReturnType<typeof retryNode>["h"], clock: VirtualClock, count: number, limitMs: number): number[] {
  const start = clock.now();
  const times: number[] = [];
  for (let t = 0; t <= limitMs && times.length < count; t++) {
    const before = h.out("out").length;
    if (t > 0) clock.advance(1);
    for (let i = before; i < h.out("out").length; i++) times.push(clock.now() - start);
  }
  return times;
}

describe("retry", () => {
  for (const example of retry.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(retry, example.config)));
  }

  it("sends what comes on `in` at once as attempt 1, payload and meta kept, whatever the payload", () => {
    const { h } = retryNode({});
    h.send(order(1, 4));
    for (const payload of ["text", 7, null, [1, 2]]) h.send({ topic: "t", ts: T0, payload });
    assert.deepEqual(h.out("out")[0], { ...order(1), meta: { source: "erp", attempt: 1 } }, "an upstream attempt count is replaced");
    assert.deepEqual(h.payloads("out").slice(1), ["text", 7, null, [1, 2]]);
    assert.ok(h.out("out").every((m) => m.meta?.["attempt"] === 1));
  });

  it("re-sends a failed message after initialMs · multiplier^(attempt − 1), capped at maxMs, with the attempt counted up", () => {
    const { h, clock } = retryNode({ maxAttempts: 10, backoff: { initialMs: 1000, multiplier: 3, maxMs: 5000, jitter: 0 } });
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      h.send(failure(order(1, attempt)), "retry");
      waits.push(sendTimes(h, clock, 1, 10_000)[0]!);
      assert.equal(h.out("out").at(-1)?.meta?.["attempt"], attempt + 1);
    }
    assert.deepEqual(waits, [1000, 3000, 5000, 5000]);
    assert.deepEqual(h.out("out").at(-1), { ...order(1), meta: { source: "erp", attempt: 5 } }, "the input as the failing node had it");
    assert.equal(h.counters.get("retried"), 4);
  });

  it("draws each wait from [wait · (1 − jitter), wait], spread out and the same on every run", () => {
    const waitsOf = () => {
      const { h, clock } = retryNode({ backoff: { initialMs: 1000, jitter: 0.5 } });
      for (let n = 0; n < 200; n++) h.send(failure(order(n)), "retry");
      return sendTimes(h, clock, 200, 1000);
    };
    const waits = waitsOf();
    assert.equal(waits.length, 200);
    assert.ok(waits.every((w) => w >= 500 && w <= 1000), `waits ${Math.min(...waits)}..${Math.max(...waits)} ms`);
    assert.ok(new Set(waits).size > 100, "spread out, not all at once");
    assert.deepEqual(waitsOf(), waits, "reproducible");
  });

  it("sends the last failure out of `exhausted` once maxAttempts failed, with meta.attempt", () => {
    const { h, clock } = retryNode({ maxAttempts: 3, backoff: { jitter: 0 } });
    const last = failure(order(1, 3), "404 Not Found");
    h.send(last, "retry");
    clock.advance(600_000);
    assert.deepEqual(h.out("out"), []);
    assert.deepEqual(h.out("exhausted"), [{ ...last, meta: { ...last.meta, attempt: 3, exhausted: "max-attempts" } }]);
    assert.equal(h.counters.get("exhausted"), 1);
  });

  it("counts an attempt it cannot read (absent, not a whole number >= 1) as attempt 1", () => {
    const { h, clock } = retryNode({ maxAttempts: 2, backoff: { jitter: 0 } });
    for (const attempt of [undefined, "3", -1, 2.5]) h.send(failure({ ...order(1), meta: { attempt } }), "retry");
    clock.advance(1000);
    assert.deepEqual(h.out("out").map((m) => m.meta?.["attempt"]), [2, 2, 2, 2]);
  });

  it("keeps at most maxPending waiting: a huge burst of failures goes to `exhausted` past it, counted", () => {
    const { h, clock } = retryNode({ maxPending: 100, backoff: { jitter: 0 } });
    for (let n = 0; n < 100_000; n++) h.send(failure(order(n)), "retry");
    assert.equal(clock.pending, 100);
    assert.equal(h.counters.get("pending_full"), 99_900);
    assert.equal(h.out("exhausted").length, 99_900);
    assert.equal(h.out("exhausted")[0]!.meta?.["exhausted"], "pending-full");
    clock.advance(1000);
    assert.equal(h.out("out").length, 100);
    assert.equal(clock.pending, 0);
  });

  const notFailures: Array<[string, unknown]> = [["a string payload", "503"], ["a failure without input", { code: "NODE_FAILED", message: "x" }], ["an input that is no message", { code: "NODE_FAILED", input: { n: 1 } }], ["null", null]];
  for (const [name, payload] of notFailures) {
    it(`refuses ${name} on the retry input with MESSAGE_SHAPE_INVALID at payload.input`, () => {
      const { h, clock } = retryNode({});
      assert.throws(() => h.send({ topic: "t", ts: T0, payload }, "retry"), { code: "MESSAGE_SHAPE_INVALID", details: { path: "payload.input" } });
      assert.equal(clock.pending, 0);
    });
  }

  it("clears its timers on close, counts what was waiting and sends nothing later", () => {
    const { h, clock } = retryNode({});
    h.send(failure(order(1)), "retry");
    h.send(failure(order(2)), "retry");
    void h.node.close?.();
    assert.equal(clock.pending, 0);
    assert.equal(h.counters.get("dropped_on_close"), 2);
    clock.advance(600_000);
    assert.deepEqual(h.out("out"), []);
  });

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "no attempt at all", config: { maxAttempts: 0 }, path: "config.maxAttempts" },
    { name: "a first wait longer than the longest", config: { backoff: { initialMs: 5000, maxMs: 1000 } }, path: "config.backoff.maxMs" },
    { name: "a jitter above 1", config: { backoff: { jitter: 1.5 } }, path: "config.backoff.jitter" },
    { name: "a shrinking backoff", config: { backoff: { multiplier: 0.5 } }, path: "config.backoff.multiplier" },
    { name: "an unbounded pending set", config: { maxPending: 0 }, path: "config.maxPending" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(retry, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "retry" } });
    });
  }

  describe("in a flow, on a cycle through the failing node's error port", () => {
    /** Like http-out against a receiver that is down for `failures` tries per message, then answers. */
    const flaky = defineNode({
      type: "test-flaky", version: 1, family: "sinks", title: "Flaky receiver", summary: "Fails the first `failures` tries of each message.", docs: "Test only.",
      config: Config({ failures: Type.Integer({ minimum: 0, default: 2, description: "Tries that fail per message." }) }),
      inputs: { in: { kind: "any", description: "Messages to deliver." } },
      outputs: { sent: { kind: "any", description: "Delivered messages." } },
      examples: [{ title: "plain", config: {} }],
      create(config, ctx) {
        const tries = new Map<string, number>();
        return {
          onMessage(msg) {
            const n = (tries.get(msg.topic) ?? 0) + 1;
            tries.set(msg.topic, n);
            if (n <= config.failures) throw new Error(`503 Service Unavailable (try ${n})`);
            ctx.emit("sent", msg);
          },
        };
      },
    });

    async function loop(failures: number) {
      const probe = probeNodes();
      const clock = new VirtualClock(T0);
      const catalog = new Map([...probe.definitions, retry, flaky].map((d) => [d.type, d]));
      const flow = flowOf(
        [["src", "test-source"], ["retry", "retry", { maxAttempts: 4, backoff: { initialMs: 1000, jitter: 0 } }], ["hook", "test-flaky", { failures }], ["got", "test-sink"], ["gaveUp", "test-sink"]],
        ["src.out->retry.in", "retry.out->hook.in", "hook.sent->got.in", "hook.error->retry.retry", "retry.exhausted->gaveUp.in"],
      );
      assert.ok(validateFlow(flow, catalog).ok, "the cycle hook -> retry -> hook validates");
      const engine = new Engine({ catalog, clock, freezeMessages: true });
      await engine.deploy(flow);
      const tick = async (ms: number) => {
        clock.advance(ms);
        await engine.idle();
      };
      const metrics = (node: string) => engine.metrics().find((m) => m.node === node)!;
      return { engine, clock, tick, metrics, send: (msg: Message) => probe.sources.get("src")!(msg), got: (sink: string) => probe.received.get(sink) ?? [] };
    }

    it("delivers a message exactly once after the receiver failed twice", async () => {
      const { engine, clock, tick, metrics, send, got } = await loop(2);
      send(order(1));
      await tick(0);
      assert.equal(metrics("hook").errors, 1);
      await tick(999);
      assert.equal(metrics("hook").errors, 1, "no second try before the first wait is over");
      await tick(1);
      assert.equal(metrics("hook").errors, 2);
      assert.deepEqual(got("got"), []);
      await tick(2000);
      assert.deepEqual(got("got"), [{ ...order(1), meta: { source: "erp", attempt: 3 } }]);
      await tick(600_000);
      assert.equal(got("got").length, 1, "exactly once");
      assert.deepEqual(got("gaveUp"), []);
      assert.equal(metrics("retry").counters["retried"], 2);
      assert.equal(clock.pending, 0, "nothing left waiting");
      await engine.stop();
    });

    it("ends the loop after maxAttempts when the receiver never answers, with the last error on `exhausted`", async () => {
      const { engine, clock, tick, metrics, send, got } = await loop(Number.MAX_SAFE_INTEGER);
      send(order(1));
      await tick(0);
      for (let i = 0; i < 10; i++) await tick(10_000);
      assert.equal(metrics("hook").errors, 4);
      assert.deepEqual(got("got"), []);
      const [last] = got("gaveUp");
      assert.equal(got("gaveUp").length, 1);
      assert.deepEqual([last!.meta?.["attempt"], last!.meta?.["exhausted"], (last!.payload as { message: string }).message], [4, "max-attempts", "503 Service Unavailable (try 4)"]);
      assert.equal(clock.pending, 0);
      await engine.stop();
    });
  });
});
