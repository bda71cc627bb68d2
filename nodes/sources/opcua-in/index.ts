import type { ClientMonitoredItemBase, ClientSession, ClientSubscription, DataValue } from "node-opcua";
import { CONNECTIONS, ConnectionRef } from "../../../runtime/sdk/connections.ts";
import { AiotError, Config, defineNode, errorMessage, isAiotError, Type, type TimerHandle } from "../../../runtime/sdk/index.ts";
import { OPCUA_ENDPOINT, type OpcuaLink } from "../../../runtime/sdk/opcua.ts";
import { emitError } from "../../lib/sources/emit-error.ts";
import { ASSETS_DOCS, assetStamper, AssetsOption } from "../../lib/assets/asset-stamp.ts";
import { isMissingNode, loadOpcua, nodeReferenceProblem, plainValue, qualityOf, resolveReference, VALUE_ATTRIBUTE } from "../../lib/opcua/item.ts";
import { NewestWhileSaturated } from "./newest-while-saturated.ts";

const item = Type.Object({
  node: Type.String({ minLength: 1, description: "NodeId (ns=1;s=Pump1.Speed) or browse path from the Root folder (/Objects/1:Pump1/1:Speed)." }),
  field: Type.String({ minLength: 1, description: "Payload field the value goes into." }),
  key: Type.Optional(Type.String({ minLength: 1, description: "Message key for this item; the node's `key` when omitted." })),
}, { additionalProperties: false, description: "One OPC UA variable to read." });

const deadband = Type.Union([
  Type.Object({ type: Type.Literal("none", { description: "Every change is reported." }) }, { additionalProperties: false, description: "No deadband." }),
  Type.Object({
    type: Type.Literal("absolute", { description: "Report a change only when it exceeds `value` (in the variable's unit)." }),
    value: Type.Number({ exclusiveMinimum: 0, description: "Smallest change reported." }),
  }, { additionalProperties: false, description: "Absolute deadband." }),
  Type.Object({
    type: Type.Literal("percent", { description: "Report a change only when it exceeds `value` % of the variable's EURange (analog items only)." }),
    value: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: "Percent of the EURange." }),
  }, { additionalProperties: false, description: "Percent deadband." }),
], { default: { type: "none" }, description: "Server-side filter against noise: none, absolute or percent of EURange." });

/** What a server answers when a variable cannot take a percent deadband (it is no AnalogItem or has no EURange). */
const FILTER_REFUSED = new Set(["BadMonitoredItemFilterUnsupported", "BadFilterNotAllowed", "BadDeadbandFilterInvalid"]);

const mode = Type.Union([
  Type.Object({
    type: Type.Literal("subscribe", { description: "The server pushes changes (monitored items)." }),
    samplingIntervalMs: Type.Integer({ minimum: 0, default: 250, unit: "ms", description: "How often the server samples each variable." }),
    publishingIntervalMs: Type.Integer({ minimum: 10, default: 250, unit: "ms", description: "How often the server sends the changes it collected." }),
    queueSize: Type.Integer({ minimum: 1, default: 10, description: "Changes the server keeps per item between two publishes." }),
    deadband,
  }, { additionalProperties: false, description: "Subscribe to changes." }),
  Type.Object({
    type: Type.Literal("poll", { description: "aiotflow reads every item each interval." }),
    intervalMs: Type.Integer({ minimum: 10, default: 1000, unit: "ms", description: "Time between two reads." }),
  }, { additionalProperties: false, description: "Poll values." }),
], { default: { type: "subscribe" }, description: "Subscribe (server pushes changes) or poll (read every interval)." });

