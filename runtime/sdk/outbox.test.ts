import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dropReporter, type Outbox } from "./outbox.ts";

/** An outbox whose drop counters the test sets; nothing else of it is used. */
function counting() {
  const dropped = { overflow: 0, expired: 0 };
  const outbox: Outbox<unknown> = {
    push: () => {}, peek: () => [], ack: () => {}, length: 0, bytes: 0, flush: () => {}, close: () => {},
    get dropped() {
      return { ...dropped };
    },
  };
  const counters = new Map<string, number>();
  const warnings: Array<[string, unknown]> = [];
  const ctx = {
    metrics: { count: (name: string, by = 1) => void counters.set(name, (counters.get(name) ?? 0) + by) },
    log: { debug: () => {}, info: () => {}, error: () => {}, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push([message, fields?.["code"]]) },
  };
  return { dropped, outbox, ctx, report: dropReporter(outbox, ctx), counters, warnings };
}

describe("dropReporter", () => {
  it("reports nothing while nothing is dropped", () => {
    const t = counting();
    assert.equal(t.report(), 0);
    assert.deepEqual([t.counters.size, t.warnings], [0, []]);
  });

  it("counts and warns about the records dropped since the last call, once each", () => {
    const t = counting();
    t.dropped.overflow = 3;
    assert.equal(t.report(), 3);
    assert.equal(t.report(), 0, "the same drops are not reported twice");
    t.dropped.overflow = 5;
    t.dropped.expired = 2;
    assert.equal(t.report(), 4);
    assert.deepEqual([t.counters.get("buffer_dropped_overflow"), t.counters.get("buffer_dropped_expired")], [5, 2]);
    assert.deepEqual(t.warnings, [
      ["store-and-forward buffer full: 3 oldest message(s) dropped", "BUFFER_OVERFLOW"],
      ["store-and-forward buffer full: 2 oldest message(s) dropped", "BUFFER_OVERFLOW"],
      ["2 buffered message(s) expired unsent", "BUFFER_EXPIRED"],
    ]);
  });

  it("keeps a reporter per caller: two nodes on one outbox each hear about every drop", () => {
    const t = counting();
    const other = dropReporter(t.outbox, t.ctx);
    t.dropped.expired = 1;
    assert.equal(t.report(), 1);
    assert.equal(other(), 1);
  });
});
