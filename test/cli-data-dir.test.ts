/**
 * `aiotflow run` and the pump-failure example's register.ts against a data directory: both take its
 * lock (a server on the same directory refuses them with STORE_LOCKED), and `run` provides the
 * directory's asset registry to nodes that use it. Real processes, real files.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { lockDataDir } from "../runtime/store/data-dir-lock.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function exec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const aiotflow = (...args: string[]) => exec(["bin/aiotflow.js", ...args]);

/** A flow whose unit-convert node reads source units from the asset registry. */
function assetFlow(dir: string): string {
  const file = join(dir, "flow.json");
  writeFileSync(
    file,
    JSON.stringify({
      format: "aiotflow/flow@1",
      id: "uc-assets",
      name: "unit-convert with assets",
      nodes: [
        { id: "src", type: "simulated-sensor", config: { devices: ["pump-1"], intervalMs: 100 } },
        { id: "uc", type: "unit-convert", config: { conversions: [{ field: "temperature", to: "F" }], useAssets: true, onUnknownAsset: "pass" } },
        { id: "show", type: "debug", config: { label: "converted" } },
      ],
      edges: [
        { id: "a", from: { node: "src", port: "out" }, to: { node: "uc", port: "in" } },
        { id: "b", from: { node: "uc", port: "out" }, to: { node: "show", port: "in" } },
      ],
    }),
  );
  return file;
}

describe("aiotflow run with a data directory", () => {
  it("provides the data directory's asset registry to unit-convert (useAssets) and releases the lock after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-run-assets-"));
    const dataDir = join(dir, "data");
    const { code, stdout, stderr } = await aiotflow("run", assetFlow(dir), "--duration", "1", "--data-dir", dataDir);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /SERVICE_UNAVAILABLE/);
    assert.match(stdout, /\[converted\] pump-1 .*temperature=\d/);
    assert.match(stderr, /^uc\s+unit-convert\s+[1-9]\d*\s+[1-9]\d*\s+0\s/m);
    assert.equal(existsSync(join(dataDir, ".lock")), false, "the lock is released when the run ends");
  });

  it("without a data directory (--no-state) says to give --data-dir, naming the node once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-run-assets-"));
    const { code, stderr } = await aiotflow("run", assetFlow(dir), "--duration", "1", "--no-state");
    assert.equal(code, 1);
    assert.match(stderr, /node "uc" \(unit-convert\) needs the "assets" service, which this runtime does not provide \[SERVICE_UNAVAILABLE\]/);
    assert.match(stderr, /give --data-dir \(instead of --no-state\): the asset registry \(<data-dir>\/assets\.json\) lives there/);
    assert.equal(stderr.match(/node "uc"/g)?.length, 1, `the node is named once: ${stderr}`);
    assert.doesNotMatch(stderr, /could not be created: node "uc"/);
  });

  it("refuses with STORE_LOCKED while another aiotflow holds the data directory, and touches nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiotflow-run-locked-"));
    const dataDir = join(dir, "data");
    const held = lockDataDir(dataDir); // this test process plays the running server
    try {
      const { code, stdout, stderr } = await aiotflow("run", assetFlow(dir), "--duration", "1", "--data-dir", dataDir);
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`another aiotflow \\(PID ${process.pid}\\) is using this data directory \\[STORE_LOCKED\\]`));
      assert.match(stderr, /what to do: Stop the other aiotflow/);
      assert.equal(stdout, "");
      assert.equal(existsSync(join(dataDir, "state")), false, "no state was written");
      assert.equal(readFileSync(join(dataDir, ".lock"), "utf8"), String(process.pid), "the holder keeps its lock");
    } finally {
      held.release();
    }
  });
});

describe("examples/pump-failure-model/register.ts", () => {
  const register = (dataDir: string) => exec(["--import", "tsx", "examples/pump-failure-model/register.ts", dataDir]);

  it("refuses with STORE_LOCKED and a hint while a server holds the data directory; writes no registry or audit entry", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-register-locked-"));
    const held = lockDataDir(dataDir);
    try {
      const { code, stderr } = await register(dataDir);
      assert.equal(code, 1);
      assert.match(stderr, /is using this data directory \[STORE_LOCKED\]/);
      assert.match(stderr, /stop it and run this again, or register the model through the running server's API \(POST \/api\/models\/pump-failure\/versions\)/);
      assert.match(stderr, /npx aiotflow models register/);
      assert.equal(existsSync(join(dataDir, "models.json")), false);
      assert.equal(existsSync(join(dataDir, "audit.jsonl")), false);
    } finally {
      held.release();
    }
  });

  it("registers and promotes when the directory is free, then releases the lock", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-register-free-"));
    const { code, stdout, stderr } = await register(dataDir);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /pump-failure@1 registered .* promoted to production/);
    assert.equal(existsSync(join(dataDir, ".lock")), false);
    const shown = await aiotflow("models", "show", "pump-failure", "--data-dir", dataDir);
    assert.match(shown.stdout, /production/);
  });
});
