import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configOf, VirtualClock } from "../../../runtime/sdk/index.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { until } from "../../../test/support/wait.ts";
import replay from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "aiotflow-replay-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 1);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const pumpCsv = file("pump.csv", ["ts,device,vibration,temperature", `${T0},pump-1,2.1,55`, `${T0 + 1000},pump-2,2.4,56`, `${T0 + 3000},pump-1,2.2,57`, ""].join("\n"));

/** File reading is real I/O: the node's progress is awaited on real time (bounded), its pace on the virtual clock. */
const waitFor = (done: () => boolean, what: string) => until(done, what, { pollMs: 1 });

/** Messages a node sent out of its implicit error port. */
const errorsOf = (h: { emitted: ReadonlyArray<{ port: string; msg: { payload: unknown } }> }) => h.emitted.filter((e) => e.port === "error").map((e) => e.msg);

/** Starts a replay and records the virtual time of every emission. */
function start(config: Record<string, unknown>) {
  const clock = new VirtualClock(T0 + 3_600_000);
  const emittedAt: number[] = [];
  const h = harness(replay, config, { clock, saturated: () => (emittedAt.push(clock.now() - (T0 + 3_600_000)), false) });
  const started = h.node.start!();
  const finished = () => h.statuses.at(-1)?.state === "idle";
  /** Runs the clock in `stepMs` steps, letting the reader schedule its next row between steps. */
  async function play(totalMs: number, stepMs: number): Promise<void> {
    await started;
    for (let t = 0; t < totalMs && !finished(); t += stepMs) {
      await waitFor(() => clock.pending > 0 || finished(), "the next row");
      clock.advance(stepMs);
    }
  }
  return { h, clock, emittedAt, play, started, finished };
}

