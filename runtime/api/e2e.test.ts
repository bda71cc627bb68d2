/**
 * The admin API on the real stores (lowdb files, JSONL audit log, encrypted secrets) and the real
 * local runtime running real nodes: what a user does with curl, end to end.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { loadCatalog } from "../catalog/catalog.ts";
import type { FlowDocument } from "../contract/flow-format.ts";
import { FlowRuntime } from "../local/flow-runtime.ts";
import { openStores, type Stores } from "../store/index.ts";
import { createApi, type Api } from "./app.ts";

const ADMIN_PASSWORD = "e2e admin password";

function sensorFlow(intervalMs: number): FlowDocument {
  return {
    format: "aiotflow/flow@1",
    id: "pump-line",
    name: "Pump line",
    nodes: [
      { id: "sensor", type: "simulated-sensor", config: { devices: ["pump-1"], intervalMs, seed: 3 }, position: { x: 0, y: 0 } },
      { id: "peek", type: "debug", config: { label: "raw", maxPerSecond: 0 }, position: { x: 200, y: 0 } },
    ],
    edges: [{ id: "e1", from: { node: "sensor", port: "out" }, to: { node: "peek", port: "in" } }],
    connections: {},
  };
}

describe("admin API end to end (real stores and runtime)", () => {
  let dir: string;
  let stores: Stores;
  let runtime: FlowRuntime;
  let api: Api;
  let server: Server;
  let url: string;
  let token: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-api-"));
    stores = await openStores(dir, { env: { AIOTFLOW_SECRET_KEY: randomBytes(32).toString("hex") } });
    await stores.users.ensureAdmin(ADMIN_PASSWORD);
    const catalog = await loadCatalog();
    runtime = new FlowRuntime({ catalog, dataDir: dir, secrets: (name) => stores.secrets.get(name) });
    api = createApi({ catalog, ...stores, runtime, auth: true, limits: { loginFailureDelayMs: 10 } });
    server = createServer(api.app);
    api.attachWebSocket(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address && typeof address === "object");
    url = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    api.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown, as = token) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: text.startsWith("{") ? JSON.parse(text) : undefined };
  }

  it("logs in, creates, validates, saves, diffs, deploys, watches, rolls back and audits", async () => {
    const login = await fetch(`${url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    token = JSON.parse(await login.text()).token;
    assert.ok(token);

    assert.equal((await call("POST", "/api/flows/validate", sensorFlow(50))).body.ok, true);
    assert.equal((await call("POST", "/api/flows", { document: sensorFlow(50), message: "first" })).status, 201);
    assert.equal((await call("PUT", "/api/flows/pump-line", { document: sensorFlow(20), baseVersion: 1, message: "faster" })).status, 200);
    const stale = await call("PUT", "/api/flows/pump-line", { document: sensorFlow(10), baseVersion: 1 });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.body.error.diff.nodes.changed, [{ id: "sensor", paths: ["config.intervalMs"] }]);
    const diff = await call("GET", "/api/flows/pump-line/diff?from=1&to=2");
    assert.deepEqual(diff.body.diff.nodes.changed, [{ id: "sensor", paths: ["config.intervalMs"] }]);

    const ws = new WebSocket(`${url.replace("http", "ws")}/api/events?flow=pump-line&token=${token}`);
    const debugSeen = new Promise<Record<string, unknown>>((resolve) =>
      ws.on("message", (data) => {
        const event = JSON.parse(String(data));
        if (event.type === "debug") resolve(event);
      }),
    );
    await new Promise((resolve) => ws.once("open", resolve));

    const first = await call("POST", "/api/flows/pump-line/deploy", { version: 1 });
    assert.equal(first.status, 200, first.text);
    const event = await debugSeen;
    assert.equal(event["node"], "peek");
    const second = await call("POST", "/api/flows/pump-line/deploy");
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.body.report.changed, ["sensor"]);
    assert.deepEqual(second.body.report.kept, ["peek"]);

    const rollback = await call("POST", "/api/flows/pump-line/rollback");
    assert.equal(rollback.body.deployment.version, 1);
    const state = await call("GET", "/api/runtime");
    assert.deepEqual(state.body.flows.map((f: { flowId: string; version: number; state: string }) => [f.flowId, f.version, f.state]), [["pump-line", 1, "running"]]);
    ws.close();

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const out = /aiotflow_node_messages_out_total\{flow="pump-line",node="sensor",type="simulated-sensor"\} (\d+)/.exec(metrics);
    assert.ok(Number(out?.[1]) > 0, "the sensor's messages are counted");

    const audit = await call("GET", "/api/audit?limit=1000");
    const actions = audit.body.records.map((r: { action: string; outcome: string }) => `${r.action} ${r.outcome}`);
    for (const expected of ["auth.login ok", "flow.create ok", "flow.save ok", "flow.save failed", "flow.deploy ok", "flow.rollback ok"]) {
      assert.ok(actions.includes(expected), `audit has ${expected}: ${actions.join(", ")}`);
    }
    assert.deepEqual((await call("GET", "/api/audit/verify")).body.ok, true);
  });

  it("refuses a viewer stopping a flow, changes nothing and leaves the refusal in the audit file", async () => {
    const viewer = await stores.users.createUser("vera", "viewer", "vera password 1");
    const issued = await stores.users.issueToken({ username: viewer.username, name: "laptop", kind: "api" });
    const deployments = stores.flows.listDeployments("pump-line").length;
    const refused = await call("POST", "/api/flows/pump-line/stop", undefined, issued.token);
    assert.equal(refused.status, 403);
    assert.equal(stores.flows.listDeployments("pump-line").length, deployments);
    assert.equal(runtime.flows()[0]?.state, "running");
    const file = await readFile(join(dir, "audit.jsonl"), "utf8");
    assert.match(file.trim().split("\n").at(-1)!, /"actor":"vera".*"outcome":"refused"|"outcome":"refused".*"actor":"vera"/);
  });

  it("keeps secrets write-only and stops and deletes a flow", async () => {
    assert.equal((await call("PUT", "/api/secrets/broker-password", { value: "s3cr3t-value" })).status, 201);
    const listed = await call("GET", "/api/secrets");
    assert.deepEqual(listed.body.secrets.map((s: { name: string }) => s.name), ["broker-password"]);
    assert.doesNotMatch(listed.text, /s3cr3t/);
    assert.doesNotMatch(await readFile(join(dir, "secrets.json"), "utf8").catch(() => ""), /s3cr3t/);
    assert.equal((await call("DELETE", "/api/flows/pump-line")).status, 409);
    assert.equal((await call("POST", "/api/flows/pump-line/stop")).body.stopped, true);
    assert.equal((await call("DELETE", "/api/flows/pump-line")).status, 200);
    assert.deepEqual(stores.flows.listFlows(), []);
  });
});
