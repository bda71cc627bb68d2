import type { IPublishPacket } from "mqtt";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { filterMatcher } from "./topic-template.ts";

type Gate = () => Promise<void> | undefined;
/** `packet` carries MQTT 5 properties (user properties, content type), when the broker sent any. */
type Handler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

interface GateEntry {
  readonly gate: Gate;
  /** Resolves when the subscription goes, so a node that stops never holds the shared socket. */
  readonly gone: Promise<void>;
  readonly leave: () => void;
}

interface ClientState {
  readonly gates: Set<GateEntry>;
  readonly filters: Map<string, number>;
}

/** One record per client: several nodes may share a client, each with its own filter and pace. */
const clients = new WeakMap<MqttClient, ClientState>();

function stateOf(client: MqttClient): ClientState {
  let state = clients.get(client);
  if (!state) {
    const gates = new Set<GateEntry>();
    clients.set(client, (state = { gates, filters: new Map() }));
    // mqtt.js reads the next packet only when handleMessage calls back: holding the callback while a
    // node's flow is saturated pauses the socket, so the broker queues instead of us.
    client.handleMessage = (_packet, callback) => {
      let waits: Promise<void>[] | undefined; // allocated only when a node is saturated: this runs per packet
      for (const entry of gates) {
        const wait = entry.gate();
        if (wait) (waits ??= []).push(Promise.race([wait, entry.gone]));
      }
      if (waits === undefined) return callback();
      Promise.all(waits).then(() => callback(), () => callback());
    };
  }
  return state;
}

/**
 * Subscribes `filter` on a shared client and hands matching messages to `handler`; `gate` returns a
 * promise while the node cannot take more (reading pauses until it resolves). Returns the undo,
 * which unsubscribes only when no other node on this client still uses the same filter.
 */
export function subscribe(
  client: MqttClient,
  filter: string,
  qos: 0 | 1 | 2,
  handler: Handler,
  gate: Gate,
  onError: (error: Error) => void,
): () => void {
  const state = stateOf(client);
  const matches = filterMatcher(filter);
  const listener = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (matches(topic)) handler(topic, payload, packet);
  };
  client.on("message", listener);
  let leave = () => {};
  const entry: GateEntry = { gate, gone: new Promise<void>((resolve) => (leave = resolve)), leave: () => leave() };
  state.gates.add(entry);
  state.filters.set(filter, (state.filters.get(filter) ?? 0) + 1);
  client.subscribe(filter, { qos }, (error, granted) => {
    if (error) return onError(error);
    const refused = granted?.find((g) => g.qos === 128);
    if (refused) onError(new Error(`the broker refused the subscription to "${filter}"`));
  });
  return () => {
    client.off("message", listener);
    state.gates.delete(entry);
    entry.leave();
    const users = (state.filters.get(filter) ?? 1) - 1;
    if (users > 0) return void state.filters.set(filter, users);
    state.filters.delete(filter);
    if (client.connected) client.unsubscribe(filter, () => undefined);
  };
}
