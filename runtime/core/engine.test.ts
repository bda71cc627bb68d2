import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { until } from "../../test/support/wait.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, ERROR_PORT, Secret, type Message, type NodeContext } from "../sdk/index.ts";
import { Engine, type FlowErrorEvent } from "./engine.ts";
import { createLogger } from "./logger.ts";
import { FlowInvalidError } from "./validate.ts";

function setup(options: { highWater?: number; nodeCapacity?: number; dataDir?: string; freezeMessages?: boolean } = {}) {
  const probe = probeNodes();
  const lines: string[] = [];
  const engine = new Engine({
    catalog: new Map(probe.definitions.map((d) => [d.type, d])),
    clock: new VirtualClock(),
    logger: createLogger({ level: "debug", write: (line) => void lines.push(line) }),
    freezeMessages: options.freezeMessages ?? true,
    ...options,
  });
  const send = (msg: Message, source = "src") => probe.sources.get(source)!(msg);
  return { probe, engine, send, lines, got: (sink = "out") => probe.received.get(sink) ?? [] };
}

const chain = flowOf([["src", "test-source"], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]);

describe("engine", () => {
  it("delivers messages through a chain in order", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(chain);
    for (let i = 0; i < 1000; i++) send(reading(i));
    await engine.idle();
    assert.deepEqual(got().map((m) => (m.payload as { value: number }).value), Array.from({ length: 1000 }, (_, i) => i + 1));
    await engine.stop();
  });

  it("fans out the same immutable message object to every target, without cloning", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(flowOf([["src", "test-source"], ["a", "test-sink"], ["b", "test-sink"]], ["src.out->a.in", "src.out->b.in"]));
    const msg = reading(7);
    send(msg);
    await engine.idle();
    assert.equal(got("a")[0], msg);
    assert.equal(got("b")[0], msg);
    assert.ok(Object.isFrozen(msg.payload));
    await engine.stop();
  });

  it("routes a throwing node's coded error to its error port and keeps every other message", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(
      flowOf([["src", "test-source"], ["step", "test-step", { failOn: 3 }], ["out", "test-sink"], ["errors", "test-sink"]], ["src.out->step.in", "step.out->out.in", "step.error->errors.in"]),
    );
    for (let i = 0; i < 6; i++) send(reading(i));
    await engine.idle();
    assert.deepEqual(got().map((m) => (m.payload as { value: number }).value), [1, 2, 3, 5, 6]);
    const [error] = got("errors");
    assert.deepEqual({ ...(error!.payload as object), hint: undefined }, {
      code: "NODE_FAILED",
      message: "cannot handle 3",
      node: "step",
      nodeType: "test-step",
      hint: undefined,
      input: reading(3),
    });
    const step = engine.metrics().find((m) => m.node === "step")!;
    assert.deepEqual([step.in, step.out, step.errors], [6, 5, 1], "an error is counted as an error, not as output");
    await engine.stop();
  });

  it("hands an unwired error to the flow's error handler and logs it once per burst", async () => {
    const { engine, send, got, lines } = setup();
    const events: FlowErrorEvent[] = [];
    engine.on("error", (e) => events.push(e));
    await engine.deploy(flowOf([["src", "test-source"], ["step", "test-step", { failOn: 1 }], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]));
    for (let i = 0; i < 5; i++) send(reading(1));
    send(reading(2));
    await engine.idle();
    assert.equal(events.length, 5);
    assert.equal(events[0]!.error.details.node, "step");
    assert.equal(got().length, 1);
    assert.equal(lines.filter((l) => l.includes("cannot handle 1")).length, 1);
    await engine.stop();
  });

  it("counts a message a node sends out of its error port as one error of that node, and a thrown one once", async () => {
    const probe = probeNodes();
    const reporter = defineNode({
      type: "test-reporting-source",
      version: 1,
      family: "sources",
      title: "Reporting source",
      summary: "Reports bad input on its error port, as real sources do.",
      config: Config({}),
      inputs: {},
      outputs: { out: { kind: "reading", description: "x" } },
      examples: [],
      create: (_c, ctx) => ({
        start() {
          // Declared ports type ctx.emit; sources reach the implicit error port through a NodeContext<string>, as emitError does.
          const anyPort: NodeContext<string> = ctx;
          for (let i = 0; i < 5; i++) {
            if (i % 2 === 0) anyPort.emit(ERROR_PORT, { topic: "t", ts: i, payload: { code: "PAYLOAD_INVALID", message: `bad ${i}` } });
            else ctx.emit("out", reading(i));
          }
        },
      }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, reporter].map((d) => [d.type, d])), clock: new VirtualClock() });
    await engine.deploy(
      flowOf(
        [["in", "test-reporting-source"], ["step", "test-step", { failOn: 1 }], ["out", "test-sink"], ["errors", "test-sink"]],
        ["in.out->step.in", "step.out->out.in", "in.error->errors.in", "step.error->errors.in"],
      ),
    );
    await engine.idle();
    const byNode = new Map(engine.metrics().map((m) => [m.node, m]));
    assert.deepEqual([byNode.get("in")!.out, byNode.get("in")!.errors], [2, 3], "three reported errors, two readings out");
    assert.deepEqual([byNode.get("step")!.in, byNode.get("step")!.out, byNode.get("step")!.errors], [2, 1, 1], "a thrown error is counted once");
    assert.equal(probe.received.get("errors")?.length, 4);
    await engine.stop();
  });

  it("catches a node that mutates a message it received", async () => {
    const probe = probeNodes();
    const mutator = defineNode({
      type: "test-mutator",
      version: 1,
      family: "util",
      title: "Mutator",
      summary: "Breaks the immutability contract.",
      config: Config({}),
      inputs: { in: { kind: "any", description: "x" } },
      outputs: { out: { kind: "any", description: "x" } },
      examples: [],
      create: (_c, ctx) => ({
        onMessage(msg) {
          (msg.payload as { value: number }).value = 99;
          ctx.emit("out", msg);
        },
      }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, mutator].map((d) => [d.type, d])), freezeMessages: true });
    const errors: FlowErrorEvent[] = [];
    engine.on("error", (e) => errors.push(e));
    await engine.deploy(flowOf([["src", "test-source"], ["m", "test-mutator"], ["out", "test-sink"]], ["src.out->m.in", "m.out->out.in"]));
    probe.sources.get("src")!(reading(1));
    await engine.idle();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.error.message, /read only|read-only|Cannot assign/);
    await engine.stop();
  });

  it("runs async nodes with their declared concurrency and routes rejections", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(
      flowOf([["src", "test-source"], ["remote", "test-async"], ["out", "test-sink"], ["errors", "test-sink"]], ["src.out->remote.in", "remote.out->out.in", "remote.error->errors.in"]),
    );
    for (let i = 0; i < 20; i++) send(reading(i === 5 ? -1 : i));
    await engine.idle();
    assert.equal(got().length, 19);
    assert.equal(got("errors").length, 1);
    assert.equal((got("errors")[0]!.payload as { message: string }).message, "remote refused");
    const metrics = engine.metrics().find((m) => m.node === "remote")!;
    assert.equal(metrics.in, 20);
    assert.equal(metrics.queueDepth, 0);
    await engine.stop();
  });

  it("survives an async node that throws synchronously on a long backlog (no recursion, nothing stuck)", async () => {
    const probe = probeNodes();
    let calls = 0;
    const picky = defineNode({
      type: "test-picky",
      version: 1,
      family: "sinks",
      title: "Picky",
      summary: "Async, but throws before returning a promise for most messages.",
      config: Config({}),
      inputs: { in: { kind: "any", description: "x" } },
      outputs: { out: { kind: "any", description: "x" } },
      examples: [],
      concurrency: 1,
      create: (_c, ctx) => ({
        onMessage(msg) {
          if (calls++ === 0) return new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => void ctx.emit("out", msg));
          throw new Error("refused");
        },
      }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, picky].map((d) => [d.type, d])) });
    await engine.deploy(flowOf([["src", "test-source"], ["p", "test-picky"], ["out", "test-sink"]], ["src.out->p.in", "p.out->out.in"]));
    for (let i = 0; i < 50_000; i++) probe.sources.get("src")!(reading(i));
    await engine.idle();
    const metrics = engine.metrics().find((m) => m.node === "p")!;
    assert.deepEqual([metrics.in, metrics.errors, metrics.queueDepth, metrics.out], [50_000, 49_999, 0, 1]);
    await engine.stop();
  });

  it("tracks a promise returned by a node that declared no concurrency, so stop() waits for it", async () => {
    const probe = probeNodes();
    const lazy = defineNode({
      type: "test-lazy",
      version: 1,
      family: "util",
      title: "Lazy",
      summary: "Emits after a real delay without declaring concurrency.",
      config: Config({}),
      inputs: { in: { kind: "any", description: "x" } },
      outputs: { out: { kind: "any", description: "x" } },
      examples: [],
      create: (_c, ctx) => ({
        async onMessage(msg) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          ctx.emit("out", msg);
        },
      }),
    });
    const engine = new Engine({ catalog: new Map([...probe.definitions, lazy].map((d) => [d.type, d])) });
    await engine.deploy(flowOf([["src", "test-source"], ["l", "test-lazy"], ["out", "test-sink"]], ["src.out->l.in", "l.out->out.in"]));
    for (let i = 0; i < 100; i++) probe.sources.get("src")!(reading(i));
    await engine.stop();
    assert.equal(probe.received.get("out")!.length, 100);
  });

  it("tells sources to pause past the high-water mark and resumes them below it", async () => {
    const { engine, send, got } = setup({ highWater: 8 });
    await engine.deploy(flowOf([["src", "test-source"], ["remote", "test-async"], ["out", "test-sink"]], ["src.out->remote.in", "remote.out->out.in"]));
    const accepted = Array.from({ length: 12 }, (_, i) => send(reading(i)));
    assert.equal(accepted.indexOf(false), 7);
    await engine.idle();
    assert.equal(got().length, 12, "backpressure never drops a message");
    await engine.stop();
  });

  it("drops and counts messages past a node's queue capacity", async () => {
    const { engine, send, lines } = setup({ nodeCapacity: 4 });
    await engine.deploy(flowOf([["src", "test-source"], ["out", "test-sink"]], ["src.out->out.in"]));
    for (let i = 0; i < 10; i++) send(reading(i));
    await engine.idle();
    const out = engine.metrics().find((m) => m.node === "out")!;
    assert.deepEqual([out.in, out.dropped], [4, 6]);
    assert.equal(lines.filter((l) => l.includes("QUEUE_OVERFLOW")).length, 1);
    await engine.stop();
  });

  it("keeps per-node metrics: in, out, errors, queue depth and a latency histogram", async () => {
    const { engine, send } = setup();
    await engine.deploy(chain);
    for (let i = 0; i < 64; i++) send(reading(i));
    await engine.idle();
    const step = engine.metrics().find((m) => m.node === "step")!;
    assert.deepEqual([step.in, step.out, step.errors, step.dropped, step.queueDepth], [64, 64, 0, 0, 0]);
    assert.equal(step.latencyMs.count, 8);
    await engine.stop();
  });

  it("stops gracefully: stops sources, drains queued messages, closes every node", async () => {
    const { engine, send, got, probe } = setup();
    await engine.deploy(chain);
    for (let i = 0; i < 100; i++) send(reading(i));
    await engine.stop();
    assert.equal(got().length, 100);
    assert.deepEqual(probe.stopped, ["src"]);
    assert.deepEqual(probe.closed.sort(), ["out", "src"]);
  });

  it("refuses an invalid flow with every problem and runs nothing", async () => {
    const { engine, probe } = setup();
    await assert.rejects(engine.deploy(flowOf([["src", "test-source"], ["x", "nope"]], ["src.out->x.in"])), (error: unknown) => {
      assert.ok(error instanceof FlowInvalidError);
      assert.deepEqual(error.errors.map((e) => e.code), ["FLOW_UNKNOWN_NODE_TYPE"]);
      return true;
    });
    assert.equal(engine.running, false);
    assert.deepEqual(probe.started, []);
  });

  it("reports a source that fails to start and leaves nothing running", async () => {
    const { engine, probe } = setup();
    await assert.rejects(engine.deploy(flowOf([["ok", "test-source"], ["bad", "test-source", { failStart: true }]], [])), /device unreachable/);
    assert.equal(engine.running, false);
    assert.deepEqual(probe.stopped, ["ok"]);
  });
});

