import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { queryObjects } from "node:v8";
import mqtt, { type MqttClient } from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { subscribe } from "./subscription.ts";

/** Promises alive after a full GC (queryObjects collects first). */
const livePromises = () => queryObjects(Promise, { format: "count" });

describe("mqtt subscriptions in a long run", () => {
  let broker: AedesBroker;
  let client: MqttClient;
  let publisher: MqttClient;
  before(async () => {
    broker = await startAedes();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await client.endAsync();
    await publisher.endAsync();
    await broker.close();
  });

  // Waiting on the node's gate raced a promise that lives as long as the subscription: every packet
  // read under backpressure left a reaction on it for good.
  it("keeps nothing of a packet that waited for a saturated node", async () => {
    let arrived = 0;
    let wake = () => {};
    // Always saturated: every packet waits for the gate, which opens a tick later.
    const gate = () => new Promise<void>((resolve) => setImmediate(resolve));
    const undo = subscribe(client, "gated/#", 0, () => {
      arrived++;
      wake();
    }, gate, (error) => assert.fail(error));
    await client.subscribeAsync("gated/#"); // the SUBACK has come once this resolves
    const packets = async (n: number) => {
      const target = arrived + n;
      for (let i = 0; i < n; i++) publisher.publish("gated/x", String(i));
      while (arrived < target) await new Promise<void>((resolve) => (wake = resolve));
    };
    await packets(100);
    const before = livePromises();
    const PACKETS = 2_000;
    await packets(PACKETS);
    const grown = livePromises() - before;
    assert.ok(grown < PACKETS / 10, `${grown} more promises alive after ${PACKETS} gated packets`);
    undo();
  });
});
