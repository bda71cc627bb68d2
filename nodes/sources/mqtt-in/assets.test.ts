import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { ASSETS } from "../../../runtime/sdk/assets.ts";
import { provide, services } from "../../../runtime/sdk/services.ts";
import { LowdbAssetStore } from "../../../runtime/store/assets.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { flow, flowEngine, until } from "../../../test/support/mqtt-flow.ts";
import mqttIn from "./index.ts";

// Sources stamp messages from the asset registry; mqtt-in on a real broker stands for all of them
// (opcua-in and lorawan-in call the same assetStamper on what they emit).
describe("sources with assets: true", () => {
  let broker: AedesBroker;
  let publisher: MqttClient;
  let registry: LowdbAssetStore;
  const dir = mkdtempSync(join(tmpdir(), "aiotflow-asset-stamp-"));
  before(async () => {
    broker = await startAedes();
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    registry = await LowdbAssetStore.open(dir);
    await registry.put("pump-7", { signals: [{ name: "temperature", unit: "C", min: -20, max: 120 }, { name: "pressure", unit: "bar" }, { name: "label" }] });
  });
  after(async () => {
    await publisher.endAsync();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deploy(id: string, withRegistry = true) {
    const t = await flowEngine([mqttIn], withRegistry ? { services: services(provide(ASSETS, registry)) } : {});
    const subscribed = broker.subscriptions.next(`${id}/+`);
    await t.engine.deploy(flow(id, { broker: { type: "mqtt-broker", config: { url: broker.url } } },
      [{ id: "in", type: "mqtt-in", config: { connection: "broker", topic: `${id}/{device}`, key: "{device}", assets: true } }, { id: "got", type: "test-sink" }],
      [["in", "got"]]));
    await until(() => t.statuses.some((s) => s.status.state === "running"), "the connection");
    await subscribed; // made after the CONNACK: publishing before it would reach nobody
    return t;
  }

  it("stamps meta.asset and the registered units of the payload's fields", async () => {
    const t = await deploy("stamp");
    await publisher.publishAsync("stamp/pump-7", JSON.stringify({ temperature: 20, pressure: 1.2, speed: 1450, label: "x" }), { qos: 1 });
    await until(() => t.received("got").length === 1, "a reading");
    const meta = t.received("got")[0]!.meta!;
    assert.equal(meta["asset"], "pump-7");
    assert.deepEqual(meta["units"], { temperature: "C", pressure: "bar" }, "fields without a registered unit get none");
    await t.close();
  });

  it("passes an unregistered key unstamped and counts it; an asset registered later applies at once", async () => {
    const t = await deploy("unknown");
    await publisher.publishAsync("unknown/pump-9", JSON.stringify({ temperature: 20 }), { qos: 1 });
    await until(() => t.received("got").length === 1, "a reading");
    assert.equal(t.received("got")[0]!.meta!["asset"], undefined);
    assert.equal(t.engine.metrics().find((m) => m.node === "in")!.counters["asset_unknown"], 1);
    await registry.put("pump-9", { signals: [{ name: "temperature", unit: "F" }] });
    await publisher.publishAsync("unknown/pump-9", JSON.stringify({ temperature: 70 }), { qos: 1 });
    await until(() => t.received("got").length === 2, "a second reading");
    assert.deepEqual(t.received("got")[1]!.meta!["units"], { temperature: "F" });
    await t.close();
  });

  it("refuses the deploy, naming the node, where the runtime has no asset registry", async () => {
    const t = await flowEngine([mqttIn]);
    await assert.rejects(
      t.engine.deploy(flow("no-registry", { broker: { type: "mqtt-broker", config: { url: broker.url } } },
        [{ id: "in", type: "mqtt-in", config: { connection: "broker", topic: "x/{device}", key: "{device}", assets: true } }], [])),
      (error: Error & { code?: string }) => error.code === "SERVICE_UNAVAILABLE" && /node "in" \(mqtt-in\) needs the "assets" service/.test(error.message),
    );
    await t.close();
  });
});
