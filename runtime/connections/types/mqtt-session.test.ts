import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt from "mqtt";
import { startMosquitto, type Mosquitto } from "../../../test/support/mosquitto.ts";
import { until } from "../../../test/support/mqtt-flow.ts";
import { MQTT_BROKER } from "../../sdk/mqtt.ts";
import { ConnectionSupervisor } from "../supervisor.ts";
import mqttBroker, { defaultClientId } from "./mqtt-broker.ts";

describe("mqtt-broker persistent sessions", () => {
  let broker: Mosquitto;
  before(async () => void (broker = await startMosquitto()));
  after(() => broker.stop());

  it("keeps the client id of a persistent session from run to run, and varies a clean session's", () => {
    assert.equal(defaultClientId("plant/broker", false), "aiotflow-plant-broker");
    assert.match(defaultClientId("plant/broker", true), /^aiotflow-plant-broker-[0-9a-f]{1,6}$/);
    assert.notEqual(defaultClientId("plant/broker", true), defaultClientId("plant/broker", true));
  });

  // MQTT 5 ends a session with the connection unless the CONNECT asks for an expiry; and the queued
  // messages come right behind the CONNACK, before the nodes have the client.
  for (const protocol of ["5", "3.1.1"] as const) {
    it(`hands the messages queued while away to the nodes when the session resumes (MQTT ${protocol})`, async () => {
      const supervisor = new ConnectionSupervisor({ types: new Map([["mqtt-broker", mqttBroker]]), backoff: { initialMs: 50, maxMs: 200 } });
      const flowId = `session-${protocol.replace(".", "")}`;
      supervisor.prepare({ id: flowId, connections: { b: { type: "mqtt-broker", config: { url: broker.url, protocol, cleanSession: false } } } });
      const user = { flowId, nodeId: "n", status: () => undefined };
      const first = supervisor.acquire(MQTT_BROKER, "b", user);
      let subscribed = false;
      first.onConnected((client) => void client.subscribe("away/#", { qos: 1 }, () => void (subscribed = true)));
      await until(() => subscribed, "the subscription");
      await first.release(); // the link closes; the session stays at the broker

      const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      for (const body of ["a", "b", "c"]) await publisher.publishAsync("away/x", body, { qos: 1 });
      await publisher.endAsync();

      const got: string[] = [];
      const second = supervisor.acquire(MQTT_BROKER, "b", user);
      second.onConnected((client) => void client.on("message", (_topic, body) => void got.push(body.toString())));
      await until(() => got.length === 3, () => `the queued messages (got ${JSON.stringify(got)})`);
      assert.deepEqual(got, ["a", "b", "c"]);
      await second.release();
      await supervisor.close();
    });
  }
});
