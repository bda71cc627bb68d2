import type { MqttClient } from "mqtt";
import { connectionKind } from "./connections.ts";

/**
 * The `mqtt-broker` connection as nodes see it: an mqtt.js client, connected, with its own
 * reconnect switched off (the runtime reconnects and hands nodes the new client via `onConnected`).
 */
export const MQTT_BROKER = connectionKind<MqttClient>("mqtt-broker");
export type { MqttClient };
