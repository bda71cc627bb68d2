/** `aiotflow serve` wired together: stores, runtime, API, embedded MQTT broker, demo seeding, restart. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import mqtt from "mqtt";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { silentLogger } from "../runtime/core/logger.ts";
import { SHIPPED_FLOWS_DIR } from "../runtime/catalog/paths.ts";
import { serve } from "../runtime/serve/serve.ts";

const catalog = await loadCatalog();

describe("aiotflow serve", () => {
  it("seeds and deploys the demo on first start, runs an MQTT broker, and redeploys after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-serve-"));
    const options = { catalog, dataDir, port: 0, host: "127.0.0.1", mqttPort: 0, auth: true, logger: silentLogger, seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json") };
    const first = await serve(options);
    assert.match(first.adminPassword ?? "", /^.{12,}$/, "a one-time admin password on first start");
    const login = await fetch(`${first.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: first.adminPassword }),
    });
    const { token } = (await login.json()) as { token: string };
    const runtime = (await (await fetch(`${first.url}/api/runtime`, { headers: { authorization: `Bearer ${token}` } })).json()) as { flows: Array<{ flowId: string; state: string }> };
    assert.deepEqual(runtime.flows.map((f) => [f.flowId, f.state]), [["pump-monitoring", "running"]]);
    const unauthenticated = await fetch(`${first.url}/api/flows`);
    assert.equal(unauthenticated.status, 401);

    const client = await mqtt.connectAsync(first.mqttUrl!, { protocolVersion: 4 });
    await client.subscribeAsync("plant/#");
    const received = new Promise<string>((resolve) => client.once("message", (_topic, payload) => resolve(payload.toString())));
    await client.publishAsync("plant/pump-1/vibration", "2.4");
    assert.equal(await received, "2.4");
    await client.endAsync();
    await first.close();

    const second = await serve(options);
    assert.equal(second.adminPassword, undefined, "the password is shown only once");
    const again = await fetch(`${second.url}/api/runtime`, { headers: { authorization: `Bearer ${token}` } });
    const flows = ((await again.json()) as { flows: Array<{ flowId: string }> }).flows;
    assert.deepEqual(flows.map((f) => f.flowId), ["pump-monitoring"], "the flow that ran before the restart runs again");
    await second.close();
  });

  it("refuses a second server on the same data directory, and a failed start leaves nothing running", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-serve-"));
    const base = { catalog, dataDir, host: "127.0.0.1", auth: false, logger: silentLogger };
    const first = await serve({ ...base, port: 0, seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json") });
    await assert.rejects(serve({ ...base, port: 0 }), { code: "STORE_LOCKED" });
    const port = Number(new URL(first.url).port);
    await first.close();
    // The port is now taken by someone else: the start fails before deploying anything, and unlocks.
    const { createServer } = await import("node:net");
    const squatter = createServer().listen(port, "127.0.0.1");
    await new Promise((resolve) => squatter.once("listening", resolve));
    await assert.rejects(serve({ ...base, port }), /EADDRINUSE/);
    squatter.close();
    const third = await serve({ ...base, port: 0 });
    const flows = (await (await fetch(`${third.url}/api/runtime`)).json()) as { flows: Array<{ flowId: string }> };
    assert.deepEqual(flows.flows.map((f) => f.flowId), ["pump-monitoring"]);
    await third.close();
  });

  it("does not bring back a demo flow the user deleted", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-serve-"));
    const options = { catalog, dataDir, port: 0, host: "127.0.0.1", auth: false, logger: silentLogger, seedFlow: join(SHIPPED_FLOWS_DIR, "pump-monitoring.json") };
    const first = await serve(options);
    const json = { "content-type": "application/json" };
    assert.equal((await fetch(`${first.url}/api/flows/pump-monitoring/stop`, { method: "POST", headers: json })).status, 200);
    assert.equal((await fetch(`${first.url}/api/flows/pump-monitoring`, { method: "DELETE", headers: json })).status, 200);
    await first.close();
    const second = await serve(options);
    const listed = (await (await fetch(`${second.url}/api/flows`)).json()) as { flows: unknown[] };
    assert.deepEqual(listed.flows, []);
    await second.close();
  });

  it("refuses to start on a corrupted store, naming the file", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-serve-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dataDir, "flows.json"), '{ "flows": [ }');
    await assert.rejects(
      serve({ catalog, dataDir, port: 0, host: "127.0.0.1", auth: false, logger: silentLogger }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "STORE_CORRUPT");
        assert.match(String(error), /flows\.json/);
        return true;
      },
    );
  });
});