describe("secrets", () => {
  it("resolves { $secret } references from the runtime's store, and fails the deploy naming the node when one is missing", async () => {
    const probe = probeNodes();
    const seen: string[] = [];
    const client = defineNode({
      type: "test-client",
      version: 1,
      family: "sinks",
      title: "Client",
      summary: "Reads a password from the secret store at create time.",
      config: Config({ password: Secret("Broker password.") }),
      inputs: { in: { kind: "any", description: "x" } },
      outputs: {},
      examples: [],
      create: (config, ctx) => {
        seen.push(ctx.secret(config.password));
        return {};
      },
    });
    const catalog = new Map([...probe.definitions, client].map((d) => [d.type, d]));
    const store: Record<string, string> = { "mqtt-pass": "s3cret" };
    const engine = new Engine({ catalog, secrets: (name) => store[name] });
    await engine.deploy(flowOf([["c", "test-client", { password: { $secret: "mqtt-pass" } }]], []));
    assert.deepEqual(seen, ["s3cret"]);
    await engine.stop();
    const other = new Engine({ catalog, secrets: (name) => store[name] });
    await assert.rejects(other.deploy(flowOf([["c", "test-client", { password: { $secret: "nope" } }]], [])), (error: Error & { code?: string }) => {
      // The cause's own code survives, so its hint (add the secret) reaches the user.
      assert.equal(error.code, "SECRET_MISSING");
      assert.match(error.message, /node "c" \(test-client\) could not be created: no secret named "nope"/);
      return true;
    });
    assert.equal(other.running, false);
  });
});

