// The soak: does memory stay flat in a long run? publisher -> Mosquitto -> mqtt-in (QoS 1) -> map ->
// mqtt-out (QoS 1) -> Mosquitto -> subscriber at a steady rate, aiotflow (compiled) and Node-RED 4.1
// (embedded) as the middle, each in a fresh process (with --expose-gc) against a fresh Mosquitto. The
// system's heap is sampled after a forced full GC every interval; the slope of those samples (least
// squares, MB/min, the first interval left out as warm-up) is what a leak shows as.
//
//   node --import tsx bench/soak/run.ts [--minutes 10] [--rate 1000] [--quick] [--no-build]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { startMosquitto, type Mosquitto } from "../../test/support/mosquitto.ts";
import { buildCompiled, repoRoot, writeResultsAndFinish } from "../children.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "1000" },
    quick: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
  },
});
const quick = values.quick;
const MINUTES = quick ? 2 : Number(values.minutes);
const RATE = Number(values.rate);
const SAMPLE_EVERY_S = quick ? 15 : 60;
type System = "aiotflow" | "node-red";
const compiled = join(repoRoot, "dist", "bench", "soak", "aiotflow.js");

/** A system process speaking the line protocol of aiotflow.ts / node-red.cjs. */
class SystemProcess {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private stderr = "";
  readonly proc: ChildProcess;
  constructor(system: System, broker: Mosquitto) {
    const argv = system === "aiotflow"
      ? ["--expose-gc", ...(existsSync(compiled) ? [compiled] : ["--import", "tsx", join(repoRoot, "bench", "soak", "aiotflow.ts")]), "--url", broker.url]
      : ["--expose-gc", join(repoRoot, "bench", "soak", "node-red.cjs"), "--port", String(broker.port)];
    this.proc = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(line);
      else this.lines.push(line);
    });
    this.proc.stderr!.on("data", (chunk: Buffer) => void (this.stderr = (this.stderr + chunk.toString()).slice(-2_000)));
  }
  next(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the system: ${this.stderr}`)), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      };
    });
  }
  ask(command: string): Promise<Record<string, unknown>> {
    this.proc.stdin!.write(`${command}\n`);
    return this.next();
  }
}

interface Sample {
  readonly minute: number;
  readonly heap_mb: number;
  readonly rss_mb: number;
}

/** Least-squares slope of heap MB over minutes. */
function slope(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((s, p) => s + p.minute, 0) / n;
  const my = samples.reduce((s, p) => s + p.heap_mb, 0) / n;
  const sxy = samples.reduce((s, p) => s + (p.minute - mx) * (p.heap_mb - my), 0);
  const sxx = samples.reduce((s, p) => s + (p.minute - mx) ** 2, 0);
  return sxy / sxx;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(broker: Mosquitto): Promise<{ publisher: MqttClient; subscriber: MqttClient; seen: Uint8Array; received: { count: number; probes: number } }> {
  const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const seen = new Uint8Array(RATE * MINUTES * 60 + 1);
  const received = { count: 0, probes: 0 };
  subscriber.on("message", (_topic, body) => {
    const i = (JSON.parse(body.toString()) as { i: number }).i;
    if (i < 0) return void received.probes++;
    received.count++;
    seen[i] = 1;
  });
  await subscriber.subscribeAsync("soak/out/#", { qos: 1 });
  return { publisher, subscriber, seen, received };
}

async function soak(system: System): Promise<Record<string, unknown>> {
  const broker = await startMosquitto();
  const proc = new SystemProcess(system, broker);
  try {
    const ready = await proc.next(120_000);
    const { publisher, subscriber, seen, received } = await connect(broker);
    // Live once a probe (i = -1) makes it through.
    for (let tries = 0; received.probes === 0; tries++) {
      if (tries > 200) throw new Error(`${system}: no probe came through`);
      publisher.publish("soak/in/pump-0", JSON.stringify({ i: -1, v: 0 }), { qos: 1 });
      await sleep(50);
    }
    const total = RATE * MINUTES * 60;
    const samples: Sample[] = [];
    const started = performance.now();
    let nextSample = SAMPLE_EVERY_S;
    let acked = 0;
    for (let i = 0; i < total; ) {
      const elapsedS = (performance.now() - started) / 1000;
      const due = Math.min(total, Math.floor(elapsedS * RATE));
      for (; i < due; i++) publisher.publish(`soak/in/pump-${i % 10}`, JSON.stringify({ i, v: i % 100 }), { qos: 1 }, (error) => void (error || acked++));
      if (elapsedS >= nextSample) {
        const s = await proc.ask("sample");
        samples.push({ minute: elapsedS / 60, heap_mb: s["heap_mb"] as number, rss_mb: s["rss_mb"] as number });
        process.stdout.write(`  ${system} ${(elapsedS / 60).toFixed(2)} min: heap ${(s["heap_mb"] as number).toFixed(1)} MB, rss ${(s["rss_mb"] as number).toFixed(0)} MB, ${received.count} received\n`);
        nextSample += SAMPLE_EVERY_S;
      }
      await sleep(1);
    }
    const sentAt = performance.now();
    while (received.count < total && performance.now() - sentAt < 10_000) await sleep(50);
    const last = await proc.ask("sample");
    samples.push({ minute: (performance.now() - started) / 60_000, heap_mb: last["heap_mb"] as number, rss_mb: last["rss_mb"] as number });
    await publisher.endAsync();
    await subscriber.endAsync();
    const exit = await proc.ask("exit");
    let unique = 0;
    for (let i = 0; i < total; i++) unique += seen[i]!;
    const measured = samples.slice(1); // the first interval warms up (JIT, buffers, broker sessions)
    return {
      system, ...(ready["version"] ? { version: ready["version"] } : {}),
      heap_slope_mb_per_min: slope(measured), heap_first_mb: measured[0]?.heap_mb, heap_last_mb: measured.at(-1)?.heap_mb,
      rss_last_mb: measured.at(-1)?.rss_mb, peak_rss_mb: exit["peak_rss_mb"], published: total, broker_acked: acked, received_unique: unique,
      lost: total - unique, duplicates: received.count - unique, samples, ...(exit["metrics"] ? { metrics: exit["metrics"] } : {}),
    };
  } finally {
    proc.proc.kill();
    await broker.stop();
  }
}

const fmt = (n: unknown, digits = 2) => (typeof n === "number" && Number.isFinite(n) ? n.toFixed(digits) : "-");

async function main(): Promise<void> {
  if (!values["no-build"]) {
    try {
      buildCompiled();
    } catch (error) {
      // Another part of the tree may not compile right now; tsc still emits, so use what it wrote.
      console.log(`build: ${error instanceof Error ? error.message : String(error)}; ${existsSync(compiled) ? "using the emitted dist/" : "running from source (tsx)"}`);
      if (!existsSync(compiled)) spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "ignore" });
    }
  }
  console.log(`soak: ${MINUTES} min per system at ${RATE} msgs/s, QoS 1 in and out through Mosquitto, heap after a forced GC every ${SAMPLE_EVERY_S} s; node ${process.version}, ${os.cpus().length} CPUs`);
  const systems: Partial<Record<System, Record<string, unknown>>> = {};
  const failures: string[] = [];
  for (const system of ["aiotflow", "node-red"] as const) {
    try {
      const r = await soak(system);
      systems[system] = r;
      console.log(`  ${system.padEnd(9)} heap slope ${fmt(r["heap_slope_mb_per_min"], 3)} MB/min (${fmt(r["heap_first_mb"], 1)} -> ${fmt(r["heap_last_mb"], 1)} MB), peak RSS ${fmt(r["peak_rss_mb"], 0)} MB, lost ${r["lost"]}, duplicates ${r["duplicates"]}`);
    } catch (error) {
      failures.push(`${system}: ${error instanceof Error ? error.message : String(error)}`);
      console.log(`  ${system} FAILED`);
    }
  }
  const figure = (system: System, f: string) => (typeof systems[system]?.[f] === "number" ? (systems[system]![f] as number) : Number.NaN);
  const output = {
    name: "soak", date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: 1, quick, minutes: MINUTES, rate_msgs_per_s: RATE, sample_every_s: SAMPLE_EVERY_S,
    scenario: "publisher -> Mosquitto 2.0 -> MQTT in (QoS 1) -> map -> MQTT out (QoS 1) -> subscriber; aiotflow with a data directory and a persistent session, Node-RED with its defaults",
    method: "heap = process.memoryUsage().heapUsed after global.gc() in the system's process; slope = least squares over the samples after the first interval",
    systems,
    // Slopes near zero make a meaningless ratio: they are compared per system; the ratios are of sizes.
    ratios: { heap: figure("aiotflow", "heap_last_mb") / figure("node-red", "heap_last_mb"), rss: figure("aiotflow", "peak_rss_mb") / figure("node-red", "peak_rss_mb") },
  };
  writeResultsAndFinish("soak", output, { systems }, failures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
