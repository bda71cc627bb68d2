import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { probeNodes } from "../../../test/support/test-nodes.ts";
import { LowdbAssetStore } from "../../store/assets.ts";
import { createApi, type Api } from "../app.ts";
import { FakeRuntime, MemoryAuditLog, MemoryFlowStore, MemorySecretStore, MemoryUserStore } from "../../../test/support/api-stores.ts";

type Who = "viewer" | "editor" | "nobody";

/** An API over in-memory stores plus a real asset registry in a temp dir, on a free loopback port. */
async function startWithAssets(withRegistry = true) {
  const users = new MemoryUserStore();
  const tokens: Record<string, string> = {};
  for (const role of ["viewer", "editor"] as const) {
    await users.createUser(role, role, "correct horse battery");
    tokens[role] = (await users.issueToken({ username: role, name: "test", kind: "api" })).token;
  }
  const audit = new MemoryAuditLog();
  const assets = withRegistry ? await LowdbAssetStore.open(mkdtempSync(join(tmpdir(), "aiotflow-asset-api-"))) : undefined;
  const api: Api = createApi({
    catalog: new Map(probeNodes().definitions.map((d) => [d.type, d])),
    flows: new MemoryFlowStore(), users, audit, secrets: new MemorySecretStore(), runtime: new FakeRuntime(), auth: true,
    ...(assets ? { assets } : {}),
  });
  const server: Server = createServer(api.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    audit,
    async request(method: string, path: string, who: Who = "editor", body?: unknown) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...(who !== "nobody" ? { authorization: `Bearer ${tokens[who]}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
    async close() {
      api.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("asset routes", () => {
  let t: Awaited<ReturnType<typeof startWithAssets>>;
  before(async () => (t = await startWithAssets()));
  after(() => t.close());

  const pump = { name: "Pump 7", signals: [{ name: "temperature", unit: "C", min: -20, max: 120 }, { name: "vibration", unit: "mm/s", min: 0, max: 50 }] };

  it("creates (201), replaces (200), lists, gets and deletes an asset, auditing the changes", async () => {
    assert.equal((await t.request("PUT", "/api/assets/pump-7", "editor", pump)).status, 201);
    const replaced = await t.request("PUT", "/api/assets/pump-7", "editor", { ...pump, location: "hall 2" });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.asset.location, "hall 2");
    const list = await t.request("GET", "/api/assets", "viewer");
    assert.deepEqual(list.body.assets.map((a: { id: string }) => a.id), ["pump-7"]);
    const one = await t.request("GET", "/api/assets/pump-7", "viewer");
    assert.deepEqual(one.body.asset.signals, pump.signals);
    assert.deepEqual(await t.request("DELETE", "/api/assets/pump-7"), { status: 200, body: { deleted: "pump-7" } });
    assert.deepEqual(t.audit.records.filter((r) => r.target === "asset:pump-7").map((r) => r.action), ["asset.put", "asset.put", "asset.delete"]);
  });

  it("answers 404 ASSET_NOT_FOUND for an unknown asset", async () => {
    for (const method of ["GET", "DELETE"]) {
      const reply = await t.request(method, "/api/assets/pump-99");
      assert.equal(reply.status, 404);
      assert.equal(reply.body.error.code, "ASSET_NOT_FOUND");
    }
  });

  it("answers 400 ASSET_INVALID naming the field for an unknown unit, with the closest one", async () => {
    const reply = await t.request("PUT", "/api/assets/pump-8", "editor", { signals: [{ name: "pressure", unit: "barr" }] });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "ASSET_INVALID");
    assert.equal(reply.body.error.path, "body.signals[0].unit");
    assert.match(reply.body.error.message, /did you mean "bar"/);
  });

  it("answers 400 API_BODY_INVALID for a body of the wrong shape", async () => {
    const reply = await t.request("PUT", "/api/assets/pump-8", "editor", { signals: [{ unit: "C" }] });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "API_BODY_INVALID");
  });

  it("lets viewers read but not write, and nobody in without a token", async () => {
    assert.equal((await t.request("PUT", "/api/assets/pump-9", "viewer", pump)).status, 403);
    assert.equal((await t.request("GET", "/api/assets", "nobody")).status, 401);
  });

  it("answers 503 when the server keeps no registry", async () => {
    const bare = await startWithAssets(false);
    try {
      const reply = await bare.request("GET", "/api/assets", "viewer");
      assert.equal(reply.status, 503);
      assert.equal(reply.body.error.code, "SERVICE_UNAVAILABLE");
    } finally {
      await bare.close();
    }
  });
});