describe("hot redeploy", () => {
  it("keeps the keyed state of unchanged nodes and loses no message", async () => {
    const { engine, send, got } = setup();
    // An async hop keeps messages in flight, so the swap must wait for them while the source goes on.
    const slowChain = (extra: boolean) =>
      flowOf(
        [["src", "test-source"], ["step", "test-step"], ["remote", "test-async", { delayMs: 1 }], ["out", "test-sink"], ...(extra ? [["tap", "test-sink"] as [string, string]] : [])],
        ["src.out->step.in", "step.out->remote.in", "remote.out->out.in", ...(extra ? ["step.out->tap.in"] : [])],
      );
    await engine.deploy(slowChain(false));
    let sent = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 5; i++) send(reading(sent++)); // a source that never pauses during the swap
    }, 0);
    await until(() => got().length >= 10, "messages flowing before the swap");
    const report = await engine.deploy(slowChain(true));
    await until(() => got("tap").length >= 20, "messages through the new tap after the swap");
    clearInterval(pump);
    await engine.idle();
    assert.deepEqual(report.added, ["tap"]);
    assert.deepEqual(report.kept, ["src", "step", "remote", "out"]);
    assert.ok(engine.metrics().find((m) => m.node === "src")!.counters["held_during_redeploy"]! > 0, "the source emitted during the swap");
    const seen = got().map((m) => (m.payload as { seen: number }).seen);
    assert.ok(sent > 20 && got("tap").length > 0 && got("tap").length < sent, `sent ${sent}, tapped ${got("tap").length}`);
    assert.deepEqual(seen, Array.from({ length: sent }, (_, i) => i + 1), "every message arrived once, in order, counted by carried-over state");
    await engine.stop();
  });

  it("rebuilds a changed node with fresh state", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(chain);
    send(reading(1));
    await engine.idle();
    const report = await engine.deploy(flowOf([["src", "test-source"], ["step", "test-step", { add: 10 }], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]));
    send(reading(1));
    await engine.idle();
    assert.deepEqual(report.changed, ["step"]);
    assert.deepEqual(got().map((m) => m.payload), [{ value: 2, seen: 1 }, { value: 11, seen: 1 }]);
    await engine.stop();
  });

  it("keeps the previous flow running when the new one fails to start", async () => {
    const { engine, send, got } = setup();
    await engine.deploy(chain);
    const broken = flowOf([["src", "test-source", { failStart: true }], ["step", "test-step"], ["out", "test-sink"]], ["src.out->step.in", "step.out->out.in"]);
    await assert.rejects(engine.deploy(broken), { code: "NODE_START_FAILED" });
    send(reading(41));
    await engine.idle();
    assert.deepEqual(got().map((m) => (m.payload as { value: number }).value), [42]);
    await engine.stop();
  });
});