export default defineNode({
  type: "opcua-in",
  version: 1,
  family: "sources",
  title: "OPC UA in",
  summary: "Reads OPC UA variables by subscription (sampling interval, deadband) or polling, with status codes as quality and server timestamps as event time.",
  docs: `
Reads variables of an OPC UA server through an \`opcua-endpoint\` connection. Each item names a node by
NodeId (\`ns=1;s=Pump1.Speed\`) or by browse path from the Root folder (\`/Objects/1:Pump1/1:Speed\`), the
payload field its value goes into, and optionally its own key.

- **subscribe**: monitored items; the server samples every \`samplingIntervalMs\` and reports changes
  (filtered by an absolute or percent deadband) every \`publishingIntervalMs\`. Subscriptions are made
  again after every reconnect.
- **poll**: reads every item each \`intervalMs\`.

Each value becomes one message: \`{ topic: "<topic>/<key>", key, ts, payload: { <field>: value },
meta: { source, nodeId, quality: "Good" | "Uncertain" | "Bad", status: "<status code name>", sourceTime } }\`.
Event time (\`ts\`) is the server timestamp (\`timestamp: "source"\` picks the device's), falling back to
the arrival time. Values whose status is not Good are passed on flagged (counted: \`not_good\`); filter
them downstream by \`meta.quality\`.

Backpressure: a subscription pushes changes whether the flow keeps up or not. While the flow is
saturated, only the newest value of each item is kept (at most one per item) and the values it
replaces are counted as \`dropped_backpressure\`; the kept ones go out once the flow can take more.
Polling works the same way.

Bad input: a node that does not exist (or a browse path leading nowhere) goes to the error port as
OPCUA_NODE_NOT_FOUND naming it, and the other items keep running. A percent deadband on a variable that is not
an analog item with an EURange goes there as OPCUA_DEADBAND_UNSUPPORTED; that item is not monitored, the rest are. Connection problems (refused, wrong
credentials, untrusted certificate, server gone) show in the node's status, and it resubscribes on reconnect.

${ASSETS_DOCS}

Example: \`{ "connection": "pump-plc", "key": "pump-1", "items": [{ "node": "ns=1;s=Pump1.Speed", "field": "speed" }] }\``,
  config: Config({
    connection: ConnectionRef("opcua-endpoint", "The flow's opcua-endpoint connection to read from."),
    items: Type.Array(item, { minItems: 1, description: "Variables to read." }),
    mode,
    key: Type.Optional(Type.String({ minLength: 1, description: "Message key (asset or device id) for items without their own." })),
    topic: Type.String({ default: "opcua", description: "Topic prefix; messages go out as <topic>/<key>." }),
    assets: AssetsOption,
    timestamp: Type.Enum(["server", "source"], { default: "server", description: "Event time from the server's timestamp or the source (device) timestamp." }),
  }),
  inputs: {},
  outputs: { out: { kind: "reading", description: "One reading per value change (or per poll)." } },
  examples: [
    { title: "Subscribe to a pump", config: { connection: "pump-plc", key: "pump-1", items: [
      { node: "ns=1;s=Pump1.Speed", field: "speed" }, { node: "ns=1;s=Pump1.Vibration", field: "vibration" }, { node: "/Objects/1:Pump1/1:Temperature", field: "temperature" },
    ] } },
    { title: "Noisy temperature, absolute deadband", config: { connection: "pump-plc", key: "pump-1", items: [{ node: "ns=1;s=Pump1.Temperature", field: "temperature" }],
      mode: { type: "subscribe", samplingIntervalMs: 1000, publishingIntervalMs: 1000, queueSize: 10, deadband: { type: "absolute", value: 0.5 } } } },
    { title: "Pressure, 2 % of its EURange", description: "A percent deadband needs an AnalogItem with an EURange: 2 % of 0..10 bar reports changes above 0.2 bar.",
      config: { connection: "pump-plc", key: "pump-1", items: [{ node: "ns=1;s=Pump1.OutletPressure", field: "pressure" }], mode: { type: "subscribe", samplingIntervalMs: 500, publishingIntervalMs: 1000, queueSize: 10, deadband: { type: "percent", value: 2 } } } },
    { title: "Poll every 5 s", config: { connection: "pump-plc", items: [{ node: "ns=2;i=1001", field: "level", key: "tank-3" }], mode: { type: "poll", intervalMs: 5000 } } },
  ],
  check(config) {
    return config.items.flatMap((it, i) => {
      const problem = nodeReferenceProblem(it.node);
      return problem ? [{ path: `items[${i}].node`, message: problem }] : [];
    });
  },
  fieldsOut: (config) => config.items.map((it) => it.field),
  create(config, ctx) {
    const lease = ctx.use(CONNECTIONS).acquire(OPCUA_ENDPOINT, config.connection, ctx);
    const items = config.items.map((it) => {
      const key = it.key ?? config.key;
      return { ...it, key, topic: key ? `${config.topic}/${key}` : config.topic };
    });
    const stampAsset = assetStamper(ctx, config.assets);
    const outlet = new NewestWhileSaturated<number>(ctx);
    let subscription: ClientSubscription | undefined;
    let pollTimer: TimerHandle | undefined;
    let removeConnected: (() => void) | undefined;
    let generation = 0; // bumped on every (re)connect and on stop: late results of an old session are dropped
    /** Items already reported missing on this session, so polling does not repeat the error every interval. */
    const reported = new Set<number>();

    function report(index: number, error: AiotError): void {
      if (reported.has(index)) return;
      reported.add(index);
      const it = items[index]!;
      emitError(ctx, new AiotError(error.code, `items[${index}] (${it.field}): ${error.message}`, { ...error.details, path: `config.items[${index}].node` }), { topic: it.topic, ts: ctx.clock.now(), ...(it.key ? { key: it.key } : {}) }, "node_errors");
    }

    function deliver(index: number, nodeId: string, dataValue: DataValue): void {
      const it = items[index]!;
      if (isMissingNode(dataValue.statusCode)) {
        return report(index, new AiotError("OPCUA_NODE_NOT_FOUND", `node ${nodeId} does not exist on the server (${dataValue.statusCode.name})`, { nodeId }));
      }
      reported.delete(index);
      const quality = qualityOf(dataValue.statusCode);
      if (quality !== "Good") ctx.metrics.count("not_good");
      const stamp = config.timestamp === "server" ? dataValue.serverTimestamp ?? dataValue.sourceTimestamp : dataValue.sourceTimestamp ?? dataValue.serverTimestamp;
      const meta = { source: ctx.nodeId, nodeId, quality, status: dataValue.statusCode.name, ...(dataValue.sourceTimestamp ? { sourceTime: dataValue.sourceTimestamp.getTime() } : {}) };
      const msg = { topic: it.topic, ...(it.key ? { key: it.key } : {}), ts: stamp?.getTime() ?? ctx.clock.now(), payload: { [it.field]: plainValue(dataValue) }, meta };
      outlet.offer(index, stampAsset ? stampAsset(msg) : msg);
    }

    /** Resolves every item's NodeId; a browse path that leads nowhere is reported and left out. */
    async function resolveAll(session: ClientSession, mine: number): Promise<Array<{ index: number; nodeId: string }>> {
      const resolved: Array<{ index: number; nodeId: string }> = [];
      for (let index = 0; index < items.length; index++) {
        try {
          resolved.push({ index, nodeId: await resolveReference(session, items[index]!.node) });
        } catch (error) {
          if (mine !== generation) return [];
          report(index, isAiotError(error) ? error : new AiotError("OPCUA_NODE_NOT_FOUND", errorMessage(error), { nodeId: items[index]!.node }));
        }
      }
      return resolved;
    }

    async function subscribe(session: ClientSession, mine: number): Promise<void> {
      if (config.mode.type !== "subscribe") return;
      const { samplingIntervalMs, publishingIntervalMs, queueSize, deadband: band } = config.mode;
      const { DataChangeFilter, DataChangeTrigger, DeadbandType, TimestampsToReturn } = await loadOpcua();
      const targets = await resolveAll(session, mine);
      if (mine !== generation || targets.length === 0) return;
      const created = await session.createSubscription2({
        requestedPublishingInterval: publishingIntervalMs, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 1,
      });
      if (mine !== generation) return void (await created.terminate().catch(() => undefined));
      subscription = created;
      const filter = band.type === "none" ? null : new DataChangeFilter({
        trigger: DataChangeTrigger.StatusValue, deadbandType: band.type === "absolute" ? DeadbandType.Absolute : DeadbandType.Percent, deadbandValue: band.value,
      });
      for (const { index, nodeId } of targets) {
        const monitored: ClientMonitoredItemBase = await created.monitor({ nodeId, attributeId: VALUE_ATTRIBUTE }, { samplingInterval: samplingIntervalMs, queueSize, discardOldest: true, filter }, TimestampsToReturn.Both);
        if (mine !== generation) return;
        const status = monitored.statusCode;
        if (status && !status.isGood()) {
          if (band.type === "percent" && FILTER_REFUSED.has(status.name)) {
            report(index, new AiotError("OPCUA_DEADBAND_UNSUPPORTED", `a percent deadband needs an analog item with an EURange, which ${nodeId} lacks (${status.name})`, { nodeId }));
            continue;
          }
          const code = isMissingNode(status) ? "OPCUA_NODE_NOT_FOUND" : "NODE_START_FAILED";
          report(index, new AiotError(code, `cannot monitor ${nodeId}: ${status.name}`, { nodeId }));
          continue;
        }
        monitored.on("changed", (dataValue: DataValue) => {
          if (mine === generation) deliver(index, nodeId, dataValue);
        });
      }
    }

    function poll(session: ClientSession, mine: number): void {
      if (config.mode.type !== "poll") return;
      const intervalMs = config.mode.intervalMs;
      let targets: Promise<Array<{ index: number; nodeId: string }>> | undefined;
      let busy = false;
      const readAll = async () => {
        if (busy || mine !== generation) return; // a slow server: skip a tick rather than pile up reads
        busy = true;
        try {
          const list = await (targets ??= resolveAll(session, mine));
          if (list.length === 0 || mine !== generation) return;
          const values = await session.read(list.map((t) => ({ nodeId: t.nodeId, attributeId: VALUE_ATTRIBUTE })), 0);
          if (mine !== generation) return;
          values.forEach((dataValue, i) => deliver(list[i]!.index, list[i]!.nodeId, dataValue));
        } catch (error) {
          if (mine === generation) ctx.log.warn(`poll failed: ${errorMessage(error)}`);
        } finally {
          busy = false;
        }
      };
      void readAll();
      pollTimer = ctx.clock.setInterval(() => void readAll(), intervalMs);
    }

    function connected(link: OpcuaLink): void {
      const mine = ++generation;
      pollTimer?.cancel();
      subscription = undefined; // belonged to the old session, which the runtime has closed
      reported.clear();
      subscribe(link.session, mine).catch((error: unknown) => {
        if (mine !== generation) return;
        ctx.log.warn(`subscribing failed: ${errorMessage(error)}`);
        ctx.status({ state: "error", text: `subscribing failed: ${errorMessage(error)}` });
      });
      poll(link.session, mine);
    }

    return {
      start() {
        removeConnected = lease.onConnected(connected);
      },
      async stop() {
        generation++;
        removeConnected?.();
        pollTimer?.cancel();
        outlet.discard();
        const old = subscription;
        subscription = undefined;
        await old?.terminate().catch(() => undefined);
      },
      async close() {
        await lease.release();
      },
    };
  },
});
