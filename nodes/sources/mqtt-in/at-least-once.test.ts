import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import mqtt from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { freePort } from "../../../test/support/mosquitto.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import mqttOut from "../../sinks/mqtt-out/index.ts";
import map from "../../util/map.ts";
import mqttIn from "./index.ts";

describe("mqtt-in acknowledges a QoS 1 message once it is safe", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** Broker "source" and the order in which the test sees things happen. */
  async function source(): Promise<{ broker: AedesBroker; events: string[]; subscribed: () => boolean; publish: (body: string) => Promise<void> }> {
    const broker = await startAedes();
    const events: string[] = [];
    let subscribed = false;
    broker.broker.on("subscribe", (subscriptions) => void (subscribed ||= subscriptions.some((s) => s.topic === "alo/in")));
    // The flow's client gets only alo/in from this broker (aedes hands no packet for a clean session).
    broker.broker.on("ack", (_packet, client) => {
      if (client?.id?.startsWith("aiotflow-")) events.push("the source broker got the PUBACK");
    });
    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => broker.close(), () => publisher.endAsync(true));
    return { broker, events, subscribed: () => subscribed, publish: async (body) => void (await publisher.publishAsync("alo/in", body, { qos: 1 })) };
  }

  async function deploy(id: string, sourceUrl: string, rest: { sinkUrl?: string; dataDir?: string }) {
    const t = await flowEngine([mqttIn, mqttOut, map], rest.dataDir ? { dataDir: rest.dataDir } : {});
    cleanups.push(() => t.close());
    const out = rest.sinkUrl
      ? [{ id: "out", type: "mqtt-out", config: { connection: "sink", topic: "alo/out", qos: 1 } }]
      : [{ id: "drop", type: "map", config: { where: "payload.seq < 0", set: {} } }];
    await t.engine.deploy(flow(id, {
      source: { type: "mqtt-broker", config: { url: sourceUrl } },
      ...(rest.sinkUrl ? { sink: { type: "mqtt-broker", config: { url: rest.sinkUrl } } } : {}),
    }, [{ id: "in", type: "mqtt-in", config: { connection: "source", topic: "alo/in", qos: 1 } }, ...out], [["in", out[0]!.id]]));
    await until(() => t.statuses.some((s) => s.node === "in" && s.status.state === "running"), "connected");
    return t;
  }

  it("waits for mqtt-out's broker when the buffer is only in memory", async () => {
    const { broker, events, subscribed, publish } = await source();
    const sinkPort = await freePort(); // nothing listens there yet
    const t = await deploy("alo-memory", broker.url, { sinkUrl: `mqtt://127.0.0.1:${sinkPort}` });
    await until(subscribed, "the flow's subscription");
    await publish(JSON.stringify({ seq: 1 }));
    await until(() => t.engine.metrics().find((m) => m.node === "out")?.in === 1, "the message buffered in mqtt-out");
    const sink = await startAedes({ port: sinkPort });
    cleanups.push(() => sink.close());
    sink.broker.on("publish", (packet) => void (packet.topic === "alo/out" && events.push("mqtt-out's broker has it")));
    await until(() => events.includes("the source broker got the PUBACK"), "the PUBACK", 10_000);
    assert.deepEqual(events, ["mqtt-out's broker has it", "the source broker got the PUBACK"]);
  });

  it("acknowledges once mqtt-out's disk buffer has it, with its broker still away", async () => {
    const { broker, events, subscribed, publish } = await source();
    const dataDir = mkdtempSync(join(tmpdir(), "mqtt-in-alo-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const t = await deploy("alo-disk", broker.url, { sinkUrl: `mqtt://127.0.0.1:${await freePort()}`, dataDir });
    await until(subscribed, "the flow's subscription");
    await publish(JSON.stringify({ seq: 1 }));
    await until(() => events.length === 1, "the PUBACK");
    assert.equal(t.engine.metrics().find((m) => m.node === "out")?.counters["published"] ?? 0, 0, "not published: its broker is away");
  });

  it("acknowledges a message the flow drops once the flow has had it", async () => {
    const { broker, events, subscribed, publish } = await source();
    const t = await deploy("alo-drop", broker.url, {});
    await until(subscribed, "the flow's subscription");
    await publish(JSON.stringify({ seq: 1 }));
    await until(() => events.length === 1, "the PUBACK");
    assert.equal(t.engine.metrics().find((m) => m.node === "drop")?.counters["filtered"], 1);
  });
});
