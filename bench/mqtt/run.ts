// The MQTT benchmark: publisher -> Mosquitto -> MQTT in -> parse -> map -> MQTT out -> subscriber, with
// aiotflow (compiled) and Node-RED 4.1 (embedded) as the middle, each in a fresh process against a fresh
// Mosquitto, systems alternating. The publisher and subscriber live here, so the system's own CPU is
// measured alone. Per system: max msgs/s at QoS 0, CPU per message, p50/p99 at 2,000 msgs/s, loss at QoS 1.
//
//   node --import tsx bench/mqtt/run.ts [--runs 3] [--n 100000] [--rate-s 5] [--qos1-n 20000] [--quick]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { startMosquitto, type Mosquitto } from "../../test/support/mosquitto.ts";
import { median, percentile } from "../chain/stats.ts";
import { buildCompiled, repoRoot, writeResultsAndFinish } from "../children.ts";
import { publishPacket, RawMqttClient } from "./raw-client.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    n: { type: "string", default: "100000" },
    "rate-s": { type: "string", default: "5" },
    "qos1-n": { type: "string", default: "20000" },
    quick: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
  },
});
const quick = values.quick;
const RUNS = quick ? 1 : Number(values.runs);
const N = quick ? 20_000 : Number(values.n);
const RATE = 2_000;
/** A rate both systems sustain, where CPU per message compares like for like (same batching by the broker). */
const COMMON_RATE = 10_000;
const RATE_S = quick ? 2 : Number(values["rate-s"]);
const QOS1_N = quick ? 5_000 : Number(values["qos1-n"]);
const TARGETS = { throughput: ">= 3x node-red", cpu_us_per_msg: "<= 1/3 of node-red", p99_at_2000: "< 1 ms", qos1_loss: "0" };

type System = "aiotflow" | "node-red";
// As PEER-BASELINE.md measured Node-RED: at max rate the system alone on CPU 1; broker, publisher and
// subscriber on CPU 0 (unpinned on 2 cores the drain rate is bimodal, decided by where the scheduler
// puts whom). Paced phases run unpinned: a broker sharing one core with the load tools waits for a
// time slice now and then, which put milliseconds into both systems' latency.
const PIN = !values["no-pin"] && spawnSync("taskset", ["-V"]).status === 0;
const pin = (pid: number, cpus: string) => PIN && spawnSync("taskset", ["-a", "-pc", cpus, String(pid)], { stdio: "ignore" });
const compiled = join(repoRoot, "dist", "bench", "mqtt", "aiotflow.js");

