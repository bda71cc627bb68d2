import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { startMosquitto, type Mosquitto } from "../../../test/support/mosquitto.ts";
import { until } from "../../../test/support/mqtt-flow.ts";
import { Qos0Writer } from "./qos0-writer.ts";

interface Received {
  readonly topic: string;
  readonly body: string;
  readonly retain: boolean;
}

/** A subscriber on `out/#` recording what arrives, and a publishing client for the writer. */
async function pair(url: string, protocolVersion: 4 | 5) {
  const subscriber = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion });
  const got: Received[] = [];
  subscriber.on("message", (topic, body, packet) => void got.push({ topic, body: body.toString(), retain: packet.retain }));
  await subscriber.subscribeAsync("out/#", { qos: 0 });
  const publisher: MqttClient = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion });
  return { subscriber, publisher, got, end: async () => Promise.all([subscriber.endAsync(), publisher.endAsync()]) };
}

describe("Qos0Writer", () => {
  let aedes: AedesBroker;
  let mosquitto: Mosquitto;
  before(async () => {
    aedes = await startAedes();
    mosquitto = await startMosquitto();
  });
  after(async () => {
    await aedes.close();
    await mosquitto.stop();
  });

  for (const [label, url, version] of [["MQTT 3.1.1 (aedes)", () => aedes.url, 4], ["MQTT 5 (Mosquitto)", () => mosquitto.url, 5]] as const) {
    it(`${label}: packets arrive whole and in order, UTF-8 and slab boundaries included`, async () => {
      const { publisher, got, end } = await pair(url(), version);
      const writer = new Qos0Writer(publisher);
      const sent: Received[] = [];
      const send = (topic: string, body: string, retain = false) => {
        assert.equal(writer.publish(topic, body, retain), true);
        sent.push({ topic, body, retain: false }); // retain is cleared on live delivery to a subscriber
      };
      for (let i = 0; i < 3_000; i++) send(`out/pump-${i % 7}`, JSON.stringify({ i, v: i * 0.5 }));
      send("out/ünïcode/泵", "température 21 °C");
      send("out/big", "x".repeat(200_000)); // larger than a slab: a slab of its own
      send("out/medium", "y".repeat(300)); // needs a 2-byte remaining length
      send("out/retained", "kept", true);
      await until(() => got.length >= sent.length, `${sent.length} messages`, 10_000);
      assert.deepEqual(got, sent);
      await end();
    });
  }

  it("refuses to publish on a closed client, so the caller buffers instead", async () => {
    const { publisher, end } = await pair(aedes.url, 4);
    const writer = new Qos0Writer(publisher);
    await publisher.endAsync();
    assert.equal(writer.publish("out/late", "{}", false), false);
    await end();
  });
});
