/**
 * `aiotflow serve` start and stop as a user meets them: Ctrl-C stops it (flows drained, live-event
 * clients let go) even with a flow on the embedded broker, and a busy port fails the start with a hint
 * without using up the one-time admin password.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { silentLogger } from "../runtime/core/logger.ts";
import { PACKAGE_ROOT } from "../runtime/catalog/paths.ts";
import { isAiotError } from "../runtime/sdk/errors.ts";
import { serve } from "../runtime/serve/serve.ts";
import { flowOf, probeNodes, reading } from "./support/test-nodes.ts";
import { until } from "./support/wait.ts";

const catalog = await loadCatalog();
/** Generous bounds on waits, so a broken shutdown fails the test instead of hanging it. */
const START_MS = 30_000;
const STOP_MS = 20_000;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function squat(): Promise<{ port: number; server: Server }> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe("aiotflow serve lifecycle", () => {
  it("stops on SIGINT with exit code 0 while an mqtt-in flow uses the embedded broker and a live-events client is open", async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-stop-"));
    const child = spawn(process.execPath, ["bin/aiotflow.js", "serve", "--data-dir", dataDir, "--port", String(port), "--mqtt-port", String(mqttPort), "--no-auth"], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, AIOTFLOW_FROM_SOURCE: "1" },
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let events: IncomingMessage | undefined;
    let socket: WebSocket | undefined;
    try {
      await within(new Promise<void>((resolve) => child.stdout.on("data", () => output.includes("aiotflow serving on") && resolve())), START_MS, "start");
      const base = `http://127.0.0.1:${port}`;
      const json = { "content-type": "application/json" };
      const document = JSON.parse(readFileSync(join(PACKAGE_ROOT, "flows/mqtt-bridge.json"), "utf8")) as { connections: Record<string, { config: { url: string } }> };
      document.connections["local-broker"]!.config.url = `mqtt://127.0.0.1:${mqttPort}`;
      assert.equal((await fetch(`${base}/api/flows`, { method: "POST", headers: json, body: JSON.stringify({ document }) })).status, 201);
      assert.equal((await fetch(`${base}/api/flows/mqtt-bridge/deploy`, { method: "POST", headers: json, body: "{}" })).status, 200);
      // The mqtt-in node's status reads "local-broker: connected ..." once its link is up.
      await until(async () => (await (await fetch(`${base}/api/runtime`)).text()).includes("local-broker: connected"), "the flow's MQTT link to the embedded broker", { timeoutMs: START_MS });

      // An open Server-Sent Events client, as `curl -N` or an editor tab keeps one.
      events = await within(
        new Promise<IncomingMessage>((resolve, reject) => request(`${base}/api/events`, { headers: { accept: "text/event-stream" } }, resolve).on("error", reject).end()),
        START_MS,
        "the live-events stream",
      );
      assert.equal(events.statusCode, 200);
      const streamEnded = new Promise<void>((resolve) => events!.on("close", () => resolve()).resume());
      // And an open WebSocket client, as the editor keeps one.
      socket = new WebSocket(`ws://127.0.0.1:${port}/api/events`);
      await within(new Promise((resolve, reject) => socket!.once("open", resolve).once("error", reject)), START_MS, "the live-events WebSocket");
      const socketClosed = new Promise<number>((resolve) => socket!.once("close", (code) => resolve(code)));

      child.kill("SIGINT");
      const code = await within(exited, STOP_MS, `exit after SIGINT\n${output}`);
      assert.equal(code, 0, output);
      await within(streamEnded, STOP_MS, "the live-events stream to end");
      assert.equal(await within(socketClosed, STOP_MS, "the WebSocket to close"), 1001, "going away: the server shuts down");
      assert.match(output, /stopping \(interrupted\)/);
      assert.doesNotMatch(output, /ECONNREFUSED|retryInMs/, "the flow's link is not lost (and retried) during shutdown");
    } finally {
      events?.destroy();
      socket?.terminate();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("stops anyway after the drain timeout, saying which flow still had work", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-drain-"));
    const probe = probeNodes();
    // A sink whose calls take 3 s: stopping waits for them (and the one queued behind) unless bounded.
    const seedFlow = join(dataDir, "slow.json");
    writeFileSync(seedFlow, JSON.stringify(flowOf([["src", "test-source"], ["slow", "test-async", { delayMs: 3000 }]], ["src.out->slow.in"], "slow-line")));
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const served = await serve({ catalog: new Map(probe.definitions.map((d) => [d.type, d])), dataDir, port: 0, host: "127.0.0.1", auth: false, logger, seedFlow, drainTimeoutMs: 200 });
    for (const value of [1, 2, 3]) probe.sources.get("src")!(reading(value));
    await within(served.close(), STOP_MS, "close with a bounded drain");
    assert.ok(warnings.some((w) => /flows still draining after 200 ms: "slow-line" \(1 queued message\)/.test(w)), warnings.join("\n"));
  });

  it("fails the start on a busy --port with SERVE_PORT_IN_USE, and a later start still shows the admin password", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-busy-"));
    const squatter = await squat();
    const port = squatter.port;
    const mqttPort = await freePort();
    const options = { catalog, dataDir, host: "127.0.0.1", auth: true, logger: silentLogger };
    try {
      await assert.rejects(serve({ ...options, port, mqttPort }), (error: unknown) => {
        assert.ok(isAiotError(error) && error.code === "SERVE_PORT_IN_USE", String(error));
        assert.deepEqual([error.details["port"], error.details["option"]], [squatter.port, "--port"]);
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${squatter.port}`));
        assert.match(error.hint, /npm start -- --port 18080/);
        assert.match(error.hint, /--no-mqtt/);
        return true;
      });
    } finally {
      squatter.server.close();
    }
    // The same ports, now free: the failed start released what it had bound, and kept the password.
    const served = await serve({ ...options, port, mqttPort });
    try {
      assert.match(served.adminPassword ?? "", /^.{12,}$/, "the first successful start shows the admin password");
      assert.equal(served.mqttUrl, `mqtt://127.0.0.1:${mqttPort}`);
    } finally {
      await served.close();
    }
  });

  it("starts without its broker on a busy --mqtt-port, saying so (flows can use the broker already there)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-busy-"));
    const squatter = await squat();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push(`${message} ${JSON.stringify(fields ?? {})}`) };
    try {
      const served = await serve({ catalog, dataDir, host: "127.0.0.1", auth: true, logger, port: await freePort(), mqttPort: squatter.port });
      try {
        assert.equal(served.mqttUrl, undefined);
        assert.match(served.adminPassword ?? "", /^.{12,}$/);
        assert.ok(warnings.some((w) => /embedded MQTT broker not started: .*:\d+, the port for the embedded MQTT broker \(--mqtt-port\), is already in use.*SERVE_PORT_IN_USE/.test(w)), warnings.join("\n"));
      } finally {
        await served.close();
      }
    } finally {
      squatter.server.close();
    }
  });

  it("tells the CLI user which port is busy and how to choose another", async () => {
    const squatter = await squat();
    const dataDir = mkdtempSync(join(tmpdir(), "aiotflow-busy-cli-"));
    try {
      const child = spawn(process.execPath, ["bin/aiotflow.js", "serve", "--data-dir", dataDir, "--port", String(squatter.port), "--no-mqtt"], {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, AIOTFLOW_FROM_SOURCE: "1" },
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await within(new Promise<number | null>((resolve) => child.on("close", resolve)), START_MS, "the failed start");
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${squatter.port}.*--port.*already in use.*SERVE_PORT_IN_USE`));
      assert.match(stderr, /npm start -- --port 18080/);
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace for a busy port");
    } finally {
      squatter.server.close();
    }
  });
});
