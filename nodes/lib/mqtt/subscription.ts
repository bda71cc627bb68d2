import { ErrorWithSubackPacket, type IPublishPacket } from "mqtt";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { AiotError } from "../../../runtime/sdk/index.ts";
import { PubackQueue } from "./acks.ts";
import { filterMatcher } from "./topic-template.ts";

type Gate = () => Promise<void> | undefined;
/** `packet` carries MQTT 5 properties (user properties, content type), when the broker sent any. */
type Handler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;
type Listener = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

interface GateEntry {
  readonly gate: Gate;
  /**
   * Wake-ups of the packets waiting on this node's gate, all called when the subscription goes (a node
   * that stops never holds the shared socket). Each removes itself when its wait ends: a promise that
   * lived as long as the subscription would collect one reaction per gated packet, for good.
   */
  readonly waiting: Set<() => void>;
}

/** Resolves when `wait` settles or the entry's subscription goes, whichever is first; leaves nothing on the entry. */
function untilOpenOrGone(entry: GateEntry, wait: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      entry.waiting.delete(done);
      resolve();
    };
    entry.waiting.add(done);
    wait.then(done, done);
  });
}

/** A QoS 1 message of a kept filter that came while no node was subscribed to it. */
interface Parked {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
  /** Lets its PUBACK go (the parking's own hold). */
  readonly release: () => void;
}

interface ClientState {
  readonly gates: Set<GateEntry>;
  readonly filters: Map<string, number>;
  readonly listeners: Set<Listener>;
  readonly acks: PubackQueue;
  /** The packet mqtt.js is handing out and whether a subscription took it (handleMessage reads both). */
  arriving: { topic: string; payload: Buffer; packet: IPublishPacket; taken: boolean } | undefined;
  /** Persistent session: filters no node uses now but the broker's session still holds (see `subscribe`). */
  readonly kept: Map<string, { readonly matches: (topic: string) => boolean; readonly timer: ReturnType<typeof setTimeout> }>;
  readonly parked: Parked[];
}

/**
 * How long a persistent session keeps the filter of a node that went while the connection stays up:
 * a runtime that stops closes its connections sooner than this; a flow redeployed without the node
 * does not, and the filter is then unsubscribed.
 */
const KEEP_MS = 10_000;
/** Tells mqtt.js not to acknowledge: the nodes send the PUBACK once the message is safe (acks.ts). */
const ACKNOWLEDGED_BY_NODES = new Error("acknowledged by the nodes once safe");

/** One record per client: several nodes may share a client, each with its own filter and pace. */
const clients = new WeakMap<MqttClient, ClientState>();

function stateOf(client: MqttClient): ClientState {
  let state = clients.get(client);
  if (state) return state;
  const created: ClientState = { gates: new Set(), filters: new Map(), listeners: new Set(), acks: new PubackQueue(client), arriving: undefined, kept: new Map(), parked: [] };
  clients.set(client, (state = created));
  // Before any subscription's listener: the packet of the message being emitted, for handleMessage.
  client.on("message", (topic, payload, packet) => void (created.arriving = { topic, payload, packet, taken: false }));
  // mqtt.js reads the next packet only when handleMessage calls back: holding the callback while a
  // node's flow is saturated pauses the socket, so the broker queues instead of us.
  client.handleMessage = (packet, callback) => {
    const arrival = created.arriving?.packet === packet ? created.arriving : undefined;
    created.arriving = undefined;
    if (arrival && !arrival.taken && packet.qos === 1 && [...created.kept.values()].some((k) => k.matches(arrival.topic))) {
      // Nobody takes it now, but the node whose filter it matches may be back in a moment (a redeploy)
      // or this runtime is stopping: acknowledging it would lose it.
      created.parked.push({ topic: arrival.topic, payload: arrival.payload, packet, release: created.acks.hold(packet) });
    }
    const ours = packet.qos === 1 && created.acks.adopt(packet);
    const done = ours ? () => callback(ACKNOWLEDGED_BY_NODES) : () => callback();
    let waits: Promise<void>[] | undefined; // allocated only when a node is saturated: this runs per packet
    for (const entry of created.gates) {
      const wait = entry.gate();
      if (wait) (waits ??= []).push(untilOpenOrGone(entry, wait));
    }
    if (waits === undefined) return done();
    Promise.all(waits).then(done, done);
  };
  return state;
}