describe("state snapshots", () => {
  it("restores keyed state after a restart from the data directory", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-state-"));
    const first = setup({ dataDir });
    await first.engine.deploy(chain);
    first.send(reading(1));
    first.send(reading(1));
    await first.engine.stop();
    assert.ok(existsSync(join(dataDir, "state", "test-flow.json")));
    const second = setup({ dataDir });
    await second.engine.deploy(chain);
    second.send(reading(1));
    await second.engine.idle();
    assert.equal((second.got()[0]!.payload as { seen: number }).seen, 3);
    await second.engine.stop();
  });

  it("reports a corrupted snapshot by name, keeps it aside and starts empty", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-state-"));
    const first = setup({ dataDir });
    await first.engine.deploy(chain);
    await first.engine.stop();
    const file = join(dataDir, "state", "test-flow.json");
    writeFileSync(file, "{ not json");
    const second = setup({ dataDir });
    await second.engine.deploy(chain);
    second.send(reading(1));
    await second.engine.idle();
    assert.equal((second.got()[0]!.payload as { seen: number }).seen, 1);
    assert.ok(second.lines.some((l) => l.includes("STATE_SNAPSHOT_INVALID") && l.includes(file)));
    assert.equal(readFileSync(`${file}.invalid`, "utf8"), "{ not json");
    await second.engine.stop();
  });
});
