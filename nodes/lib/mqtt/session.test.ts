import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { until } from "../../../test/support/mqtt-flow.ts";
import { holdPuback, subscribe } from "./subscription.ts";

describe("subscriptions on a persistent session", () => {
  let broker: AedesBroker;
  let client: MqttClient;
  let publisher: MqttClient;
  const acks: string[] = [];
  before(async () => {
    broker = await startAedes();
    broker.broker.on("ack", (packet, from) => {
      if (from?.id === "keeper" && packet && "payload" in packet) acks.push(String(packet.payload));
    });
    client = await mqtt.connectAsync(broker.url, { clientId: "keeper", clean: false, reconnectPeriod: 0 });
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await client.endAsync(true);
    await publisher.endAsync();
    await broker.close();
  });

  // A runtime that stops (or a redeploy that replaces the node) must not acknowledge what comes in the
  // meantime: the broker keeps the subscription in the session, the message waits for the next node.
  it("keeps a message that came while no node was subscribed for the next subscription, unacknowledged until it lets go", async () => {
    const first: string[] = [];
    const undo = subscribe(client, "park/#", 1, (_topic, body) => void first.push(body.toString()), () => undefined, (e) => assert.fail(e));
    await client.subscribeAsync("park/#", { qos: 1 }); // its SUBACK: the subscription is in place
    await publisher.publishAsync("park/x", "1", { qos: 1 });
    await until(() => acks.includes("1"), "the first message acknowledged (nobody held it)");
    assert.deepEqual(first, ["1"]);
    undo(); // the node stops: a persistent session keeps the subscription at the broker

    const arrived: string[] = [];
    const watch = (_topic: string, body: Buffer) => void arrived.push(body.toString());
    client.on("message", watch);
    await publisher.publishAsync("park/x", "2", { qos: 1 });
    await until(() => arrived.includes("2"), "the second message at the client");
    client.off("message", watch);

    const second: string[] = [];
    let release = () => {};
    const undoSecond = subscribe(client, "park/#", 1, (_topic, body, packet) => {
      second.push(body.toString());
      release = holdPuback(client, packet);
    }, () => undefined, (e) => assert.fail(e));
    await until(() => second.includes("2"), "the parked message handed to the new subscription");
    assert.deepEqual(first, ["1"], "the stopped node got nothing more");
    assert.deepEqual(acks, ["1"], "not acknowledged while the new node holds it");
    release();
    await until(() => acks.includes("2"), "the PUBACK once the node let go");
    undoSecond();
  });
});
