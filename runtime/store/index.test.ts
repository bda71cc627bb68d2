import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { openStores } from "./index.ts";

describe("openStores", () => {
  it("creates a missing data directory owner-only and opens every store in it", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "aiotflow-store-")), "nested", "data");
    const stores = await openStores(dataDir, { env: {} });
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    await stores.flows.saveVersion({ document: { format: "aiotflow/flow@1", id: "f", name: "F", nodes: [], edges: [], connections: {} }, author: "a", message: "" });
    await stores.users.ensureAdmin();
    await stores.audit.append({ actor: "a", action: "flow.save", target: "f", outcome: "ok" });
    await stores.secrets.set("s", "v");
    assert.deepEqual(readdirSync(dataDir).sort(), ["audit.jsonl", "flows.json", "secret.key", "secrets.json", "users.json"]);
    const reopened = await openStores(dataDir, { env: {} });
    assert.equal(reopened.flows.listFlows().length, 1);
    assert.equal(reopened.secrets.get("s"), "v");
    assert.deepEqual(reopened.audit.verify(), { ok: true, records: 1 });
  });

  it("stops on a damaged store file with STORE_CORRUPT naming it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
    writeFileSync(join(dataDir, "users.json"), "{ not json");
    await assert.rejects(openStores(dataDir, { env: {} }), (e: unknown) => e instanceof AiotError && e.code === "STORE_CORRUPT" && e.details.file === join(dataDir, "users.json"));
  });

  it("reports a data directory it cannot create (STORE_WRITE_FAILED)", async () => {
    const parent = mkdtempSync(join(tmpdir(), "aiotflow-store-"));
    writeFileSync(join(parent, "data"), "a file, not a directory");
    await assert.rejects(openStores(join(parent, "data"), { env: {} }), (e: unknown) => e instanceof AiotError && e.code === "STORE_WRITE_FAILED");
  });
});
