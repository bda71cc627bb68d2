import { Config, defineNode, errorMessage, Type, type TimerHandle } from "../../runtime/sdk/index.ts";
import { SeededRandom, streamSeed } from "../../runtime/sdk/seeded-random.ts";

const SIGNALS = ["vibration", "temperature", "current"] as const;
type Signal = (typeof SIGNALS)[number];

/** A healthy machine: base + amplitude * sin(2πt / period + phase) + N(0, noise²). */
const MODELS: Record<Signal, { base: number; amplitude: number; periodMs: number; noise: number; unit: string; drifts: boolean }> = {
  vibration: { base: 2.2, amplitude: 0.3, periodMs: 60_000, noise: 0.1, unit: "mm/s", drifts: true },
  temperature: { base: 55, amplitude: 3, periodMs: 600_000, noise: 0.2, unit: "degC", drifts: true },
  current: { base: 12, amplitude: 0.5, periodMs: 120_000, noise: 0.15, unit: "A", drifts: false },
};

/** Samples per device emitted between two yields to the event loop in fast mode. */
const BATCH = 512;
const HOUR_MS = 3_600_000;

interface Device {
  readonly key: string;
  readonly topic: string;
  readonly phase: number[];
  readonly noise: SeededRandom;
  /** A separate stream, so the same seed gives the same clean signal with or without faults. */
  readonly faults: SeededRandom | undefined;
  stuckLeft: number;
  stuckPayload: Record<string, number> | undefined;
}

const rate = (description: string) => Type.Number({ minimum: 0, maximum: 1, default: 0, description });

