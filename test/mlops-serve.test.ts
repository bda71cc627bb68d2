/** serve wires the feature store and the retraining loop into the runtime and the API. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import type { Logger } from "../runtime/sdk/define.ts";
import { serve } from "../runtime/serve/serve.ts";

const catalog = await loadCatalog();
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function recordingLogger() {
  const lines: Array<{ level: string; message: string; code?: unknown }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, code: fields?.["code"] });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

async function start(prepare?: (dataDir: string) => void) {
  const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-mlops-serve-"));
  dirs.push(dataDir);
  prepare?.(dataDir);
  const { logger, lines } = recordingLogger();
  const served = await serve({ catalog, dataDir, port: 0, host: "127.0.0.1", auth: false, logger });
  return { served, lines, dataDir };
}

describe("serve with the feature store and retraining", () => {
  it("serves /api/features from <data-dir>/features.sqlite and runs /api/retrain against it", async () => {
    const { served } = await start();
    try {
      const rows = await fetch(`${served.url}/api/features`);
      assert.equal(rows.status, 200);
      assert.deepEqual(await rows.json(), { rows: [] });
      const run = await fetch(`${served.url}/api/retrain`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "pump", trainer: "logistic", windowMs: 60_000 }) });
      assert.equal(run.status, 422);
      assert.equal(((await run.json()) as { error: { cause: string } }).error.cause, "TRAINING_SET_EMPTY");
    } finally {
      await served.close();
    }
  });

  it("starts without the feature store when its file is not a database, logs why and leaves the file", async () => {
    const { served, lines } = await start((dataDir) => writeFileSync(join(dataDir, "features.sqlite"), "not sqlite\n".repeat(500)));
    try {
      assert.ok(lines.some((l) => l.level === "error" && l.code === "FEATURE_STORE_UNREADABLE"), JSON.stringify(lines));
      const rows = await fetch(`${served.url}/api/features`);
      assert.equal(rows.status, 503);
      assert.equal(((await rows.json()) as { error: { code: string } }).error.code, "SERVICE_UNAVAILABLE");
    } finally {
      await served.close();
    }
  });
});
