/** flows/mqtt-bridge.json runs end to end: publisher -> broker -> mqtt-in -> map -> mqtt-out -> subscriber. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { ConnectionSupervisor, withConnections } from "../runtime/connections/index.ts";
import { loadConnectionTypes } from "../runtime/connections/registry.ts";
import { Engine, type DebugEvent } from "../runtime/core/engine.ts";
import type { FlowDocument } from "../runtime/contract/flow-format.ts";
import { startAedes, type AedesBroker } from "./support/aedes.ts";
import { until } from "./support/mqtt-flow.ts";

describe("flows/mqtt-bridge.json", () => {
  let broker: AedesBroker;
  let client: MqttClient;
  before(async () => {
    broker = await startAedes();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await client.endAsync();
    await broker.close();
  });

  it("converts pump temperatures and republishes them per site and pump; bad payloads are shown, not fatal", async () => {
    const document = JSON.parse(readFileSync(new URL("../flows/mqtt-bridge.json", import.meta.url), "utf8")) as FlowDocument;
    // The shipped flow points at `aiotflow serve`'s embedded broker on 1883; here it is a free port.
    document.connections["local-broker"]!.config["url"] = broker.url;
    const connections = new ConnectionSupervisor({ types: await loadConnectionTypes() });
    const engine = new Engine({ catalog: await loadCatalog(), connections, services: withConnections(undefined, connections) });
    const debug: DebugEvent[] = [];
    engine.on("debug", (e) => void debug.push(e));
    // mqtt-in's topic plant/{site}/pump/{id}/temperature, as the filter it subscribes.
    const subscribed = broker.subscriptions.next("plant/+/pump/+/temperature");
    await engine.deploy(document);
    await until(() => engine.statuses().filter((s) => s.status.state === "running").length === 2, "both MQTT nodes connected");
    const got: string[] = [];
    client.on("message", (topic, body) => void got.push(`${topic} ${body.toString()}`));
    await client.subscribeAsync("aiotflow/#", { qos: 1 });
    await subscribed;
    await client.publishAsync("plant/north/pump/p7/temperature", "85", { qos: 1 });
    await client.publishAsync("plant/north/pump/p8/temperature", "hot!", { qos: 1 });
    await client.publishAsync("plant/south/pump/p9/temperature", "20", { qos: 1 });
    await until(() => got.length === 2, "two publishes");
    assert.deepEqual(got, [
      `aiotflow/north/p7 ${JSON.stringify({ temperature: 85, temperatureF: 185, hot: true })}`,
      `aiotflow/south/p9 ${JSON.stringify({ temperature: 20, temperatureF: 68, hot: false })}`,
    ]);
    assert.deepEqual(debug.filter((e) => e.label === "bad payload").map((e) => (e.msg.payload as { code: string }).code), ["MQTT_PAYLOAD_INVALID"]);
    await engine.stop();
    await connections.close();
  });
});