/**
 * Holds back the PUBACK of a QoS 1 message a handler got until the returned release is called
 * (the message is safe); see acks.ts. Call it from the handler, while the message is being handed out.
 */
export function holdPuback(client: MqttClient, packet: IPublishPacket): () => void {
  return stateOf(client).acks.hold(packet);
}

/** Hands parked messages to the subscriptions there are now; those nobody takes stay parked. */
function replayParked(state: ClientState): void {
  const parked = state.parked.splice(0);
  for (const item of parked) {
    state.arriving = { ...item, taken: false };
    for (const listener of state.listeners) listener(item.topic, item.payload, item.packet);
    const taken = state.arriving.taken;
    state.arriving = undefined;
    if (taken) item.release(); // its new holders have it now
    else state.parked.push(item);
  }
}

/** The filter's node is gone for good (the connection outlived it): unsubscribe, let its parked messages go. */
function forget(client: MqttClient, state: ClientState, filter: string): void {
  state.kept.delete(filter);
  if (!client.connected) return;
  client.unsubscribe(filter, () => undefined);
  const still = [...state.kept.values()];
  for (const item of state.parked.splice(0)) {
    if (still.some((k) => k.matches(item.topic))) state.parked.push(item);
    else item.release(); // acknowledged and dropped: nobody subscribes to it any more
  }
}

/**
 * Subscribes `filter` on a shared client and hands matching messages to `handler`; `gate` returns a
 * promise while the node cannot take more (reading pauses until it resolves). Returns the undo.
 *
 * The undo unsubscribes only when no other node on this client uses the same filter. With a
 * persistent session (cleanSession false) it keeps the subscription in the broker's session, so the
 * broker queues for a runtime that stops or restarts; QoS 1 messages that come meanwhile on this
 * connection are parked unacknowledged and go to the next subscription to the filter (a redeployed
 * node). If none comes within KEEP_MS while the connection stays up, the node was removed: the filter
 * is unsubscribed and its parked messages are acknowledged and dropped.
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
  const listener: Listener = (topic, payload, packet) => {
    if (!matches(topic)) return;
    if (state.arriving) state.arriving.taken = true;
    handler(topic, payload, packet);
  };
  client.on("message", listener);
  state.listeners.add(listener);
  const entry: GateEntry = { gate, waiting: new Set() };
  state.gates.add(entry);
  state.filters.set(filter, (state.filters.get(filter) ?? 0) + 1);
  const kept = state.kept.get(filter);
  if (kept) {
    clearTimeout(kept.timer);
    state.kept.delete(filter);
  }
  // Once every node a (re)deploy starts has subscribed: they take what was parked for them.
  if (state.parked.length > 0) setImmediate(() => replayParked(state));
  client.subscribe(filter, { qos }, (error) => {
    if (!error) return;
    // mqtt.js reports a SUBACK failure (reason code 0x80 and up: not authorised, bad filter...) as an error carrying the SUBACK.
    const reasonCode = error instanceof ErrorWithSubackPacket ? error.packet.granted.find((code: unknown): code is number => typeof code === "number" && code >= 0x80) : undefined;
    if (reasonCode === undefined) return onError(error);
    onError(new AiotError("MQTT_SUBSCRIBE_REFUSED", `the broker refused the subscription to "${filter}" (${error.message})`, { filter, reasonCode }, { cause: error }));
  });
  return () => {
    client.off("message", listener);
    state.listeners.delete(listener);
    state.gates.delete(entry);
    for (const wake of [...entry.waiting]) wake();
    const users = (state.filters.get(filter) ?? 1) - 1;
    if (users > 0) return void state.filters.set(filter, users);
    state.filters.delete(filter);
    if (!client.connected) return;
    if (client.options.clean === false) {
      const timer = setTimeout(() => forget(client, state, filter), KEEP_MS);
      timer.unref(); // a runtime that is done does not wait for this
      state.kept.set(filter, { matches, timer });
    } else client.unsubscribe(filter, () => undefined);
  };
}