export default defineNode({
  type: "simulated-sensor",
  version: 1,
  family: "sources",
  title: "Simulated sensor",
  summary: "Seeded, reproducible vibration, temperature and current readings of simulated machines, with optional faults.",
  docs: `
Emits readings of simulated machines: the same config always gives the same stream.

Signals: vibration (mm/s RMS) ≈ 2.2 + 0.3·sin(2πt/60 s) + N(0, 0.1); temperature (degC) ≈ 55 +
3·sin(2πt/600 s) + N(0, 0.2); current (A) ≈ 12 + 0.5·sin(2πt/120 s) + N(0, 0.15).

Every \`intervalMs\` one sample per device (while the flow is saturated, a tick's samples are dropped
and counted as \`dropped_backpressure\`); event time is the start time plus i·intervalMs. With
\`intervalMs: 0\` it emits as fast as the flow accepts (event time advances 1 ms per sample) and
pauses whenever the flow is saturated. \`count\` samples per device, then it stops (0: never).

Faults (for the devices in \`faults.devices\`, all by default): spikes multiply one random signal by
\`spikeFactor\`; drift raises vibration and temperature by \`driftPerHour\` (a fraction) per hour of
event time; dropouts skip a sample; a stuck run repeats one payload exactly for \`stuckSamples\` samples.

Out: \`{ topic: "sensors/pump-1", key: "pump-1", ts, payload: { vibration: 2.31, temperature: 55.9, current: 12.1 },
meta: { source: <node id>, units: { vibration: "mm/s", temperature: "degC", current: "A" } } }\`. Example: \`{ "devices": ["pump-1", "pump-2"], "faults": { "spikeRate": 0.01, "devices": ["pump-2"] } }\``,
  config: Config({
    devices: Type.Array(Type.String({ minLength: 1, description: "A device id: the message key and last topic level." }),
      { minItems: 1, uniqueItems: true, default: ["pump-1"], description: "Simulated devices." }),
    signals: Type.Array(Type.Enum(SIGNALS, { description: "A signal." }),
      { minItems: 1, uniqueItems: true, default: [...SIGNALS], description: "Signals in each payload." }),
    intervalMs: Type.Integer({ minimum: 0, default: 1000, unit: "ms", description: "Time between samples; 0 emits as fast as the flow accepts." }),
    count: Type.Integer({ minimum: 0, default: 0, description: "Samples per device before stopping (dropped ones included); 0 never stops." }),
    seed: Type.Integer({ default: 1, description: "Random seed; the same seed gives the same stream." }),
    topicPrefix: Type.String({ default: "sensors", description: "Topics are `<topicPrefix>/<device>`." }),
    faults: Type.Object(
      {
        spikeRate: rate("Probability per sample that one signal spikes."),
        spikeFactor: Type.Number({ minimum: 0, default: 4, description: "A spike multiplies the value by this." }),
        driftPerHour: Type.Number({ minimum: 0, default: 0, unit: "1/h", description: "Fractional rise of vibration and temperature per hour of event time." }),
        dropoutRate: rate("Probability per sample that it is skipped."),
        stuckRate: rate("Probability per sample that a stuck run begins."),
        stuckSamples: Type.Integer({ minimum: 1, default: 10, description: "Samples in a stuck run; the payload repeats exactly." }),
        devices: Type.Optional(Type.Array(Type.String({ minLength: 1, description: "A device id." }),
          { uniqueItems: true, description: "Devices that get faults; all when omitted." })),
      },
      { additionalProperties: false, default: {}, description: "Fault injection; everything is off by default." },
    ),
  }),
  inputs: {},
  outputs: { out: { kind: "reading", description: "One reading per device per sample." } },
  examples: [
    { title: "One pump, once a second", config: { devices: ["pump-1"] } },
    { title: "A faulty fleet", description: "pump-2 spikes, drifts, drops samples and sticks now and then.", config: {
      devices: ["pump-1", "pump-2"],
      faults: { spikeRate: 0.01, spikeFactor: 4, driftPerHour: 0.05, dropoutRate: 0.02, stuckRate: 0.005, stuckSamples: 20, devices: ["pump-2"] },
    } },
    { title: "Benchmark load", config: { devices: ["pump-1", "pump-2", "pump-3"], intervalMs: 0, count: 1_000_000 } },
  ],
  check(config) {
    const known = new Set(config.devices);
    return (config.faults.devices ?? []).flatMap((device, i) =>
      known.has(device) ? [] : [{ path: `faults.devices[${i}]`, message: `"${device}" is not one of the simulated devices` }],
    );
  },
  fieldsOut: (config) => config.signals,
  create(config, ctx) {
    const { faults, intervalMs, count } = config;
    const names: readonly string[] = config.signals;
    const models = config.signals.map((s) => MODELS[s]);
    const omega = models.map((m) => (2 * Math.PI) / m.periodMs);
    const meta = Object.freeze({ source: ctx.nodeId, units: Object.freeze(Object.fromEntries(config.signals.map((s) => [s, MODELS[s].unit]))) });
    const anyFault = faults.spikeRate > 0 || faults.driftPerHour > 0 || faults.dropoutRate > 0 || faults.stuckRate > 0;
    const faulty = new Set(faults.devices ?? config.devices);
    const devices: Device[] = config.devices.map((key, index) => {
      const noise = new SeededRandom(streamSeed(config.seed, index));
      const faultStream = anyFault && faulty.has(key) ? new SeededRandom(streamSeed(config.seed, index) ^ 0x5bd1e995) : undefined;
      const topic = config.topicPrefix ? `${config.topicPrefix}/${key}` : key;
      const phase = models.map(() => 2 * Math.PI * noise.next());
      return { key, topic, phase, noise, faults: faultStream, stuckLeft: 0, stuckPayload: undefined };
    });

    function sample(d: Device, elapsedMs: number): Record<string, number> | undefined {
      const payload: Record<string, number> = {};
      for (let s = 0; s < names.length; s++) {
        const m = models[s]!;
        payload[names[s]!] = m.base + m.amplitude * Math.sin(omega[s]! * elapsedMs + d.phase[s]!) + m.noise * d.noise.gaussian();
      }
      const f = d.faults;
      if (f === undefined) return payload;
      // Four draws whatever happens, so one fault's rate never shifts another fault's sequence.
      const dropped = f.next() < faults.dropoutRate;
      const stuckBegins = f.next() < faults.stuckRate;
      const spiked = f.next() < faults.spikeRate;
      const spikeAt = Math.floor(f.next() * names.length);
      if (dropped) return undefined;
      if (d.stuckLeft > 0) {
        d.stuckLeft--;
        return d.stuckPayload;
      }
      if (faults.driftPerHour > 0) {
        const factor = 1 + (faults.driftPerHour * elapsedMs) / HOUR_MS;
        for (let s = 0; s < names.length; s++) if (models[s]!.drifts) payload[names[s]!]! *= factor;
      }
      if (spiked) payload[names[spikeAt]!]! *= faults.spikeFactor;
      if (stuckBegins && faults.stuckSamples > 1) {
        d.stuckPayload = payload;
        d.stuckLeft = faults.stuckSamples - 1;
      }
      return payload;
    }

    const stepMs = intervalMs > 0 ? intervalMs : 1;
    let startTs = 0;
    let i = 0;
    let emitted = 0;
    let stopped = false;
    let timer: TimerHandle | undefined;
    let loop: Promise<void> | undefined;
    const finished = () => count > 0 && i >= count;

    /** Emits sample i of every device; false when the flow asked to slow down. */
    function tick(): boolean {
      const elapsed = i++ * stepMs;
      let writable = true;
      for (const d of devices) {
        const payload = sample(d, elapsed);
        if (payload === undefined) continue;
        emitted++;
        if (!ctx.emit("out", { topic: d.topic, key: d.key, ts: startTs + elapsed, payload, meta })) writable = false;
      }
      return writable;
    }

    function done(): void {
      timer?.cancel();
      ctx.status({ state: "idle", text: `done after ${emitted} samples` });
    }

    async function pump(): Promise<void> {
      while (!stopped && !finished()) {
        for (let b = 0; b < BATCH && !stopped && !finished(); b++) if (!tick()) await ctx.writable();
        await new Promise<void>((resolve) => setImmediate(resolve)); // yielding is not time: not the clock
      }
      if (!stopped) done();
    }

    return {
      start() {
        startTs = ctx.clock.now();
        ctx.status({ state: "running" });
        if (intervalMs === 0) {
          loop = pump().catch((error: unknown) => {
            ctx.log.error("simulation failed", { error: errorMessage(error) });
            ctx.status({ state: "error", text: errorMessage(error) });
          });
          return;
        }
        // A sensor keeps sampling while the flow is saturated: the samples of a tick that falls in
        // a pause are dropped and counted (event time still advances), never queued without bound.
        let paused = false;
        const sampleOrSkip = () => {
          if (paused) {
            i++;
            ctx.metrics.count("dropped_backpressure", devices.length);
          } else if (!tick()) {
            paused = true;
            void ctx.writable().then(() => (paused = false));
          }
        };
        sampleOrSkip();
        if (finished()) return done();
        timer = ctx.clock.setInterval(() => {
          sampleOrSkip();
          if (finished()) done();
        }, intervalMs);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        timer?.cancel();
        await loop;
        if (!finished()) ctx.status({ state: "idle", text: `stopped after ${emitted} samples` });
      },
    };
  },
});
