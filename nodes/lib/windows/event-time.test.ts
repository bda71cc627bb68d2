import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Config, defineNode, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import { harness } from "../../../runtime/sdk/testing.ts";
import { eventTimeWindows, type EventTimeSpec } from "./event-time.ts";
import { WindowFeatures } from "./window-stats.ts";

// The node tests (nodes/windows/*.test.ts) check the windows against a batch computation; these
// drive the handler itself, with a context from the test harness.

const T0 = Date.UTC(2026, 0, 1); // a multiple of every window size used here

function windows(spec: EventTimeSpec) {
  let ctx: NodeContext<"out" | "late"> | undefined;
  const host = defineNode({
    type: "test-window", version: 1, family: "windows", title: "Window", summary: "Hands its context to the test.", config: Config({}),
    inputs: { in: { kind: "reading", description: "Readings." } },
    outputs: { out: { kind: "features", description: "Windows." }, late: { kind: "reading", description: "Late readings." } },
    examples: [],
    create: (_config, context) => ((ctx = context), {}),
  });
  const h = harness(host, {});
  const handle = eventTimeWindows(spec, new WindowFeatures(["v"], ["mean"]), ctx!);
  const send = (ms: number, v: unknown, key = "pump-1") => handle({ topic: `s/${key}`, key, ts: T0 + ms, payload: { v }, meta: { at: ms } });
  /** Emitted windows as [start, end, mean, count], relative to T0. */
  const closed = () => h.out("out").map((m: Message) => {
    const p = m.payload as { v_mean: number; count: number; window_start: number; window_end: number };
    return [p.window_start - T0, p.window_end - T0, p.v_mean, p.count];
  });
  return { h, send, closed };
}

describe("eventTimeWindows", () => {
  it("emits a back-to-back window once, when a later reading moves the watermark past its end", () => {
    const { send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
    send(0, 1);
    send(9_999, 3);
    assert.deepEqual(closed(), []);
    send(10_000, 5);
    assert.deepEqual(closed(), [[0, 10_000, 2, 2]]);
    send(10_001, 7);
    assert.deepEqual(closed(), [[0, 10_000, 2, 2]], "no window is emitted twice");
  });

  it("labels a window with its end as ts and the topic, key and meta of its last reading", () => {
    const { h, send } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
    send(1_000, 1);
    send(2_000, 2);
    send(12_000, 3);
    const [w] = h.out("out");
    assert.deepEqual([w!.ts - T0, w!.topic, w!.key, w!.meta], [10_000, "s/pump-1", "pump-1", { at: 2_000 }]);
  });

  it("counts a reading in every hopping window that contains it", () => {
    const { send, closed } = windows({ sizeMs: 10_000, slideMs: 5_000, allowedLatenessMs: 0 });
    send(6_000, 4); // in [0, 10 s) and [5 s, 15 s)
    send(16_000, 8); // closes both, opens [10 s, 20 s) and [15 s, 25 s)
    assert.deepEqual(closed(), [[0, 10_000, 4, 1], [5_000, 15_000, 4, 1]]);
  });

  it("emits no window for a gap without readings", () => {
    const { send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
    send(0, 1);
    send(95_000, 2);
    send(105_000, 3);
    assert.deepEqual(closed(), [[0, 10_000, 1, 1], [90_000, 100_000, 2, 1]]);
  });

  it("adds an out-of-order reading to its open window without moving the watermark back", () => {
    const { send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
    send(8_000, 2);
    send(3_000, 4);
    send(10_000, 0);
    assert.deepEqual(closed(), [[0, 10_000, 3, 2]]);
  });

  it("holds windows open for the allowed lateness, then sends later readings to late, counted", () => {
    const { h, send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 2_000 });
    send(1_000, 1);
    send(11_000, 5); // watermark 9 s: [0, 10 s) stays open
    send(9_000, 3); // late by 2 s, still counted
    assert.deepEqual(closed(), []);
    send(12_000, 5); // watermark 10 s: [0, 10 s) closes
    assert.deepEqual(closed(), [[0, 10_000, 2, 2]]);
    send(9_500, 100);
    assert.deepEqual(h.out("late").map((m) => m.ts - T0), [9_500]);
    assert.equal(h.counters.get("late"), 1);
    assert.deepEqual(closed(), [[0, 10_000, 2, 2]], "the late reading changes no window");
  });

  it("keeps a watermark per key: one device's clock closes none of another's windows", () => {
    const { send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
    send(1_000, 1, "a");
    send(1_000, 50, "b");
    send(30_000, 2, "a");
    assert.deepEqual(closed(), [[0, 10_000, 1, 1]]);
    send(2_000, 70, "b");
    send(10_000, 0, "b");
    assert.deepEqual(closed(), [[0, 10_000, 1, 1], [0, 10_000, 60, 2]]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["a missing field", undefined, /payload\.v is missing/],
    ["text", "4.2", /payload\.v is not a finite number: "4\.2"/],
    ["NaN", Number.NaN, /payload\.v is not a finite number: NaN/],
  ];
  for (const [name, v, message] of bad) {
    it(`refuses a reading with ${name} (MESSAGE_SHAPE_INVALID) and leaves the windows as they were`, () => {
      const { send, closed } = windows({ sizeMs: 10_000, slideMs: 10_000, allowedLatenessMs: 0 });
      send(1_000, 2);
      assert.throws(() => send(50_000, v), { code: "MESSAGE_SHAPE_INVALID", message, details: { path: "payload.v" } });
      assert.deepEqual(closed(), [], "the refused reading moved no watermark");
      send(10_000, 0);
      assert.deepEqual(closed(), [[0, 10_000, 2, 1]]);
    });
  }
});
