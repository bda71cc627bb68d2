import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { MemoryAuditLog } from "../../test/support/api-stores.ts";
import { until } from "../../test/support/wait.ts";
import type { Logger } from "../sdk/define.ts";
import { createRefusalRecorder, refusalRecorder, type RefusalEntry } from "./refusal-audit.ts";

const START = 1_700_000_000_000;
const WINDOW_MS = 60_000;

const entry = (target = "/api/flows"): RefusalEntry => ({ actor: "(unauthenticated)", action: "flow.list", target, detail: { status: 401 } });

/** A recorder writing 3 refusals a minute one by one, on a clock the test moves (Date and setTimeout are mocked). */
function recorderOnClock(t: TestContext, audit = new MemoryAuditLog(), logger?: Logger) {
  t.mock.timers.enable({ apis: ["Date", "setTimeout"], now: START });
  return { audit, recorder: createRefusalRecorder(audit, { perWindow: 3, windowMs: WINDOW_MS }, logger) };
}

const summaries = (audit: MemoryAuditLog) => audit.records.filter((r) => r.action === "auth.refused-summary").map((r) => r.detail);
const oneByOne = (audit: MemoryAuditLog) => audit.records.filter((r) => r.action !== "auth.refused-summary");

describe("refusal records", () => {
  it("writes the first perWindow refusals of a (reason, address) one by one, as refused, and only counts the rest", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    for (let i = 0; i < 10; i++) await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry(`/api/flows/${i}`));
    assert.deepEqual(oneByOne(audit).map((r) => [r.outcome, r.target]), [["refused", "/api/flows/0"], ["refused", "/api/flows/1"], ["refused", "/api/flows/2"]]);
    assert.deepEqual(summaries(audit), []);
  });

  it("writes one summary with the count, reason, address and window when the window ends", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    for (let i = 0; i < 10; i++) await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry());
    t.mock.timers.tick(WINDOW_MS - 1);
    assert.deepEqual(summaries(audit), [], "not before the window ends");
    t.mock.timers.tick(1);
    await until(() => summaries(audit).length === 1, "the summary at the end of the window");
    assert.deepEqual(summaries(audit), [{ count: 7, reason: "AUTH_REQUIRED", from: "10.0.0.1", windowStart: new Date(START).toISOString(), windowMs: WINDOW_MS }]);
    const summary = audit.records.at(-1)!;
    assert.deepEqual([summary.actor, summary.target, summary.outcome], ["(refusals)", "auth", "refused"]);
    // The next window writes refusals one by one again.
    await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry("/api/after"));
    assert.equal(audit.records.at(-1)?.target, "/api/after");
  });

  it("writes no summary for a window in which nothing was held back", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    for (let i = 0; i < 3; i++) await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry());
    t.mock.timers.tick(2 * WINDOW_MS);
    await recorder.flush();
    assert.deepEqual(summaries(audit), []);
  });

  it("keeps the count of each reason and each address apart", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    const sources: Array<[string, string, number]> = [["AUTH_REQUIRED", "10.0.0.1", 5], ["AUTH_FORBIDDEN", "10.0.0.1", 4], ["AUTH_REQUIRED", "10.0.0.2", 3]];
    for (const [reason, from, count] of sources) for (let i = 0; i < count; i++) await recorder.record(reason, from, entry());
    assert.equal(oneByOne(audit).length, 9);
    await recorder.flush();
    assert.deepEqual(summaries(audit).map((d) => [d?.["reason"], d?.["from"], d?.["count"]]), [["AUTH_REQUIRED", "10.0.0.1", 2], ["AUTH_FORBIDDEN", "10.0.0.1", 1]]);
  });

  it("writes a window's summary at the next refusal when that comes before the window's timer", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    for (let i = 0; i < 5; i++) await recorder.record("AUTH_INVALID", "10.0.0.1", entry());
    t.mock.timers.setTime(START + WINDOW_MS); // the clock moves on; the timer has not run yet
    await recorder.record("AUTH_INVALID", "10.0.0.1", entry("/api/next-window"));
    assert.deepEqual(audit.records.slice(-2).map((r) => [r.action, r.target]), [["auth.refused-summary", "auth"], ["flow.list", "/api/next-window"]]);
    assert.equal(summaries(audit)[0]?.["count"], 2);
    t.mock.timers.tick(WINDOW_MS);
    await recorder.flush();
    assert.equal(summaries(audit).length, 1, "the old window's timer writes no second summary");
  });

  it("writes every pending summary at flush (shutdown), and the count starts again from nought", async (t) => {
    const { audit, recorder } = recorderOnClock(t);
    for (let i = 0; i < 6; i++) await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry());
    await recorder.flush();
    assert.deepEqual(summaries(audit).map((d) => d?.["count"]), [3]);
    await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry());
    await recorder.flush();
    assert.deepEqual(summaries(audit).map((d) => d?.["count"]), [3, 1], "still over the limit in the same window: counted again");
  });

  it("logs an audit log that cannot be written instead of failing the refusal", async (t) => {
    const errors: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => void errors.push([message, fields]) };
    const audit = new MemoryAuditLog();
    audit.append = async () => {
      throw new Error("disk full");
    };
    const { recorder } = recorderOnClock(t, audit, logger);
    for (let i = 0; i < 4; i++) await recorder.record("AUTH_REQUIRED", "10.0.0.1", entry());
    await recorder.flush();
    assert.deepEqual(errors.map(([message, fields]) => [message, fields?.["action"], fields?.["error"]]), [
      ["cannot write the audit record of a refusal", "flow.list", "disk full"],
      ["cannot write the audit record of a refusal", "flow.list", "disk full"],
      ["cannot write the audit record of a refusal", "flow.list", "disk full"],
      ["cannot write the audit record of a refusal", "auth.refused-summary", "disk full"],
    ]);
  });

  it("is one recorder per audit log, so the gate and the login route share their counts", async (t) => {
    t.mock.timers.enable({ apis: ["Date", "setTimeout"], now: START });
    const audit = new MemoryAuditLog();
    const gate = refusalRecorder(audit, { perWindow: 1 });
    assert.equal(refusalRecorder(audit), gate);
    await gate.record("AUTH_REQUIRED", "10.0.0.1", entry());
    await refusalRecorder(audit).record("AUTH_REQUIRED", "10.0.0.1", entry());
    assert.equal(audit.records.length, 1, "the second refusal was counted against the first's window");
    assert.notEqual(refusalRecorder(new MemoryAuditLog()), gate);
    await gate.flush();
  });

  it("stays bounded when every address is new and every window live: the oldest are summarised and dropped", async (t) => {
    t.mock.timers.enable({ apis: ["Date", "setTimeout"], now: START });
    const audit = new MemoryAuditLog();
    const recorder = createRefusalRecorder(audit, { perWindow: 0, windowMs: WINDOW_MS });
    for (let i = 0; i <= 10_000; i++) await recorder.record("no-token", `10.0.${i >> 8}.${i & 255}`, entry());
    await until(() => summaries(audit).length > 0, "the summary of the oldest window");
    assert.deepEqual(summaries(audit).map((d) => d?.["from"]), ["10.0.0.0"], "the oldest window made room for the 10,001st address");
    await recorder.flush();
  });
});
