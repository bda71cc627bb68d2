import assert from "node:assert/strict";
import type { Server } from "node:http";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { ConnectionSupervisor } from "../supervisor.ts";
import { loadConnectionTypes } from "../registry.ts";
import { parseConfig } from "../../sdk/config.ts";
import httpEndpoint from "./http-endpoint.ts";

describe("http-endpoint connection: test connection", () => {
  let server: Server;
  let base = "";
  let refused = "";
  let supervisor: ConnectionSupervisor;
  before(async () => {
    const app = express();
    app.get("/health", (req, res) => void res.status(req.headers["x-api-key"] === "k3y" ? 200 : 401).end());
    app.get("/broken", (_req, res) => void res.status(503).end());
    app.get("/slow", () => undefined); // never answers
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const probe = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => probe.once("listening", resolve));
    refused = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((resolve) => probe.close(resolve));
    supervisor = new ConnectionSupervisor({ types: await loadConnectionTypes(), secrets: (name) => ({ key: "k3y", stale: "old" })[name] });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  for (const example of httpEndpoint.examples) {
    it(`accepts its example "${example.title}"`, () => assert.ok(parseConfig({ type: httpEndpoint.type, config: httpEndpoint.config }, example.config, "config").ok));
  }

  const cases: Array<{ name: string; config: () => Record<string, unknown>; code?: string }> = [
    { name: "the right API key from the secret store", config: () => ({ url: base, healthPath: "/health", headers: { "X-Api-Key": { $secret: "key" } } }) },
    { name: "a refused API key", config: () => ({ url: base, healthPath: "/health", headers: { "X-Api-Key": { $secret: "stale" } } }), code: "CONNECTION_AUTH_FAILED" },
    { name: "a server answering 503", config: () => ({ url: base, healthPath: "/broken" }), code: "CONNECTION_FAILED" },
    { name: "a server that never answers", config: () => ({ url: base, healthPath: "/slow", timeoutMs: 200 }), code: "CONNECTION_TIMEOUT" },
    { name: "nothing listening", config: () => ({ url: refused }), code: "CONNECTION_REFUSED" },
    { name: "a missing secret", config: () => ({ url: base, headers: { authorization: { $secret: "nope" } } }), code: "SECRET_MISSING" },
    { name: "a URL that is not http(s)", config: () => ({ url: "ftp://x" }), code: "CONNECTION_CONFIG_INVALID" },
  ];
  for (const { name, config, code } of cases) {
    it(code ? `fails with ${code} for ${name}` : `passes with ${name}`, async () => {
      const result = await supervisor.test("http-endpoint", config());
      if (!code) return assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.code, code, result.message);
    });
  }
});
