import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { queryObjects } from "node:v8";
import mqtt, { type MqttClient } from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import mqttOut from "./index.ts";

/** Promises alive after a full GC (queryObjects collects first). */
const livePromises = () => queryObjects(Promise, { format: "count" });

describe("mqtt-out in a long run", () => {
  let broker: AedesBroker;
  let subscriber: MqttClient;
  let dataDir: string;
  before(async () => {
    broker = await startAedes();
    subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await subscriber.subscribeAsync("long/#", { qos: 1 });
    dataDir = mkdtempSync(join(tmpdir(), "mqtt-out-long-"));
  });
  after(async () => {
    await subscriber.endAsync();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A round that waited on a promise living as long as the connection left a reaction on it per
  // round, holding the round's results: ~16 bytes per message for as long as the link stayed up.
  it("keeps nothing of a publish round once it is acknowledged", async () => {
    const t = await flowEngine([mqttOut], { dataDir });
    await t.engine.deploy(flow("long", { broker: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "src", type: "test-source" }, { id: "out", type: "mqtt-out", config: { connection: "broker", topic: "long/x", qos: 1 } }], [["src", "out"]]));
    await until(() => t.statuses.some((s) => s.node === "out" && s.status.state === "running"), "connected");
    const send = t.probe.sources.get("src")!;
    let arrived = 0;
    let wake = () => {};
    subscriber.on("message", () => {
      arrived++;
      wake();
    });
    /** One message per round: send, then wait until the subscriber has it. */
    const rounds = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const target = arrived + 1;
        const got = new Promise<void>((resolve) => (wake = resolve));
        send({ topic: "in", ts: 0, payload: { i } });
        while (arrived < target) await got;
      }
    };
    await rounds(100); // warm up: JIT, mqtt.js stores, the outbox file
    const before = livePromises();
    const ROUNDS = 400;
    await rounds(ROUNDS);
    const grown = livePromises() - before;
    assert.ok(grown < ROUNDS / 10, `${grown} more promises alive after ${ROUNDS} rounds`);
    await t.close();
  });
});
