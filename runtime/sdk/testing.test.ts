import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AiotError, Config, defineNode, Type, type Message } from "./index.ts";
import { provide, serviceKey, services } from "./services.ts";
import { harness } from "./testing.ts";
import { VirtualClock } from "./clock.ts";

const reading = (v: unknown, ts = 0): Message => ({ topic: "t", key: "k", ts, payload: { v } });

/** Doubles payload.v; refuses a non-number. Logs, counts, debugs and sets a status on the way. */
const doubler = defineNode({
  type: "test-doubler", version: 1, family: "util", title: "Doubler", summary: "Doubles v.",
  config: Config({ factor: Type.Number({ default: 2, minimum: 1 }) }),
  inputs: { in: { kind: "reading", description: "Readings." } },
  outputs: { out: { kind: "reading", description: "Doubled." } },
  examples: [],
  create: (config, ctx) => ({
    onMessage(msg) {
      const v = (msg.payload as { v: unknown }).v;
      if (typeof v !== "number") throw new AiotError("MESSAGE_SHAPE_INVALID", "v is not a number", { path: "payload.v" });
      ctx.metrics.count("doubled");
      ctx.log.info("doubling", { v });
      ctx.status({ state: "running", text: `${v}` });
      ctx.debug(msg, "before");
      ctx.emit("out", { ...msg, payload: { v: v * config.factor } });
    },
  }),
});

/** The same, per batch: a bad message is reported with `fail` and the others go on. */
const batchDoubler = defineNode({
  ...doubler,
  type: "test-batch-doubler",
  create: (_config, ctx) => ({
    onBatch(msgs, _port, fail) {
      for (const msg of msgs) {
        const v = (msg.payload as { v: unknown }).v;
        if (typeof v === "number") ctx.emit("out", { ...msg, payload: { v: v * 2 } });
        else fail(msg, new AiotError("MESSAGE_SHAPE_INVALID", "v is not a number"));
      }
    },
  }),
});

describe("harness", () => {
  it("parses the config with its defaults, and refuses a bad one as the flow loader would", () => {
    assert.equal(harness(doubler, {}).config.factor, 2);
    assert.throws(() => harness(doubler, { factor: 0 }), { code: "NODE_CONFIG_INVALID", details: { path: "config.factor", nodeType: "test-doubler" } });
  });

  it("records what the node emits, counts, logs, debugs and shows", () => {
    const h = harness(doubler, { factor: 3 });
    h.send(reading(2));
    assert.deepEqual(h.payloads("out"), [{ v: 6 }]);
    assert.deepEqual(h.out("out")[0]!.topic, "t");
    assert.equal(h.counters.get("doubled"), 1);
    assert.deepEqual(h.logs, [{ level: "info", message: "doubling", fields: { v: 2 } }]);
    assert.deepEqual(h.statuses, [{ state: "running", text: "2" }]);
    assert.deepEqual([h.debugged.length, h.debugLabels], [1, ["before"]]);
  });

  it("freezes every message in and out, so a node that mutates one fails its test", () => {
    const mutator = defineNode({
      ...doubler, type: "test-mutator",
      create: () => ({ onMessage: (msg) => void ((msg.payload as { v: number }).v = 0) }),
    });
    assert.throws(() => harness(mutator, {}).send(reading(1)), TypeError);
    const h = harness(doubler, {});
    h.send(reading(1));
    assert.ok(Object.isFrozen(h.out("out")[0]!.payload));
  });

  it("passes on what the node throws", () => {
    assert.throws(() => harness(doubler, {}).send(reading("x")), { code: "MESSAGE_SHAPE_INVALID" });
  });

  it("drives a batch node: send throws the error it reported, sendBatch collects the bad ones in failed", () => {
    const h = harness(batchDoubler, {});
    assert.throws(() => h.send(reading("x")), { code: "MESSAGE_SHAPE_INVALID" });
    h.sendBatch([reading(1, 0), reading("y", 1), reading(3, 2)]);
    assert.deepEqual(h.payloads("out"), [{ v: 2 }, { v: 6 }]);
    assert.deepEqual(h.failed.map((f) => f.msg.ts), [0, 1], "the send and the batch's bad message");
  });

  it("refuses to send to a node without inputs", () => {
    const source = defineNode({ ...doubler, type: "test-source", inputs: {}, create: () => ({}) });
    assert.throws(() => harness(source, {}).send(reading(1)), /test-source has no input/);
  });

  it("runs the node on the clock it is given", () => {
    const clock = new VirtualClock(5_000);
    const ticker = defineNode({
      ...doubler, type: "test-ticker", inputs: {},
      create: (_config, ctx) => ({ start: () => void ctx.clock.setTimeout(() => ctx.emit("out", { topic: "tick", ts: ctx.clock.now(), payload: 1 }), 100) }),
    });
    const h = harness(ticker, {}, { clock });
    void h.node.start?.();
    clock.advance(100);
    assert.deepEqual(h.out("out").map((m) => m.ts), [5_100]);
  });

  it("resolves the secrets and services it was given, and refuses the others with a coded error", () => {
    const GREETING = serviceKey<string>("greeting");
    let seen: unknown[] = [];
    const user = defineNode({
      ...doubler, type: "test-user",
      create: (_config, ctx) => ((seen = [ctx.secret({ $secret: "token" }), ctx.use(GREETING)]), {}),
    });
    harness(user, {}, { secrets: { token: "s3cret" }, services: services(provide(GREETING, "hello")) });
    assert.deepEqual(seen, ["s3cret", "hello"]);
    assert.throws(() => harness(user, {}, { services: services(provide(GREETING, "hello")) }), { code: "SECRET_MISSING", details: { secret: "token" } });
    assert.throws(() => harness(user, {}, { secrets: { token: "s3cret" } }), { code: "SERVICE_UNAVAILABLE", message: /no "greeting" service/ });
  });

  it("keeps keyed state in a map the test can read", () => {
    const counter = defineNode({
      ...doubler, type: "test-counter",
      create: (_config, ctx) => {
        const state = ctx.keyed(() => ({ n: 0 }));
        return { onMessage: (msg) => void state.get(msg.key ?? "").n++ };
      },
    });
    const h = harness(counter, {});
    h.send(reading(1));
    h.send(reading(2));
    assert.deepEqual(h.state.get("k"), { n: 2 });
  });

  it("tells a source the flow is saturated when the test says so", () => {
    let saturated = false;
    const accepted: boolean[] = [];
    const source = defineNode({
      ...doubler, type: "test-pushing-source", inputs: {},
      create: (_config, ctx) => ({
        start() {
          accepted.push(ctx.emit("out", reading(1)));
          saturated = true;
          accepted.push(ctx.emit("out", reading(2)));
        },
      }),
    });
    void harness(source, {}, { saturated: () => saturated }).node.start?.();
    assert.deepEqual(accepted, [true, false]);
  });

  it("records that a source said it has finished", () => {
    const finite = defineNode({
      ...doubler, type: "test-finite-source", inputs: {},
      create: (_config, ctx) => ({
        start() {
          ctx.emit("out", reading(1));
          ctx.done?.();
        },
      }),
    });
    const h = harness(finite, {});
    assert.equal(h.finished, false);
    void h.node.start?.();
    assert.deepEqual([h.finished, h.out("out").length], [true, 1]);
  });
});
