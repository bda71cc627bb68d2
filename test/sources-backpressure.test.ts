/**
 * Every source in the catalog honours backpressure: once `ctx.emit` returned false it sends nothing
 * more until a `ctx.writable()` it asked for resolved, and it goes on after that. Each source is
 * started here against a flow that saturates (test/support/backpressure.ts): in the harness, or in a
 * real engine against an in-process broker. A source whose server is too slow to start here is named
 * with the test beside it that checks the same. A new source with neither fails this test.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { isSource, VirtualClock, type NodeDefinition } from "../runtime/sdk/index.ts";
import { HTTP_INGRESS, type IngressHandler, type IngressReply } from "../runtime/sdk/http-ingress.ts";
import { provide, services } from "../runtime/sdk/services.ts";
import { harness } from "../runtime/sdk/testing.ts";
import { startAedes, type AedesBroker } from "./support/aedes.ts";
import { backpressureProbe, type BackpressureProbe } from "./support/backpressure.ts";
import { flow, flowEngine } from "./support/mqtt-flow.ts";
import { until } from "./support/wait.ts";

const ROOT = resolve(import.meta.dirname, "..");
const catalog = await loadCatalog();
const sources = [...catalog.values()].filter(isSource).map((d) => d.type).sort();

/**
 * Sources whose server takes seconds to start (node-opcua builds its address space and certificates),
 * each with the test beside it that saturates a real flow and checks the same.
 */
const COVERED_ELSEWHERE: Readonly<Record<string, { readonly file: string; readonly test: string }>> = {
  "opcua-in": { file: "nodes/sources/opcua-in/backpressure.test.ts", test: "keeps only the newest value per item while the flow is saturated" },
};

/** A started source: `more()` hands it more to send and resolves once it had the chance to send it. */
interface Running {
  more(): Promise<void>;
  stop(): Promise<void>;
}

