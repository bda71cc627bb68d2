import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, type Message } from "../../runtime/sdk/index.ts";
import { harness } from "../../runtime/sdk/testing.ts";
import debug from "./debug.ts";

const message = (i: number): Message => ({ topic: "sensors/pump-1", key: "pump-1", ts: i, payload: { i }, meta: { source: "sim" } });

/** Sends `count` messages, `everyMs` apart on the virtual clock, and returns the shown payloads' i. */
function shown(config: Record<string, unknown>, count: number, everyMs: number) {
  const h = harness(debug, config);
  for (let i = 0; i < count; i++) {
    h.send(message(i));
    h.clock.advance(everyMs);
  }
  return { h, shown: h.debugged.map((m) => (m.payload as { i: number }).i) };
}

describe("debug", () => {
  for (const example of debug.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(configOf(debug, example.config)));
  }

  it("shows every message of a slow stream unchanged", () => {
    const h = harness(debug, {});
    const m = message(1);
    h.send(m);
    assert.deepEqual(h.debugged, [m]);
    assert.equal(h.debugged[0], m);
  });

  const budgets = [
    { name: "shows at most maxPerSecond messages per second", config: { maxPerSecond: 3 }, count: 20, everyMs: 100, expected: [0, 1, 2, 10, 11, 12] },
    { name: "starts a fresh budget each second of the runtime clock", config: { maxPerSecond: 1 }, count: 6, everyMs: 500, expected: [0, 2, 4] },
    { name: "shows everything when maxPerSecond is 0", config: { maxPerSecond: 0 }, count: 5, everyMs: 0, expected: [0, 1, 2, 3, 4] },
  ];
  for (const { name, config, count, everyMs, expected } of budgets) {
    it(name, () => assert.deepEqual(shown(config, count, everyMs).shown, expected));
  }

  it("counts suppressed messages and tells the next shown one how many were skipped", () => {
    const { h } = shown({ maxPerSecond: 2 }, 1000, 1); // one second: 2 shown, 998 skipped
    h.send(message(1000));
    assert.equal(h.counters.get("suppressed"), 998);
    assert.deepEqual(h.debugged.map((m) => m.meta), [{ source: "sim" }, { source: "sim" }, { source: "sim", skipped: 998 }]);
  });

  it("never floods the console with a million messages in a second", () => {
    const h = harness(debug, { label: "firehose" });
    for (let i = 0; i < 1_000_000; i++) h.send(message(i));
    assert.equal(h.debugged.length, 10);
    assert.equal(h.counters.get("suppressed"), 999_990);
  });

  it("labels every message with the configured label, skipped ones noted or not", () => {
    const labels: Array<string | undefined> = [];
    for (const label of ["vibration", ""]) {
      const h = harness(debug, { label, maxPerSecond: 1 });
      for (let i = 0; i < 4; i++) h.send(message(i));
      h.clock.advance(1000);
      h.send(message(5));
      labels.push(...h.debugLabels);
    }
    assert.deepEqual(labels, ["vibration", "vibration", undefined, undefined]);
  });

  const badConfigs = [
    { name: "a negative rate", config: { maxPerSecond: -1 }, path: "config.maxPerSecond" },
    { name: "a fractional rate", config: { maxPerSecond: 2.5 }, path: "config.maxPerSecond" },
    { name: "a label that is not text", config: { label: 7 }, path: "config.label" },
  ];
  for (const { name, config, path } of badConfigs) {
    it(`refuses a config with ${name} at ${path}`, () => {
      assert.throws(() => configOf(debug, config), { code: "NODE_CONFIG_INVALID", details: { path, nodeType: "debug" } });
    });
  }
});
