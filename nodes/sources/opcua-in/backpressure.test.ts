import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConnectionSupervisor, loadConnectionTypes, withConnections } from "../../../runtime/connections/index.ts";
import { Engine } from "../../../runtime/core/engine.ts";
import { Config, defineNode, type AnyNodeDefinition, type Message } from "../../../runtime/sdk/index.ts";
import { backpressureProbe } from "../../../test/support/backpressure.ts";
import { flow, until } from "../../../test/support/mqtt-flow.ts";
import { within } from "../../../test/support/wait.ts";
import { OPCUA_TEST_PKI, startOpcuaServer, type OpcuaTestServer } from "../../../test/support/opcua-server.ts";
import opcuaIn from "./index.ts";

/** opcua-in against the in-process server, in an engine that saturates at 2 queued messages. */
describe("opcua-in backpressure", () => {
  let server: OpcuaTestServer;
  before(async () => (server = await startOpcuaServer()));
  after(async () => await server.close());

  it("keeps only the newest value per item while the flow is saturated, counts the rest, and sends the kept ones when it drains", async () => {
    // A sink that holds the first message it gets until released: everything behind it queues up.
    const got: Message[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const heldSink = defineNode({
      type: "held-sink", version: 1, family: "sinks", title: "Held sink", summary: "Holds messages until released.", config: Config({}),
      inputs: { in: { kind: "any", description: "Anything." } }, outputs: {}, examples: [{ title: "plain", config: {} }], concurrency: 1,
      create: () => ({ onMessage: (msg) => (got.push(msg), released) }),
    });
    const probe = backpressureProbe(opcuaIn);
    const connections = new ConnectionSupervisor({ types: await loadConnectionTypes(), backoff: { initialMs: 50, maxMs: 400 }, testTimeoutMs: 3_000 });
    const catalog = new Map<string, AnyNodeDefinition>([[opcuaIn.type, probe.definition], [heldSink.type, heldSink]]);
    const engine = new Engine({ catalog, connections, services: withConnections(undefined, connections), highWater: 2 });
    const counter = (name: string) => engine.metrics().find((m) => m.node === "in")?.counters[name] ?? 0;
    const items = [{ node: server.nodeId("Speed"), field: "speed" }, { node: server.nodeId("Vibration"), field: "vibration" }, { node: server.nodeId("Temperature"), field: "temperature" }];
    const endpoint = { endpointUrl: server.endpointUrl, pkiDir: join(OPCUA_TEST_PKI, "client"), trustServerCertificate: true, connectTimeoutMs: 5_000 };
    try {
      await engine.deploy(flow("backpressure", { plc: { type: "opcua-endpoint", config: endpoint } },
        [{ id: "in", type: "opcua-in", config: { connection: "plc", key: "pump-1", items, mode: { type: "subscribe", samplingIntervalMs: 50, publishingIntervalMs: 50 } } }, { id: "sink", type: "held-sink" }],
        [["in", "sink"]]));
      // Speed and Vibration change every 100 ms; with the sink held, the flow saturates at once.
      await until(() => probe.refused === 1, "the flow telling the node to pause", 20_000);
      const emittedWhileSaturated = probe.emitted;
      assert.ok(emittedWhileSaturated <= 3, `${emittedWhileSaturated} emitted: at most the queue's high-water mark plus the one in the sink`);
      // Temperature changes only when set: four changes while saturated, of which only the last may be sent.
      for (const value of [60, 61, 62, 63]) {
        const sampled = server.sampled("Temperature", value);
        server.set("Temperature", value);
        await within(sampled, `the server sampling Temperature = ${value}`);
      }
      // Twenty more Speed and Vibration changes (about a second): published after the last Temperature, and all superseded.
      const droppedThen = counter("dropped_backpressure");
      await until(() => counter("dropped_backpressure") >= droppedThen + 20, "a second more of changes while saturated");
      assert.equal(probe.emitted, emittedWhileSaturated, "nothing more sent while saturated");
      assert.equal(got.length, 1, "the sink still holds the first message");

      const releasedAt = Date.now();
      release();
      await until(() => got.length >= emittedWhileSaturated + 3, "the kept values once the flow drained");
      const kept = got.slice(emittedWhileSaturated, emittedWhileSaturated + 3);
      const value = (m: Message, field: string) => (m.payload as Record<string, number | undefined>)[field];
      assert.deepEqual(kept.map((m) => Object.keys(m.payload as object)[0]).sort(), ["speed", "temperature", "vibration"], "one kept value per item, not a backlog");
      assert.equal(value(kept.find((m) => value(m, "temperature") !== undefined)!, "temperature"), 63, "the newest Temperature");
      assert.ok(!got.some((m) => [60, 61, 62].includes(value(m, "temperature") ?? 0)), "the superseded Temperatures were dropped");
      for (const msg of kept.filter((m) => value(m, "temperature") === undefined)) {
        assert.ok(releasedAt - msg.ts < 500, `a ${Object.keys(msg.payload as object)[0]} sampled ${releasedAt - msg.ts} ms before the release: the newest, not the first change after the pause`);
      }
      assert.ok(counter("dropped_backpressure") >= 3 + 20, `${counter("dropped_backpressure")} superseded values counted`);
      await until(() => got.length >= emittedWhileSaturated + 10, "values flowing again");
      assert.equal(probe.violations, 0, "never emitted while told to pause");
    } finally {
      release();
      await engine.stop();
      await connections.close();
    }
  });
});
