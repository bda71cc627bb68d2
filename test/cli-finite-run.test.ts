/**
 * `aiotflow run` of a flow whose sources end (a replayed recording): it drains, prints the summary
 * and exits 0 once every source has finished; `--keep-running` keeps it up until `--duration` or
 * Ctrl-C; `--drain-timeout` bounds the drain. Real processes, the shipped replay example.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("..", import.meta.url));
const REPLAY = "examples/replay/replay-flow.json";
/** Rows of examples/replay/pump-recording.csv: what the replay source emits. */
const ROWS = 80;

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `aiotflow ...args`; a run still going after `timeoutMs` is killed (code null): it did not end on its own. */
function aiotflow(args: string[], timeoutMs = 40_000): Promise<Exit> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/aiotflow.js", ...args], { cwd: root, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (error.killed ? null : typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The summary line of node `id`: its in and out counts. */
function summaryOf(stderr: string, id: string, type: string): { in: number; out: number } | undefined {
  const match = new RegExp(`^${id}\\s+${type}\\s+(\\d+)\\s+(\\d+)`, "m").exec(stderr);
  return match ? { in: Number(match[1]), out: Number(match[2]) } : undefined;
}

describe("aiotflow run of a flow whose sources end", () => {
  it("drains, prints the summary and exits 0 once the replayed file has ended (--no-state)", async () => {
    const run = await aiotflow(["run", REPLAY, "--no-state"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stopping \(every source has finished\): draining queued messages/);
    assert.deepEqual(summaryOf(run.stderr, "recording", "replay"), { in: 0, out: ROWS }, run.stderr);
    assert.match(run.stderr, /every queued message was delivered/);
    assert.match(run.stdout, /\[ALARM\] pump-2/);
  });

  it("ends the same way with a data directory, instead of idling for ever", async () => {
    const run = await aiotflow(["run", REPLAY, "--data-dir", mkdtempSync(join(tmpdir(), "aiotflow-finite-"))]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stopping \(every source has finished\)/);
    assert.ok(summaryOf(run.stderr, "recording", "replay"), run.stderr);
  });

  it("keeps running after the sources ended with --keep-running, until --duration", async () => {
    const run = await aiotflow(["run", REPLAY, "--no-state", "--keep-running", "--duration", "3"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stopping \(--duration 3 s\)/);
    assert.doesNotMatch(run.stderr, /every source has finished\)/);
    assert.ok(run.ms >= 3_000, `ran ${Math.round(run.ms)} ms`);
  });

  it("takes --drain-timeout in seconds and refuses one that is not a positive number", async () => {
    const ok = await aiotflow(["run", REPLAY, "--no-state", "--drain-timeout", "2.5"]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await aiotflow(["run", REPLAY, "--no-state", "--drain-timeout", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--drain-timeout must be a number of seconds/);
  });
});