describe("replay", () => {
  for (const example of replay.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(replay, example.config)));
  }

  it("keeps the recorded gaps at 1x, with recorded event time, key, topic and numeric fields", async () => {
    const r = start({ file: pumpCsv, keyField: "device" });
    await r.play(5000, 100);
    await waitFor(r.finished, "the end of the file");
    assert.deepEqual(r.emittedAt, [0, 1000, 3000]);
    const [first] = r.h.out("out");
    assert.deepEqual(first, { topic: "replay/pump-1", key: "pump-1", ts: T0, payload: { vibration: 2.1, temperature: 55 }, meta: { source: "under-test", line: 2 } });
    assert.deepEqual(r.h.out("out").map((m) => m.ts - T0), [0, 1000, 3000]);
    assert.deepEqual(r.h.statuses.at(-1), { state: "idle", text: "done after 3 rows" });
  });

  it("plays N times faster at speed N and can move event time to the start", async () => {
    const r = start({ file: pumpCsv, keyField: "device", speed: 10, rebase: true });
    await r.play(1000, 50);
    await waitFor(r.finished, "the end of the file");
    assert.deepEqual(r.emittedAt, [0, 100, 300]);
    assert.deepEqual(r.h.out("out").map((m) => m.ts - (T0 + 3_600_000)), [0, 1000, 3000]);
  });

  it("emits everything without touching the clock at speed 0, also while the flow reports saturation", async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ time: new Date(T0 + i * 1000).toISOString(), vib: i }));
    const jsonl = file("many.jsonl", rows.join("\n"));
    const h = harness(replay, { file: jsonl, speed: 0, timestampField: "time", timestampFormat: "iso", rename: { vib: "vibration" } }, { saturated: () => true });
    await h.node.start!();
    await waitFor(() => h.statuses.at(-1)?.state === "idle", "the end of the file");
    assert.equal(h.out("out").length, 2000);
    assert.deepEqual(h.out("out")[1999], { topic: "replay", ts: T0 + 1_999_000, payload: { vibration: 1999 }, meta: { source: "under-test", line: 2000 } });
    assert.equal(h.clock.pending, 0);
  });

  it("loops with event time still rising, until stopped", async () => {
    const r = start({ file: pumpCsv, keyField: "device", loop: true, speed: 100 });
    await r.play(70, 10);
    await r.h.node.stop!();
    const ts = r.h.out("out").map((m) => m.ts - T0);
    assert.deepEqual(ts.slice(0, 6), [0, 1000, 3000, 4000, 5000, 7000]);
    const count = ts.length;
    // stop() resolved once the play loop returned, so only a timer left behind could still emit.
    r.clock.advance(10_000);
    assert.equal(r.h.out("out").length, count, "nothing after stop()");
    assert.equal(r.clock.pending, 0, "no row scheduled after stop()");
  });

  it("skips malformed rows with their line number on the error port and carries on", async () => {
    const bad = file("bad.csv", ["ts,device,vibration", `${T0},p1,1`, `${T0},p1`, `yesterday,p1,3`, `${T0 + 1},p1,4`, `"${T0},p1,5`].join("\n"));
    const h = harness(replay, { file: bad, keyField: "device", speed: 0 });
    await h.node.start!();
    await waitFor(() => h.statuses.at(-1)?.state === "idle", "the end of the file");
    assert.deepEqual(h.payloads("out"), [{ vibration: 1 }, { vibration: 4 }]);
    const errors = errorsOf(h).map((m) => m.payload as { code: string; line: number; message: string });
    assert.deepEqual(errors.map((e) => [e.code, e.line]), [["REPLAY_ROW_MALFORMED", 3], ["REPLAY_ROW_MALFORMED", 4], ["REPLAY_ROW_MALFORMED", 6]]);
    assert.match(errors[1]!.message, /bad\.csv:4: timestamp "ts" is "yesterday"/);
    assert.equal(h.counters.get("malformed"), 3);
  });

  it("reports a bad row after the good rows above it, in the file's order", async () => {
    const good = Array.from({ length: 7 }, (_, i) => `${T0 + i},p1,${i}`);
    const late = file("late.csv", ["ts,device,vibration", ...good, `${T0 + 8},p1`, `${T0 + 9},p1,9`].join("\n"));
    const h = harness(replay, { file: late, keyField: "device", speed: 0 });
    await h.node.start!();
    await waitFor(() => h.statuses.at(-1)?.state === "idle", "the end of the file");
    const order = h.emitted.map((e) => (e.port === "error" ? `error@${(e.msg.payload as { line: number }).line}` : String((e.msg.payload as { vibration: number }).vibration)));
    assert.deepEqual(order, ["0", "1", "2", "3", "4", "5", "6", "error@9", "9"]);
  });

  it("leaves out empty and non-numeric values, flagging them in meta.quality", async () => {
    const gaps = file("gaps.csv", ["ts,vibration,temperature", `${T0},,55`, `${T0 + 1},high,56`].join("\n"));
    const h = harness(replay, { file: gaps, speed: 0 });
    await h.node.start!();
    await waitFor(() => h.statuses.at(-1)?.state === "idle", "the end of the file");
    assert.deepEqual(h.out("out").map((m) => [m.payload, m.meta?.["quality"]]), [
      [{ temperature: 55 }, { vibration: "missing" }],
      [{ temperature: 56 }, { vibration: "not_numeric" }],
    ]);
    assert.equal(h.counters.get("bad_values"), 1);
  });

  it("reports JSONL lines that are not JSON objects", async () => {
    const jsonl = file("bad.jsonl", [`{"ts":${T0},"v":1}`, "{oops", "[1,2]", `{"ts":${T0 + 5},"v":2}`].join("\n"));
    const h = harness(replay, { file: jsonl, speed: 0 });
    await h.node.start!();
    await waitFor(() => h.statuses.at(-1)?.state === "idle", "the end of the file");
    assert.deepEqual(h.payloads("out"), [{ v: 1 }, { v: 2 }]);
    assert.deepEqual(errorsOf(h).map((m) => (m.payload as { line: number }).line), [2, 3]);
  });

  it("fails the start with REPLAY_FILE_NOT_FOUND naming the path", async () => {
    const missing = join(dir, "nope.csv");
    const h = harness(replay, { file: missing });
    await assert.rejects(async () => h.node.start!(), (error: { code: string; message: string; details: { file: string } }) => {
      assert.equal(error.code, "REPLAY_FILE_NOT_FOUND");
      assert.equal(error.details.file, missing);
      assert.ok(error.message.includes(missing));
      return true;
    });
  });

  it("refuses a negative speed and a two-character delimiter", () => {
    assert.throws(() => configOf(replay, { file: "x.csv", speed: -1 }), { code: "NODE_CONFIG_INVALID", details: { path: "config.speed", nodeType: "replay" } });
    assert.throws(() => configOf(replay, { file: "x.csv", delimiter: ";;" }), { code: "NODE_CONFIG_INVALID", details: { path: "config.delimiter", nodeType: "replay" } });
  });
});
