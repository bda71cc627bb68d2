/**
 * Tests wait for what they need (a SUBACK, a message, a status, a metric, a file, a server event, a
 * promise the code under test exposes) or move a virtual clock. None sleeps a fixed time hoping the
 * thing happened meanwhile: that is slow on an idle machine and flaky on a busy one. This scans every
 * test file for the forms such a sleep takes and names each one found outside the allow-list.
 *
 * Instead of a sleep: `until` / `within` (test/support/wait.ts), a broker's `subscriptions.next`
 * (test/support/aedes.ts, mosquitto.ts), `VirtualClock.advance`, node:test's `mock.timers`, or in a
 * browser `waitForFunction`. To show that something does NOT happen, send a sentinel after it and
 * wait for the sentinel.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";

const ROOT = resolve(import.meta.dirname, "..");
const SCANNED = ["runtime", "nodes", "test", "editor", "examples", "bench", "flows"];
/** This file: its table below spells out the very forms it looks for. */
const SELF = "test/no-sleeps.test.ts";

/** The forms a fixed sleep takes in this codebase's tests. */
const SLEEPS: ReadonlyArray<{ readonly form: string; readonly pattern: RegExp }> = [
  { form: "a promise resolved by a timer", pattern: /(?<![\w.])(?:globalThis\.)?setTimeout\(\s*(?:resolve|res|r|done|next)\s*,/ },
  { form: "a promise resolved by a timer", pattern: /(?<![\w.])(?:globalThis\.)?setTimeout\(\s*\(\)\s*=>\s*(?:resolve|res|r|done|next)\(\)\s*,/ },
  { form: "the timers/promises sleep", pattern: /from\s+["'](?:node:)?timers\/promises["']/ },
  { form: "a sleep helper called with a fixed time", pattern: /\bawait\s+(?:sleep|delay|pause|wait)\(\s*\d/ },
  { form: "a browser test's fixed wait", pattern: /\.waitForTimeout\(/ },
];

/**
 * Real delays that are the workload, not a wait for a result. `contains` picks the line; each entry
 * must still match one, so a fixed case leaves the list with it.
 */
const ALLOWED: ReadonlyArray<{ readonly file: string; readonly contains: string; readonly reason: string }> = [
  {
    file: "runtime/core/engine.test.ts",
    contains: "setTimeout(resolve, 5)).then(() => void ctx.emit",
    reason: "simulated work: the first message of a node is async (5 ms) while the next 49 999 throw at once",
  },
  {
    file: "runtime/core/engine.test.ts",
    contains: "await new Promise((resolve) => setTimeout(resolve, 2));",
    reason: "simulated work: a node keeps real async work in flight, which stop() must wait for",
  },
  {
    file: "runtime/core/batch.test.ts",
    contains: "setTimeout(resolve, config.delayMs)",
    reason: "simulated work: a batch node's async call takes delayMs, so batches are in flight at once",
  },
  {
    file: "runtime/store/serial-queue.test.ts",
    contains: 'import { setTimeout as sleep } from "node:timers/promises";',
    reason: "simulated work: tasks of 20, 1 and 5 ms, so a slower earlier task would be overtaken if the queue let it",
  },
  {
    file: "test/mqtt-qos1-faults.test.ts",
    contains: "setTimeout(resolve, 1000 / RATE)",
    reason: "the load's shape: the publisher sends RATE messages a second, as a device would",
  },
];

interface Found {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly form: string;
}

/** The fixed sleeps in `source`, with their line numbers. */
function sleepsIn(file: string, source: string): Found[] {
  return source.split("\n").flatMap((text, at) => {
    const sleep = SLEEPS.find(({ pattern }) => pattern.test(text));
    return sleep ? [{ file, line: at + 1, text: text.trim(), form: sleep.form }] : [];
  });
}

/** Every *.test.ts under the scanned folders, repository-relative with forward slashes. */
function testFiles(): string[] {
  return SCANNED.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(".test.ts") && !/[\\/](?:node_modules|dist)(?:[\\/]|$)/.test(e.parentPath))
      .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join("/")),
  ).sort();
}

const allowedBy = (found: Found) => ALLOWED.find((a) => a.file === found.file && found.text.includes(a.contains));

describe("no fixed sleeps in tests", () => {
  it("recognises the forms a fixed sleep takes, and leaves waits and virtual clocks alone", () => {
    const cases: Array<[string, boolean]> = [
      ["await new Promise((resolve) => setTimeout(resolve, 50));", true],
      ["await new Promise((r) => setTimeout(r, 5)); // the SUBACK follows the CONNACK", true],
      ["return new Promise<void>((resolve) => setTimeout(resolve, config.delayMs))", true],
      ["await new Promise<void>((resolve) => setTimeout(() => resolve(), 100));", true],
      ['import { setTimeout as sleep } from "node:timers/promises";', true],
      ["await sleep(120);", true],
      ["await page.waitForTimeout(300);", true],
      ["await until(() => got.length === 2, \"two readings\");", false],
      ["clock.setTimeout(() => void fired.push(clock.now()), 10);", false],
      ["timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);", false],
      ["await new Promise((resolve) => setImmediate(resolve));", false],
      ["h.clock.advance(61_000);", false],
    ];
    for (const [line, sleeps] of cases) assert.equal(sleepsIn("x.test.ts", line).length > 0, sleeps, line);
  });

  it("finds none outside the allow-list", () => {
    const files = testFiles();
    assert.ok(files.length > 100, `only ${files.length} test files found: is the scan looking in the right place?`);
    const found = files.filter((file) => file !== SELF).flatMap((file) => sleepsIn(file, readFileSync(join(ROOT, file), "utf8")));
    const unexplained = found.filter((f) => !allowedBy(f));
    assert.deepEqual(
      unexplained.map((f) => `${f.file}:${f.line} (${f.form}): ${f.text}`),
      [],
      "wait for the event instead (see this file's header), or add the case to ALLOWED if the delay is the workload itself",
    );
    const stale = ALLOWED.filter((a) => !found.some((f) => allowedBy(f) === a));
    assert.deepEqual(stale.map((a) => `${a.file}: ${a.contains}`), [], "these allowed sleeps are gone: remove them from ALLOWED");
  });
});
