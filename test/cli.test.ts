/** The `aiotflow` command as a user runs it: real processes, real files. */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { describe, it } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function aiotflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/aiotflow.js", ...args], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("aiotflow CLI", () => {
  it("validates the shipped demo flow", async () => {
    const { code, stdout } = await aiotflow("validate", "flows/pump-monitoring.json");
    assert.equal(code, 0);
    assert.match(stdout, /ok — flow "pump-monitoring", 10 nodes, 11 edges/);
  });

  it("lists every problem of a flow with line, column, path and code, and exits 1", async () => {
    const { code, stderr } = await aiotflow("validate", "test/fixtures/many-problems.json");
    assert.equal(code, 1);
    const lines = stderr.split("\n").filter((l) => l.startsWith("  test/"));
    assert.deepEqual(lines, [
      '  test/fixtures/many-problems.json:7:20  nodes[1].type: unknown node type "slidng-window" (did you mean "sliding-window"?) [FLOW_UNKNOWN_NODE_TYPE]',
      "  test/fixtures/many-problems.json:8:76  nodes[2].config.raise: must be number [NODE_CONFIG_INVALID]",
      '  test/fixtures/many-problems.json:13:71  edges[1].to.node: no node with id "gaet" [FLOW_EDGE_UNKNOWN_NODE]',
      '  test/fixtures/many-problems.json:14:90  edges[2].to.port: node "pumps" (simulated-sensor) has no input "in"; its inputs: none [FLOW_EDGE_UNKNOWN_PORT]',
    ]);
    assert.match(stderr, /What to do:\n {2}FLOW_UNKNOWN_NODE_TYPE: Use a type listed by `aiotflow nodes`\./);
  });

  it("points at the line and column of malformed JSON instead of a stack trace", async () => {
    const { code, stderr } = await aiotflow("validate", "test/fixtures/malformed.json");
    assert.equal(code, 1);
    assert.match(stderr, /test\/fixtures\/malformed\.json:7:5 {2}invalid JSON: comma expected at "\{" \[FLOW_JSON_MALFORMED\]/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it("says a missing file is missing", async () => {
    const { code, stderr } = await aiotflow("run", "flows/no-such-flow.json");
    assert.equal(code, 1);
    assert.match(stderr, /flows\/no-such-flow\.json {2}cannot read flow: no such file \[FLOW_FILE_UNREADABLE\]/);
  });

  it("runs a flow headless, prints live results and drains on stop", async () => {
    const { code, stdout, stderr } = await aiotflow("run", "flows/pump-monitoring.json", "--duration", "6", "--data-dir", mkdtempSync(join(tmpdir(), "aiotflow-cli-")));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\[features\] pump-1  vibration_mean=\d/);
    assert.match(stderr, /stopping \(--duration 6 s\): draining queued messages/);
    assert.match(stderr, /^features\s+sliding-window\s+\d+/m);
  });

  it("drains and exits cleanly on Ctrl-C (SIGINT)", async () => {
    const child = spawn(process.execPath, ["bin/aiotflow.js", "run", "test/fixtures/fast-sensor.json", "--no-state"], { cwd: root, timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split("\n").length > 5) resolve();
      }),
    );
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\[raw\] pump-1 {2}vibration=/);
    assert.match(stderr, /stopping \(interrupted\): draining queued messages/);
    const summary = /^show\s+debug\s+(\d+)/m.exec(stderr);
    const emitted = /^pump\s+simulated-sensor\s+0\s+(\d+)/m.exec(stderr);
    assert.ok(summary && emitted && summary[1] === emitted[1], `every emitted reading reached the debug node:\n${stderr}`);
  });

  it("stops quietly, drained, when its output pipe closes (aiotflow run ... | head)", async () => {
    const child = spawn(process.execPath, ["bin/aiotflow.js", "run", "test/fixtures/fast-sensor.json", "--no-state"], { cwd: root, timeout: 30_000 });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy(); // what `| head -1` does once it has its line
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopping \(output closed\)/);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  });

  it("documents the catalog and each node", async () => {
    const [list, one, unknown] = await Promise.all([aiotflow("nodes"), aiotflow("nodes", "threshold"), aiotflow("nodes", "thresold")]);
    assert.match(list.stdout, /windows\n {2}sliding-window/);
    assert.match(one.stdout, /^threshold \(v1, gates\)/);
    assert.match(one.stdout, /Outputs:\n {2}alarm/);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no node type "thresold" \(did you mean "threshold"\?\)/);
  });

  it("gives help for every command and refuses unknown ones", async () => {
    const results = await Promise.all([aiotflow("--help"), aiotflow("run", "--help"), aiotflow("validate", "-h"), aiotflow("nodes", "--help"), aiotflow("deploy")]);
    assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 2]);
    assert.match(results[1]!.stdout, /Ctrl-C stops the sources, drains every queued message/);
    assert.match(results[4]!.stderr, /unknown command "deploy"/);
  });
});