/** A system process with the line protocol of aiotflow.ts / node-red.cjs. */
class SystemProcess {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private stderr = "";
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    proc.stderr!.on("data", (chunk: Buffer) => void (this.stderr += chunk.toString()));
  }
  next(timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the system: ${this.stderr.slice(-1000)}`)), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      };
    });
  }
  async ask(command: string): Promise<Record<string, unknown>> {
    this.proc.stdin!.write(`${command}\n`);
    return this.next();
  }
}

function startSystem(system: System, broker: Mosquitto, qos: number): SystemProcess {
  const argv = system === "aiotflow"
    ? (existsSync(compiled) ? [compiled] : ["--import", "tsx", join(repoRoot, "bench", "mqtt", "aiotflow.ts")]).concat(["--url", broker.url, "--qos", String(qos)])
    : [join(repoRoot, "bench", "mqtt", "node-red.cjs"), "--port", String(broker.port), "--qos", String(qos)];
  const [command, args] = PIN ? ["taskset", ["-c", "1", process.execPath, ...argv]] : [process.execPath, argv];
  return new SystemProcess(spawn(command, args as string[], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] }));
}

interface Received {
  /** Messages numbered below this are warm-up: counted, their latency not recorded. */
  warmupBelow: number;
  received: number;
  readonly seen: Set<number>;
  latencies: number[];
  lastAt: number;
}

interface Load extends Received {
  readonly publisher: MqttClient;
  readonly subscriber: MqttClient;
}

interface RawLoad extends Received {
  readonly publisher: RawMqttClient;
  readonly subscriber: RawMqttClient;
}

/** QoS 0 load tools on the raw client: cheap enough per message not to be what is measured. */
async function connectRawLoad(broker: Mosquitto, filter = "bench/out/#"): Promise<RawLoad> {
  const publisher = await RawMqttClient.connect(broker.port, "bench-publisher");
  const subscriber = await RawMqttClient.connect(broker.port, "bench-subscriber");
  const load: RawLoad = { publisher, subscriber, warmupBelow: 0, received: 0, seen: new Set(), latencies: [], lastAt: 0 };
  subscriber.onPublish = (_topic, body) => {
    const now = performance.now();
    const msg = JSON.parse(body.toString()) as { i: number; t: number };
    load.received++;
    load.seen.add(msg.i);
    if (msg.i >= load.warmupBelow) load.latencies.push(now - msg.t);
    load.lastAt = now;
  };
  await subscriber.subscribe(filter);
  return load;
}

async function connectLoad(broker: Mosquitto, qos: 0 | 1): Promise<Load> {
  const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const load: Load = { publisher, subscriber, warmupBelow: 0, received: 0, seen: new Set(), latencies: [], lastAt: 0 };
  subscriber.on("message", (_topic, body) => {
    const now = performance.now();
    const msg = JSON.parse(body.toString()) as { i: number; t: number };
    load.received++;
    load.seen.add(msg.i);
    load.latencies.push(now - msg.t);
    load.lastAt = now;
  });
  await subscriber.subscribeAsync("bench/out/#", { qos });
  return load;
}

/** Waits until everything arrived or nothing arrived for `quietMs`. */
async function drained(load: Received, expected: number, quietMs = 2_000): Promise<void> {
  let last = load.received;
  let since = performance.now();
  while (load.seen.size < expected) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (load.received !== last) {
      last = load.received;
      since = performance.now();
    } else if (performance.now() - since > quietMs) return;
  }
}

const body = (i: number) => JSON.stringify({ i, v: i % 100, t: performance.now() });

/** User + system CPU time of another process in ms, from /proc (clock ticks of 1/100 s). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const ownCpuMs = () => {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
};

const packetOf = (i: number) => publishPacket(`bench/in/pump-${i % 10}`, body(i));

/** QoS 0 as fast as the socket takes it: 100 packets per write, waiting only when it is full. */
async function maxRate0(load: RawLoad, n: number): Promise<void> {
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 100);
    const packets: Buffer[] = [];
    for (; i < end; i++) packets.push(packetOf(i));
    const full = load.publisher.write(Buffer.concat(packets));
    if (full) await full;
    // Let the subscriber's arrivals be read while publishing, as separate processes would.
    if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** QoS 1 at max rate on mqtt.js, 1,000 awaiting PUBACK at most. */
async function maxRate1(load: Load, n: number): Promise<void> {
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 1000);
    const acks: Promise<unknown>[] = [];
    for (; i < end; i++) acks.push(load.publisher.publishAsync(`bench/in/pump-${i % 10}`, body(i), { qos: 1 }));
    await Promise.all(acks);
  }
}

/** A fixed rate in 1 ms slots, each slot's messages in one write. */
async function paced(load: RawLoad, rate: number, seconds: number, offset: number): Promise<number> {
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due > i) {
      const packets: Buffer[] = [];
      for (; i < due; i++) packets.push(packetOf(offset + i));
      load.publisher.write(Buffer.concat(packets));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return total;
}

/**
 * The harness alone at 2,000 msgs/s: publisher -> Mosquitto -> subscriber, no system in between (one
 * broker hop instead of two). What a system's end-to-end latency cannot go below on this machine.
 */
async function harnessFloor(): Promise<{ p50_ms: number; p99_ms: number; max_ms: number }> {
  const broker = await startMosquitto();
  try {
    const load = await connectRawLoad(broker, "bench/in/#");
    load.warmupBelow = RATE * RATE_S * 0.1;
    const sent = await paced(load, RATE, RATE_S, 0);
    await drained(load, sent, 1_000);
    await load.publisher.end();
    await load.subscriber.end();
    const sorted = Float64Array.from(load.latencies).sort();
    return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted[sorted.length - 1]! };
  } finally {
    await broker.stop();
  }
}

async function measure(system: System): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { system };
  // QoS 0: max rate, then 2,000 msgs/s.
  {
    const broker = await startMosquitto();
    pin(broker.pid, "0");
    pin(process.pid, "0");
    const proc = startSystem(system, broker, 0);
    try {
      const ready = await proc.next(60_000);
      if (ready["version"]) result["version"] = ready["version"];
      const load = await connectRawLoad(broker);
      const cpu0 = (await proc.ask("cpu"))["cpu_ms"] as number;
      const [broker0, tools0] = [processCpuMs(broker.pid), ownCpuMs()];
      const t0 = performance.now();
      await maxRate0(load, N);
      const [broker1, tools1, publishedAt] = [processCpuMs(broker.pid), ownCpuMs(), performance.now()];
      await drained(load, N);
      const cpu1 = (await proc.ask("cpu"))["cpu_ms"] as number;
      const elapsed = load.lastAt - t0;
      Object.assign(result, {
        qos0_published: N, qos0_received: load.seen.size, qos0_loss: N - load.seen.size,
        msgs_per_s: (load.seen.size / elapsed) * 1000, cpu_us_per_msg: ((cpu1 - cpu0) * 1000) / Math.max(1, load.seen.size),
        // While publishing: how busy CPU 0 (broker + load tools) was; near 1 means it, not the system, set the pace.
        broker_core_busy: (broker1 - broker0) / (publishedAt - t0), load_tools_core_busy: (tools1 - tools0) / (publishedAt - t0),
      });
      load.latencies = [];
      load.seen.clear();
      for (const pid of [broker.pid, proc.proc.pid!, process.pid]) pin(pid, "0,1");
      load.warmupBelow = 10_000_000 + RATE * RATE_S * 0.1; // the first 10 % warm the JIT up
      const sent = await paced(load, RATE, RATE_S, 10_000_000);
      await drained(load, sent, 1_000);
      const sorted = Float64Array.from(load.latencies).sort();
      Object.assign(result, { rate_msgs_per_s: RATE, rate_sent: sent, rate_received: load.seen.size, p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted[sorted.length - 1] });
      load.seen.clear();
      const cpu2 = (await proc.ask("cpu"))["cpu_ms"] as number;
      const sentCommon = await paced(load, COMMON_RATE, RATE_S, 20_000_000);
      await drained(load, sentCommon, 1_000);
      const cpu3 = (await proc.ask("cpu"))["cpu_ms"] as number;
      Object.assign(result, { common_rate_received: load.seen.size, cpu_us_per_msg_at_common_rate: ((cpu3 - cpu2) * 1000) / Math.max(1, load.seen.size) });
      await load.publisher.end();
      await load.subscriber.end();
      result["peak_rss_mb"] = (await proc.ask("exit"))["peak_rss_mb"];
    } finally {
      proc.proc.kill();
      await broker.stop();
    }
  }
  // QoS 1 end to end at max rate: how many are lost.
  {
    const broker = await startMosquitto();
    pin(broker.pid, "0");
    pin(process.pid, "0");
    const proc = startSystem(system, broker, 1);
    try {
      await proc.next(60_000);
      const load = await connectLoad(broker, 1);
      const t0 = performance.now();
      await maxRate1(load, QOS1_N);
      await drained(load, QOS1_N, 3_000);
      Object.assign(result, { qos1_published: QOS1_N, qos1_received: load.seen.size, qos1_lost: QOS1_N - load.seen.size, qos1_msgs_per_s: (load.seen.size / (load.lastAt - t0)) * 1000 });
      await load.publisher.endAsync();
      await load.subscriber.endAsync();
      await proc.ask("exit");
    } finally {
      proc.proc.kill();
      await broker.stop();
    }
  }
  return result;
}

const FIELDS = ["msgs_per_s", "cpu_us_per_msg", "cpu_us_per_msg_at_common_rate", "broker_core_busy", "load_tools_core_busy", "p50_ms", "p99_ms", "max_ms", "peak_rss_mb", "qos0_loss", "qos1_lost", "qos1_msgs_per_s"];
const fmt = (n: unknown, digits = 0) => (typeof n === "number" && Number.isFinite(n) ? n.toFixed(digits) : "-");

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
  console.log(`mqtt: ${PIN ? "max rate pinned (system on CPU 1; broker, publisher, subscriber on CPU 0), paced phases unpinned" : "not pinned"}; ${RUNS} run(s) per system, ${N} msgs at QoS 0 max rate, ${RATE} msgs/s for ${RATE_S} s, ${QOS1_N} msgs at QoS 1; node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const raw: Record<System, Array<Record<string, unknown>>> = { aiotflow: [], "node-red": [] };
  const failures: string[] = [];
  const floors: Array<{ p50_ms: number; p99_ms: number; max_ms: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const floor = await harnessFloor();
    floors.push(floor);
    console.log(`  harness alone (one broker hop) at ${RATE} msgs/s: p50 ${fmt(floor.p50_ms, 3)} ms, p99 ${fmt(floor.p99_ms, 3)} ms`);
    for (const system of run % 2 === 0 ? (["aiotflow", "node-red"] as const) : (["node-red", "aiotflow"] as const)) {
      try {
        const r = await measure(system);
        raw[system].push(r);
        console.log(`  ${system.padEnd(9)} ${fmt(r["msgs_per_s"]).padStart(7)} msgs/s  ${fmt(r["cpu_us_per_msg"], 1)} µs CPU/msg (${fmt(r["cpu_us_per_msg_at_common_rate"], 1)} at ${COMMON_RATE / 1000}k/s)  CPU 0 busy ${fmt(Number(r["broker_core_busy"]) + Number(r["load_tools_core_busy"]), 2)}  p99@2k ${fmt(r["p99_ms"], 3)} ms  QoS0 lost ${fmt(r["qos0_loss"])}  QoS1 lost ${fmt(r["qos1_lost"])}/${QOS1_N}`);
      } catch (error) {
        failures.push(`${system}: ${error instanceof Error ? error.message : String(error)}`);
        console.log(`  ${system} FAILED`);
      }
    }
  }
  const summarise = (results: Array<Record<string, unknown>>) => ({
    ...Object.fromEntries(FIELDS.map((f) => [f, median(results.map((r) => (typeof r[f] === "number" ? (r[f] as number) : Number.NaN)))])),
    ...(results[0]?.["version"] ? { version: results[0]["version"] } : {}),
    per_run: results,
  });
  const systems = { aiotflow: summarise(raw.aiotflow), "node-red": summarise(raw["node-red"]) };
  const figure = (system: System, f: string) => { const v = (systems[system] as Record<string, unknown>)[f]; return typeof v === "number" ? v : Number.NaN; };
  const ratio = (f: string) => figure("aiotflow", f) / figure("node-red", f);
  const ratios = { throughput: ratio("msgs_per_s"), p99: ratio("p99_ms"), rss: ratio("peak_rss_mb"), cpu_per_msg: ratio("cpu_us_per_msg"), cpu_per_msg_at_common_rate: ratio("cpu_us_per_msg_at_common_rate") };
  const met = { throughput: ratios.throughput >= 3, cpu_per_msg: ratios.cpu_per_msg <= 1 / 3, p99_at_2000: figure("aiotflow", "p99_ms") < 1, qos1_loss: figure("aiotflow", "qos1_lost") === 0 };
  const both = (f: string, digits = 0) => `${fmt(figure("aiotflow", f), digits)} vs ${fmt(figure("node-red", f), digits)}`;
  console.log(`\nmedians (aiotflow vs node-red): ${both("msgs_per_s")} msgs/s (${ratios.throughput.toFixed(2)}x); CPU/msg ${both("cpu_us_per_msg", 1)} µs at max rate, ${both("cpu_us_per_msg_at_common_rate", 1)} µs at ${COMMON_RATE} msgs/s; p99 at 2,000 msgs/s ${both("p99_ms", 3)} ms; QoS 1 lost ${both("qos1_lost")} of ${QOS1_N}`);
  console.log(`targets: ${JSON.stringify(met)} (the machine is shared; figures are noisy)`);
  const output = {
    name: "mqtt", date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, load_average: os.loadavg(), runs: RUNS, quick,
    scenario: "publisher -> Mosquitto 2.0 -> MQTT in -> parse JSON -> map (v*2) -> MQTT out -> subscriber; publisher and subscriber in the orchestrator process",
    load_tools: "QoS 0: a raw MQTT 3.1.1 client (bench/mqtt/raw-client.ts: pre-encoded PUBLISH packets, 100 per write; a streaming parser); QoS 1: mqtt.js 5",
    pinning: PIN ? "max-rate phases (QoS 0 and QoS 1): taskset, the system on CPU 1; Mosquitto, publisher and subscriber on CPU 0 (as PEER-BASELINE.md); paced phases (2,000 and 10,000 msgs/s) unpinned" : "none",
    latency_notes: "p50/p99 at 2,000 msgs/s exclude the first 10 % (warm-up); harness_floor is publisher -> Mosquitto -> subscriber with no system (one broker hop; the systems' path has two)",
    harness_floor: { p50_ms: median(floors.map((f) => f.p50_ms)), p99_ms: median(floors.map((f) => f.p99_ms)), max_ms: median(floors.map((f) => f.max_ms)), per_run: floors },
    systems, ratios, targets: TARGETS, targets_met: met,
  };
  writeResultsAndFinish("mqtt", output, { raw }, failures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
