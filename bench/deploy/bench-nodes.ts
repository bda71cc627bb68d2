// Bench-only nodes for the deploy benchmark: a source that emits at a steady rate (every message that
// is due, in 1 ms ticks, each carrying its sequence number) and a sink with one input per branch that
// reports every arrival to the DeployRecorder. Built by a factory around the recorder, so no
// module-level state is shared between runs.
import { setTimeout as sleep } from "node:timers/promises";
import { Config, Type, defineNode, type Message } from "../../runtime/sdk/index.ts";
import type { DeployRecorder } from "./recorder.ts";

export const BRANCHES = 4;
export const SINK_PORTS = ["b0", "b1", "b2", "b3"] as const;

/** Reading number `seq`: `ts` and `meta.seq` carry the sequence number (windows keep both). */
export function reading(seq: number): Message<{ vibration: number; temperature: number }> {
  return {
    topic: "sensors/pump-1",
    key: "pump-1",
    ts: seq,
    payload: { vibration: (seq % 100) / 10, temperature: 20 + (seq % 50) },
    meta: { seq },
  };
}

export function createDeployBenchNodes(recorder: DeployRecorder) {
  const source = defineNode({
    type: "deploy-bench-source",
    version: 1,
    family: "sources",
    title: "Deploy bench source",
    summary: "Emits every reading that is due at a steady rate, in ticks, honouring backpressure (it catches up afterwards).",
    config: Config({
      tickMs: Type.Integer({ minimum: 1, default: 1, description: "Milliseconds between ticks." }),
    }),
    inputs: {},
    outputs: { out: { kind: "reading", description: "Pump readings; `ts` = `meta.seq` = sequence number." } },
    examples: [{ title: "1 ms ticks", config: { tickMs: 1 } }],
    create(config, ctx) {
      let stopped = false;
      let running: Promise<void> = Promise.resolve();

      async function run(): Promise<void> {
        while (!stopped && !recorder.stopped) {
          const due = recorder.due();
          let saturated = false;
          // Backpressure: once emit says the flow is saturated, wait for writable() and catch up after.
          // A message emitted while the flow is paused for a redeploy is parked by the engine, not
          // lost: emit returns false for it too.
          while (recorder.emitted < due && !saturated) {
            const seq = recorder.emitted;
            recorder.sent(seq);
            saturated = !ctx.emit("out", reading(seq));
          }
          if (saturated) await ctx.writable();
          else await sleep(config.tickMs);
        }
      }

      return {
        start() {
          if (Number.isNaN(recorder.startAt)) recorder.start();
          running = run().catch((error: unknown) => ctx.log.error("deploy bench source failed", { error: String(error) }));
        },
        async stop() {
          stopped = true;
          await running;
        },
      };
    },
  });

  const sink = defineNode({
    type: "deploy-bench-sink",
    version: 1,
    family: "sinks",
    title: "Deploy bench sink",
    summary: "Records every arrival per branch: sequence number and the flow version stamped on it.",
    config: Config({}),
    inputs: Object.fromEntries(SINK_PORTS.map((p) => [p, { kind: "any" as const, description: `Branch ${p.slice(1)}.` }])) as Record<
      (typeof SINK_PORTS)[number],
      { kind: "any"; description: string }
    >,
    outputs: {},
    examples: [{ title: "Default", config: {} }],
    create: () => ({
      onMessage(msg: Message, port: string) {
        const payload = msg.payload as { ver?: unknown };
        recorder.arrive(Number(port.slice(1)), msg.ts, typeof payload.ver === "number" ? payload.ver : 0);
      },
    }),
  });

  return { source, sink };
}
