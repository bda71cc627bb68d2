import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { AiotError, Config, defineNode, type Message } from "../sdk/index.ts";
import { Engine } from "./engine.ts";
import { HookList, type RoutingHooks } from "./hooks.ts";
import { createLogger, silentLogger } from "./logger.ts";

const valueOf = (msg: Message) => (msg.payload as { value: number }).value;

/** Doubles a batch of values; a negative value is failed on its own. */
const doubler = defineNode({
  type: "test-hook-batch",
  version: 1,
  family: "util",
  title: "Test batch",
  summary: "Doubles values a batch at a time; fails negative ones.",
  config: Config({}),
  inputs: { in: { kind: "reading", description: "{ value }" } },
  outputs: { out: { kind: "reading", description: "{ value * 2 }" } },
  examples: [{ title: "plain", config: {} }],
  create: (_config, ctx) => ({
    onBatch(msgs, _port, fail) {
      for (const msg of msgs) {
        if (valueOf(msg) < 0) fail(msg, new AiotError("MODEL_FEATURE_INVALID", "negative", { path: "payload.value" }));
        else ctx.emit("out", { ...msg, payload: { value: valueOf(msg) * 2 } });
      }
    },
  }),
});

/** Hands every message to the debug taps under the label "seen". */
const tap = defineNode({
  type: "test-hook-debug",
  version: 1,
  family: "sinks",
  title: "Test debug",
  summary: "Debugs what it receives.",
  config: Config({}),
  inputs: { in: { kind: "any", description: "Anything." } },
  outputs: {},
  examples: [{ title: "plain", config: {} }],
  create: (_config, ctx) => ({ onMessage: (msg) => ctx.debug(msg, "seen") }),
});

function setup(options: { nodeCapacity?: number } = {}) {
  const probe = probeNodes();
  const lines: string[] = [];
  const engine = new Engine({
    catalog: new Map([...probe.definitions, doubler, tap].map((d) => [d.type, d])),
    clock: new VirtualClock(),
    logger: createLogger({ level: "debug", write: (line) => void lines.push(line) }),
    freezeMessages: true,
    ...options,
  });
  const send = (msg: Message, source = "src") => probe.sources.get(source)!(msg);
  return { probe, engine, send, lines };
}

/** A listener writing each hook call as one line: `send src.out 1`, `complete step.in NODE_FAILED`. */
function recorder() {
  const events: string[] = [];
  const messages: Message[] = [];
  const hooks: RoutingHooks = {
    onSend(node, port, msg) {
      events.push(`send ${node.id}.${port} ${valueOf(msg)}`);
      messages.push(msg);
    },
    onReceive(node, port, msg) {
      events.push(`receive ${node.id}.${port} ${valueOf(msg)}`);
      messages.push(msg);
    },
    onComplete: (node, port, msg, error) => void events.push(`complete ${node.id}.${port} ${valueOf(msg)} ${error?.code ?? "ok"}`),
  };
  return { events, messages, hooks };
}