interface Scenario {
  readonly type: string;
  readonly name: string;
  /** Set while a known bug keeps the source from passing: the test runs and reports, without failing the suite. */
  readonly todo?: string;
  /** Starts the probe's definition and makes it emit once. */
  start(probe: BackpressureProbe<NodeDefinition>): Promise<Running>;
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const dir = mkdtempSync(join(tmpdir(), "aiotflow-sources-backpressure-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 1);

let broker: AedesBroker;
let publisher: MqttClient;
before(async () => {
  broker = await startAedes();
  publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
});
after(async () => {
  await publisher.endAsync();
  await broker.close();
});

/** A node started in the harness on a virtual clock. */
async function inHarness(probe: BackpressureProbe<NodeDefinition>, config: Record<string, unknown>, options: Parameters<typeof harness>[2] = {}) {
  const clock = new VirtualClock(T0);
  const h = harness(probe.definition, config, { clock, ...options });
  await h.node.start?.();
  return { h, clock };
}

/** A node subscribed to `config.topic` (a plain filter) on the in-process broker, in a real engine; `payload(n)` is what is published. */
async function overMqtt(probe: BackpressureProbe<NodeDefinition>, type: string, config: { topic: string } & Record<string, unknown>, topic: string, payload: (n: number) => string): Promise<Running> {
  const t = await flowEngine([probe.definition]);
  const subscribed = broker.subscriptions.next(config.topic);
  await t.engine.deploy(flow(`bp-${type}`, { broker: { type: "mqtt-broker", config: { url: broker.url } } },
    [{ id: "in", type, config: { connection: "broker", ...config } }, { id: "got", type: "test-sink" }], [["in", "got"]]));
  await subscribed;
  let n = 0;
  const publish = async () => void (await publisher.publishAsync(topic, payload(++n), { qos: 1 }));
  await publish();
  return {
    async more() {
      await publish();
      await publish();
      // A saturated node waits on writable() at its gate, which stops the client reading the socket: the broker queues.
      await until(() => probe.waits > 0, "the node waiting at its gate");
      await turns();
    },
    stop: () => t.close(),
  };
}

const SCENARIOS: readonly Scenario[] = [
  {
    type: "simulated-sensor", name: "as fast as the flow accepts (intervalMs 0)",
    async start(probe) {
      const { h } = await inHarness(probe, { devices: ["pump-1"], intervalMs: 0, count: 100_000 });
      return { more: () => turns(), stop: async () => void (await h.node.stop?.()) };
    },
  },
  {
    type: "simulated-sensor", name: "on its interval (intervalMs 1000)",
    async start(probe) {
      const { h, clock } = await inHarness(probe, { devices: ["pump-1"], intervalMs: 1000 });
      return { more: async () => void clock.advance(5000), stop: async () => void (await h.node.stop?.()) };
    },
  },
  {
    type: "replay", name: "a file at full speed (speed 0)",
    async start(probe) {
      const file = join(dir, "rows.jsonl");
      writeFileSync(file, Array.from({ length: 500 }, (_, i) => JSON.stringify({ ts: T0 + i * 1000, vibration: 2 + i / 1000 })).join("\n"));
      const { h } = await inHarness(probe, { file, speed: 0, timestampField: "ts" });
      await until(() => probe.emitted > 0, "the first row");
      return { more: () => turns(), stop: async () => void (await h.node.stop?.()) };
    },
  },
  {
    type: "replay", name: "a file at its recorded pace (speed 1)",
    async start(probe) {
      const file = join(dir, "paced.jsonl");
      writeFileSync(file, Array.from({ length: 500 }, (_, i) => JSON.stringify({ ts: T0 + i * 1000, vibration: 2 + i / 1000 })).join("\n"));
      const { h, clock } = await inHarness(probe, { file, speed: 1, timestampField: "ts" });
      await until(() => probe.emitted > 0, "the first row");
      return {
        async more() {
          for (let i = 0; i < 5; i++) {
            clock.advance(1000);
            await turns();
          }
        },
        stop: async () => void (await h.node.stop?.()),
      };
    },
  },
  {
    type: "http-in", name: "one reading per request",
    async start(probe) {
      let handler: IngressHandler | undefined;
      const ingress = { register: (_flow: string, _node: string, handle: IngressHandler) => ((handler = handle), { path: "/api/hooks/test-flow/under-test", close: () => (handler = undefined) }) };
      const { h } = await inHarness(probe, { token: { $secret: "hook" } }, { secrets: { hook: "t0ken" }, services: services(provide(HTTP_INGRESS, ingress)) });
      const replies: IngressReply[] = [];
      const post = () => void replies.push(handler!({ headers: { authorization: "Bearer t0ken" }, body: { vibration: 2.5 } }));
      post();
      return {
        async more() {
          post();
          await turns();
        },
        stop: async () => void (await h.node.stop?.()),
      };
    },
  },
  {
    type: "mqtt-in", name: "QoS 1 packets from a broker",
    // on-arrival: with when-safe, acknowledgements wait on writable() too, which would blur what the gate does.
    start: (probe) => overMqtt(probe, "mqtt-in", { topic: "bp/mqtt/+", format: "number", field: "vibration", qos: 1, acknowledge: "on-arrival" }, "bp/mqtt/pump-1", (n) => String(n)),
  },
  {
    type: "lorawan-in", name: "QoS 1 uplinks from a network server's broker",
    start: (probe) => overMqtt(probe, "lorawan-in", { topic: "v3/+/devices/+/up", qos: 1 }, "v3/plant/devices/pump-7/up", (n) => JSON.stringify({
      end_device_ids: { device_id: "pump-7", application_ids: { application_id: "plant" } },
      received_at: new Date(T0 + n * 1000).toISOString(),
      uplink_message: { f_port: 1, f_cnt: n, frm_payload: "AQ==", decoded_payload: { level: n } },
    })),
  },
];

describe("every source honours backpressure", () => {
  it("is started here or named with the test that checks it, for every source in the catalog", () => {
    const covered = new Set([...SCENARIOS.map((s) => s.type), ...Object.keys(COVERED_ELSEWHERE)]);
    const missing = sources.filter((type) => !covered.has(type));
    assert.deepEqual(missing, [], `add a scenario to SCENARIOS for ${missing.join(", ")} (or, when its server is slow to start, a backpressure test beside it named in COVERED_ELSEWHERE)`);
    const notSources = [...covered].filter((type) => !sources.includes(type));
    assert.deepEqual(notSources, [], "entries for types that are not sources (anymore)");
  });

  for (const [type, { file, test }] of Object.entries(COVERED_ELSEWHERE)) {
    it(`${type}: ${file} has the test "${test}"`, () => {
      const text = readFileSync(join(ROOT, file), "utf8");
      assert.ok(text.includes(`it("${test}`), `${file} has no test named "${test}..."`);
      assert.match(text, /backpressureProbe\(/, `${file} checks the node with the backpressure probe`);
    });
  }

  for (const scenario of SCENARIOS) {
    it(`${scenario.type}, ${scenario.name}: sends nothing while the flow is saturated, and goes on once it drains`, { todo: scenario.todo }, async () => {
      const probe = backpressureProbe(catalog.get(scenario.type)!);
      probe.saturate();
      const running = await scenario.start(probe);
      try {
        await until(() => probe.refused > 0, "an emit the saturated flow refused");
        const sentThen = probe.emitted;
        await running.more();
        assert.equal(probe.violations, 0, `${probe.violations} message(s) sent after the flow said it was saturated`);
        assert.equal(probe.emitted, sentThen, "nothing sent while saturated");
        probe.drain();
        await until(async () => (await running.more(), probe.emitted > sentThen), "sending again once the flow drained");
        assert.equal(probe.violations, 0);
      } finally {
        probe.drain();
        await running.stop();
      }
    });
  }
});
