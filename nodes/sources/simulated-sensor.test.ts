import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import simulatedSensor from "./simulated-sensor.ts";

type Payload = Record<string, number>;
const T0 = Date.UTC(2026, 0, 1);

/** Starts a sensor in interval mode and runs the virtual clock for `ms`. */
function run(config: Record<string, unknown>, ms: number) {
  const h = harness(simulatedSensor, config);
  void h.node.start?.();
  h.clock.advance(ms);
  return h;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function untilIdle(h: { statuses: { state: string }[] }): Promise<void> {
  for (let turns = 0; h.statuses.at(-1)?.state !== "idle"; turns++) {
    assert.ok(turns < 1_000, "the source never finished");
    await turn();
  }
}

const payloads = (messages: Message[]) => messages.map((m) => m.payload as Payload);
const byTs = (messages: Message[]) => new Map(messages.map((m) => [m.ts, m.payload as Payload]));

describe("simulated-sensor", () => {
  for (const example of simulatedSensor.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(simulatedSensor, example.config)));
  }

  it("emits one reading per device per interval, stamped with start time + i·interval", () => {
    const h = run({ devices: ["pump-1", "pump-2"], intervalMs: 1000 }, 2000);
    assert.deepEqual(
      h.out("out").map((m) => [m.topic, m.key, m.ts - T0]),
      [["sensors/pump-1", "pump-1", 0], ["sensors/pump-2", "pump-2", 0], ["sensors/pump-1", "pump-1", 1000],
       ["sensors/pump-2", "pump-2", 1000], ["sensors/pump-1", "pump-1", 2000], ["sensors/pump-2", "pump-2", 2000]],
    );
    const first = h.out("out")[0]!;
    assert.deepEqual(Object.keys(first.payload as Payload), ["vibration", "temperature", "current"]);
    assert.deepEqual(first.meta, { source: "under-test", units: { vibration: "mm/s", temperature: "degC", current: "A" } });
    assert.equal(h.out("out")[1]!.meta, first.meta, "the meta object is shared, not rebuilt per message");
    assert.deepEqual(h.statuses, [{ state: "running" }]);
  });

  it("gives the same stream for the same seed and another stream for another seed", () => {
    const config = { devices: ["a", "b"], count: 50 };
    const once = payloads(run(config, 60_000).out("out"));
    assert.deepEqual(payloads(run(config, 60_000).out("out")), once);
    assert.notDeepEqual(payloads(run({ ...config, seed: 2 }, 60_000).out("out")), once);
    assert.notDeepEqual(once[0], once[1], "devices get streams of their own");
  });

  it("keeps every signal near its healthy level", () => {
    const readings = payloads(run({ intervalMs: 1000, count: 1200 }, 1_200_000).out("out"));
    const mean = (signal: string) => readings.reduce((sum, p) => sum + p[signal]!, 0) / readings.length;
    for (const [signal, level, tolerance] of [["vibration", 2.2, 0.05], ["temperature", 55, 0.5], ["current", 12, 0.1]] as const) {
      assert.ok(Math.abs(mean(signal) - level) < tolerance, `${signal} mean ${mean(signal)}`);
    }
  });

  it("emits only the chosen signals", () => {
    const h = run({ signals: ["current"], count: 1 }, 0);
    assert.deepEqual(Object.keys(h.payloads("out")[0] as Payload), ["current"]);
    assert.deepEqual(h.out("out")[0]!.meta, { source: "under-test", units: { current: "A" } });
  });

  describe("faults, against the same seed without faults", () => {
    const clean = byTs(run({ count: 600 }, 600_000).out("out"));

    it("spikes multiply one signal by spikeFactor", () => {
      const faulty = payloads(run({ count: 600, faults: { spikeRate: 0.1, spikeFactor: 4 } }, 600_000).out("out"));
      const cleanList = [...clean.values()];
      let spikes = 0;
      faulty.forEach((p, i) => {
        const changed = Object.keys(p).filter((s) => p[s] !== cleanList[i]![s]);
        assert.ok(changed.length <= 1, `sample ${i} changed ${changed.join(", ")}`);
        if (changed.length === 0) return;
        assert.equal(p[changed[0]!], cleanList[i]![changed[0]!]! * 4);
        spikes++;
      });
      assert.ok(spikes > 30 && spikes < 90, `${spikes} spikes in 600 samples at rate 0.1`);
    });

    it("drift raises vibration and temperature by driftPerHour per hour of event time", () => {
      const h = run({ intervalMs: 60_000, count: 121, faults: { driftPerHour: 0.1 } }, 7_200_000);
      const reference = byTs(run({ intervalMs: 60_000, count: 121 }, 7_200_000).out("out"));
      const last = h.out("out").at(-1)!;
      const before = reference.get(last.ts)!;
      const after = last.payload as Payload;
      assert.equal(last.ts - T0, 7_200_000);
      assert.ok(Math.abs(after["vibration"]! / before["vibration"]! - 1.2) < 1e-12);
      assert.ok(Math.abs(after["temperature"]! / before["temperature"]! - 1.2) < 1e-12);
      assert.equal(after["current"], before["current"]);
    });

    it("dropouts skip samples and leave the others untouched", () => {
      const faulty = run({ count: 600, faults: { dropoutRate: 0.2 } }, 600_000).out("out");
      assert.ok(faulty.length > 420 && faulty.length < 540, `${faulty.length} of 600 samples kept`);
      for (const m of faulty) assert.deepEqual(m.payload, clean.get(m.ts));
    });

    it("a stuck run repeats one payload exactly for stuckSamples samples", () => {
      const faulty = payloads(run({ count: 600, faults: { stuckRate: 0.02, stuckSamples: 5 } }, 600_000).out("out"));
      const same = (a: Payload, b: Payload) => Object.keys(a).every((s) => a[s] === b[s]);
      const runs: number[] = [];
      let length = 1;
      for (let i = 1; i < faulty.length; i++) {
        if (same(faulty[i]!, faulty[i - 1]!)) {
          length++;
          continue;
        }
        if (length > 1) runs.push(length);
        length = 1;
      }
      assert.ok(runs.length >= 3, `${runs.length} stuck runs`);
      assert.ok(runs.every((l) => l === 5), `run lengths ${runs.join(", ")}`);
      const cleanList = [...clean.values()];
      assert.ok(cleanList.every((p, i) => i === 0 || p["vibration"] !== cleanList[i - 1]!["vibration"]), "the clean signal never repeats");
    });

    it("only the devices listed under faults.devices get faults", () => {
      const h = run({ devices: ["pump-1", "pump-2"], count: 100, faults: { dropoutRate: 0.5, devices: ["pump-2"] } }, 100_000);
      const count = (key: string) => h.out("out").filter((m) => m.key === key).length;
      assert.equal(count("pump-1"), 100);
      assert.ok(count("pump-2") < 80);
    });
  });

  it("stops after `count` samples per device and says so", () => {
    const h = run({ devices: ["a", "b"], count: 3 }, 10_000);
    assert.equal(h.out("out").length, 6);
    assert.deepEqual(h.statuses.at(-1), { state: "idle", text: "done after 6 samples" });
    assert.equal(h.clock.pending, 0);
  });

  it("stops emitting when stop() is called", async () => {
    const h = run({ intervalMs: 500 }, 2000);
    assert.equal(h.out("out").length, 5);
    await h.node.stop?.();
    h.clock.advance(10_000);
    assert.equal(h.out("out").length, 5);
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.statuses.at(-1), { state: "idle", text: "stopped after 5 samples" });
  });

  describe("as fast as possible (intervalMs 0)", () => {
    it("emits `count` samples 1 ms of event time apart, without touching the clock", async () => {
      const h = harness(simulatedSensor, { intervalMs: 0, count: 2000 });
      void h.node.start?.();
      await untilIdle(h);
      const ts = h.out("out").map((m) => m.ts - T0);
      assert.equal(ts.length, 2000);
      assert.ok(ts.every((t, i) => t === i));
      assert.deepEqual(h.statuses.at(-1), { state: "idle", text: "done after 2000 samples" });
    });

    for (const { saturated, expected } of [{ saturated: false, expected: 2 * 512 }, { saturated: true, expected: 2 }]) {
      it(`emits ${expected} readings before yielding when the flow ${saturated ? "is" : "is not"} saturated`, async () => {
        const h = harness(simulatedSensor, { devices: ["a", "b"], intervalMs: 0 }, { saturated: () => saturated });
        void h.node.start?.();
        assert.equal(h.out("out").length, expected);
        await h.node.stop?.();
      });
    }

    it("emits nothing more once stop() has resolved", async () => {
      const h = harness(simulatedSensor, { intervalMs: 0 });
      void h.node.start?.();
      for (let i = 0; i < 5; i++) await turn();
      await h.node.stop?.();
      const emitted = h.out("out").length;
      assert.ok(emitted >= 512);
      for (let i = 0; i < 5; i++) await turn();
      assert.equal(h.out("out").length, emitted);
    });
  });

  const badConfigs: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    { name: "no devices", config: { devices: [] }, path: "config.devices" },
    { name: "an unknown signal", config: { signals: ["vibration", "pressure"] }, path: "config.signals[1]" },
    { name: "a negative interval", config: { intervalMs: -1 }, path: "config.intervalMs" },
    { name: "a negative spike rate", config: { faults: { spikeRate: -0.1 } }, path: "config.faults.spikeRate" },
    { name: "a dropout rate above 1", config: { faults: { dropoutRate: 1.5 } }, path: "config.faults.dropoutRate" },
    { name: "faults for an unknown device", config: { devices: ["a"], faults: { devices: ["a", "b"] } }, path: "config.faults.devices[1]" },
    { name: "a misspelt field", config: { interval: 10 }, path: "config" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(simulatedSensor, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "simulated-sensor" } });
    });
  }
});