describe("routing hooks", () => {
  it("fire onSend, onReceive and onComplete in order with the node, port and message", async () => {
    const { engine, send } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]));
    const { events, messages, hooks } = recorder();
    engine.hooks.add(hooks);
    const msg = reading(1);
    send(msg);
    await engine.idle();
    assert.deepEqual(events, [
      "send src.out 1",
      "receive step.in 1",
      "send step.out 2",
      "complete step.in 1 ok",
      "receive out.in 2",
      "complete out.in 2 ok",
    ]);
    assert.equal(messages[0], msg, "the hook sees the message the node sent, not a copy");
    assert.equal(messages[1], msg, "and the same object arrives at the target");
    await engine.stop();
  });

  it("report a failure to onComplete with its coded error, after routing it to the error port", async () => {
    const { engine, send } = setup();
    await engine.deploy(
      flowOf(
        [["src", "test-source"], ["step", "test-step", { failOn: 3 }], ["errors", "test-sink"]],
        ["src.out->step.in", "step.error->errors.in"],
      ),
    );
    const events: string[] = [];
    engine.hooks.add({
      onSend: (node, port, msg) => void events.push(`send ${node.id}.${port} ${(msg.payload as { code?: string }).code ?? valueOf(msg)}`),
      onComplete: (node, port, _msg, error) => void events.push(`complete ${node.id}.${port} ${error?.code ?? "ok"}`),
    });
    send(reading(3));
    await engine.idle();
    assert.deepEqual(events.slice(0, 3), ["send src.out 3", "send step.error NODE_FAILED", "complete step.in NODE_FAILED"]);
    await engine.stop();
  });

  it("fire per message for a batch node, and time the batch once", async () => {
    const { engine, send } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["b", "test-hook-batch"]], ["src.out->b.in"]));
    const { events, hooks } = recorder();
    const timed: Array<[string, number]> = [];
    engine.hooks.add({ onReceive: hooks.onReceive!, onComplete: hooks.onComplete!, onTimed: (node, _port, _ms, messages) => void timed.push([node.id, messages]) });
    for (const value of [1, -2, 3]) send(reading(value));
    await engine.idle();
    assert.deepEqual(events, ["receive b.in 1", "receive b.in -2", "receive b.in 3", "complete b.in -2 MODEL_FEATURE_INVALID", "complete b.in 1 ok", "complete b.in 3 ok"]);
    assert.deepEqual(timed, [["b", 3]]);
    await engine.stop();
  });

  it("time one synchronous call in eight per node", async () => {
    const { engine, send } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]));
    const timed: string[] = [];
    engine.hooks.add({ onTimed: (node, port, ms, messages) => void timed.push(`${node.id}.${port} ${messages} ${ms >= 0}`) });
    for (let i = 0; i < 16; i++) send(reading(i));
    await engine.idle();
    assert.deepEqual(timed.sort(), ["out.in 1 true", "out.in 1 true", "step.in 1 true", "step.in 1 true"]);
    await engine.stop();
  });

  it("report drops with the node that lost the message and why", async () => {
    const { engine, send } = setup({ nodeCapacity: 2 });
    await engine.deploy(flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"]));
    const drops: string[] = [];
    engine.hooks.add({ onDrop: (node, port, msg, reason) => void drops.push(`${node.id}.${port} ${valueOf(msg)} ${reason}`) });
    for (let i = 0; i < 4; i++) send(reading(i));
    await engine.idle();
    assert.deepEqual(drops, ["out.in 2 queue-full", "out.in 3 queue-full"]);
    await engine.stop();
  });

  it("carry debug taps to hook listeners and to engine.on('debug') alike", async () => {
    const { engine, send } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["d", "test-hook-debug"]], ["src.out->d.in"]));
    const tapped: string[] = [];
    engine.hooks.add({ onDebug: (node, msg, label) => void tapped.push(`hook ${node.id} ${label} ${valueOf(msg)}`) });
    engine.on("debug", (e) => void tapped.push(`event ${e.flowId} ${e.node} ${e.label} ${valueOf(e.msg)}`));
    send(reading(5));
    await engine.idle();
    assert.deepEqual(tapped, ["hook d seen 5", "event test-flow d seen 5"]);
    await engine.stop();
  });

  it("keep the flow going when a listener throws: the failure is counted, logged once, the others still called", async () => {
    const { engine, send, probe, lines } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]));
    engine.hooks.add({
      onSend() {
        throw new Error("tracer offline");
      },
    });
    const { events, hooks } = recorder();
    engine.hooks.add(hooks);
    for (let i = 0; i < 10; i++) send(reading(i));
    await engine.idle();
    assert.equal(probe.received.get("out")!.length, 10);
    assert.equal(events.filter((e) => e.startsWith("send")).length, 20, "the listener after the broken one saw every send");
    assert.equal(engine.hooks.failures, 20);
    const logged = lines.filter((l) => l.includes("HOOK_FAILED"));
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /routing hook onSend threw: tracer offline/);
    const step = engine.metrics().find((m) => m.node === "step")!;
    assert.deepEqual([step.in, step.out, step.errors], [10, 10, 0], "metrics are unaffected");
    await engine.stop();
  });

  it("stop calling a listener once it is removed", async () => {
    const { engine, send } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"]));
    const counter = {
      sends: 0,
      onSend() {
        this.sends++; // called with the listener as `this`
      },
    };
    const remove = engine.hooks.add(counter);
    send(reading(1));
    remove();
    remove(); // a second call changes nothing
    send(reading(2));
    await engine.idle();
    assert.equal(counter.sends, 1);
    await engine.stop();
  });
});

describe("hook list", () => {
  it("leaves a hook undefined while nobody listens to it, so the scheduler skips it", () => {
    const list = new HookList(silentLogger);
    assert.equal(list.onSend, undefined);
    const remove = list.add({ onReceive: () => undefined });
    assert.equal(list.onSend, undefined);
    assert.equal(typeof list.onReceive, "function");
    remove();
    assert.equal(list.onReceive, undefined);
  });

  it("calls the built-in listener first, directly, then the added ones", () => {
    const calls: string[] = [];
    const list = new HookList(silentLogger, { onSend: (node) => void calls.push(`built-in ${node.id}`) });
    const node = { id: "n", name: undefined, definition: doubler };
    const builtIn = list.onSend;
    list.add({ onSend: (n) => void calls.push(`added ${n.id}`) });
    assert.notEqual(list.onSend, builtIn);
    list.onSend!(node, "out", reading(1));
    assert.deepEqual(calls, ["built-in n", "added n"]);
  });
});
