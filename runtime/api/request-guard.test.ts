import assert from "node:assert/strict";
import { createServer, IncomingMessage, type IncomingHttpHeaders } from "node:http";
import { Socket, type AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import { errorExit } from "./http-errors.ts";
import { crossSiteProblem, isLoopbackHost, requestGuard } from "./request-guard.ts";

function requestOf(method: string, headers: IncomingHttpHeaders): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.headers = headers;
  return req;
}

describe("isLoopbackHost", () => {
  const cases: Array<[string | undefined, boolean]> = [
    ["127.0.0.1", true],
    ["127.0.0.1:8080", true],
    ["localhost", true],
    ["LOCALHOST:3000", true],
    ["[::1]", true],
    ["[::1]:443", true],
    [" localhost ", true],
    [undefined, false],
    ["", false],
    ["evil.example", false],
    ["localhost.evil.example", false],
    ["127.0.0.1.nip.io", false],
    ["10.0.0.5:8080", false],
    ["localhost:99999999", false],
    ["user@localhost", false],
  ];
  for (const [host, loopback] of cases) {
    it(`${loopback ? "takes" : "refuses"} ${JSON.stringify(host)} as a loopback name`, () => assert.equal(isLoopbackHost(host), loopback));
  }
});

describe("crossSiteProblem", () => {
  const HOST = "plant.example:8080";
  const cases: Array<[string, string, IncomingHttpHeaders, boolean, boolean]> = [
    // [what, method, headers, auth, refused]
    ["a write without Origin (curl, scripts)", "POST", { host: HOST }, true, false],
    ["a write from the API's own origin", "PUT", { host: HOST, origin: `http://${HOST}` }, true, false],
    ["a write from its own origin, names in another case", "DELETE", { host: "Plant.Example:8080", origin: `https://plant.EXAMPLE:8080` }, true, false],
    ["a write from another site", "POST", { host: HOST, origin: "https://evil.example" }, true, true],
    ["a write from the same name on another port", "POST", { host: HOST, origin: "http://plant.example:9090" }, true, true],
    ["a write from a sandboxed frame (Origin: null)", "POST", { host: HOST, origin: "null" }, true, true],
    ["a write with an Origin that is no URL", "PATCH", { host: HOST, origin: "not a url" }, true, true],
    ["a write with an Origin but no Host", "POST", { origin: "https://evil.example" }, true, true],
    ["a read from another site (reads are not cross-site writes)", "GET", { host: HOST, origin: "https://evil.example" }, true, false],
    ["a HEAD or OPTIONS from another site", "OPTIONS", { host: HOST, origin: "https://evil.example" }, true, false],
    ["--no-auth: a read with a loopback Host", "GET", { host: "localhost:8080" }, false, false],
    ["--no-auth: a read with a rebound Host (DNS rebinding)", "GET", { host: "evil.example" }, false, true],
    ["--no-auth: a read without Host", "GET", {}, false, true],
    ["--no-auth: a write from its own loopback origin", "POST", { host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" }, false, false],
    ["--no-auth: a write from another site to a loopback Host", "POST", { host: "127.0.0.1:8080", origin: "https://evil.example" }, false, true],
  ];
  for (const [what, method, headers, auth, refused] of cases) {
    it(`${refused ? "refuses" : "lets through"} ${what}`, () => {
      const problem = crossSiteProblem(requestOf(method, headers), auth);
      assert.equal(problem?.code, refused ? "AUTH_FORBIDDEN" : undefined);
      if (problem) assert.equal(problem.status, 403);
    });
  }

  it("quotes at most 100 characters of a hostile Host or Origin in its message", () => {
    const long = "e".repeat(5000);
    const rebound = crossSiteProblem(requestOf("GET", { host: long }), false);
    const foreign = crossSiteProblem(requestOf("POST", { host: HOST, origin: `https://${long}` }), true);
    for (const problem of [rebound, foreign]) {
      assert.ok(problem);
      assert.ok(problem.message.length < 300, `${problem.message.length} characters`);
    }
    assert.match(rebound!.message, /only loopback names may be used as Host/);
    assert.match(foreign!.message, /the API only takes writes from its own origin/);
  });
});

describe("requestGuard", () => {
  it("passes a refusal to the error exit (403) and lets other requests on to the routes", async () => {
    const app = express();
    app.use(requestGuard(true));
    app.post("/api/thing", (_req, res) => void res.json({ done: true }));
    app.use(errorExit(undefined));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/thing`;
    try {
      const refused = await fetch(url, { method: "POST", headers: { origin: "https://evil.example" } });
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "AUTH_FORBIDDEN");
      const allowed = await fetch(url, { method: "POST" });
      assert.deepEqual(await allowed.json(), { done: true });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
