import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Role } from "../contract/access.ts";
import { auditOf, PASSWORD, sampleFlow, startApi, type TestApi } from "../../test/support/api.ts";
import { until } from "../../test/support/wait.ts";
import { loginGuard } from "./login-guard.ts";

describe("authentication and roles", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi()));
  afterEach(() => t.close());

  it("exchanges a username and password for a session token that works", async () => {
    const login = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username: "editor", password: PASSWORD } });
    assert.equal(login.status, 200);
    assert.deepEqual(login.body.user, { username: "editor", role: "editor" });
    assert.ok(login.body.expiresAt);
    const me = await t.request("GET", "/api/auth/me", { as: { token: login.body.token } });
    assert.equal(me.body.principal.username, "editor");
    assert.deepEqual(
      t.audit.records.filter((r) => r.action === "auth.login").map((r) => [r.actor, r.outcome]),
      [["editor", "ok"]],
    );
  });

  it("refuses a wrong password and an unknown user alike, after a delay, and audits both", async () => {
    for (const [username, password] of [["editor", "guess"], ["mallory", PASSWORD]] as const) {
      const started = performance.now();
      const reply = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username, password } });
      assert.ok(performance.now() - started >= 45, "answered before the delay");
      assert.equal(reply.status, 401);
      assert.equal(reply.body.error.code, "AUTH_LOGIN_FAILED");
      assert.equal(reply.body.error.message, "wrong username or password");
    }
    assert.deepEqual(
      auditOf(t.audit, "refused").map((r) => [r.action, r.actor, r.target]),
      [["auth.login", "editor", "user:editor"], ["auth.login", "mallory", "user:mallory"]],
    );
  });

  it("refuses missing, unknown, malformed, expired and disabled tokens with 401, changes nothing and audits each", async () => {
    const expiring = await t.users.issueToken({ username: "editor", name: "short", kind: "api", ttlMs: 1000 });
    await t.users.createUser("leaver", "editor", PASSWORD);
    const leaver = await t.users.issueToken({ username: "leaver", name: "laptop", kind: "api" });
    await t.users.setUserDisabled("leaver", true);
    t.users.skewMs = 5000;
    const cases: Array<[string, Parameters<TestApi["request"]>[2], string]> = [
      ["no token", { as: "nobody" }, "AUTH_REQUIRED"],
      ["an unknown token", { as: { token: "not-a-token" } }, "AUTH_INVALID"],
      ["a Basic header", { as: "nobody", headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }, "AUTH_INVALID"],
      ["an expired token", { as: { token: expiring.token } }, "AUTH_EXPIRED"],
      ["a disabled user's token", { as: { token: leaver.token } }, "AUTH_INVALID"],
    ];
    for (const [what, options, code] of cases) {
      const reply = await t.request("POST", "/api/flows", { ...options, body: { document: sampleFlow() } });
      assert.equal(reply.status, 401, what);
      assert.equal(reply.body.error.code, code, what);
    }
    assert.equal(t.flows.listFlows().length, 0);
    const refusals = auditOf(t.audit, "refused");
    assert.equal(refusals.length, cases.length);
    for (const record of refusals) {
      assert.equal(record.action, "flow.create");
      assert.equal(record.actor, "(unauthenticated)");
      assert.equal(record.detail?.["status"], 401);
    }
  });

  it("refuses a role below the route's with 403, changes nothing and audits the refusal", async () => {
    await t.request("POST", "/api/flows", { as: "editor", body: { document: sampleFlow() } });
    const before = t.audit.records.length;
    const cases: Array<[Role, string, string, unknown?]> = [
      ["viewer", "PUT", "/api/flows/line-1", { document: sampleFlow(), baseVersion: 1 }],
      ["viewer", "DELETE", "/api/flows/line-1"],
      ["editor", "POST", "/api/flows/line-1/deploy"],
      ["editor", "GET", "/api/audit"],
      ["operator", "GET", "/api/users"],
      ["operator", "PUT", "/api/secrets/db-url", { value: "postgres://x" }],
      ["operator", "POST", "/api/tokens", { name: "ci" }],
    ];
    for (const [role, method, path, body] of cases) {
      const reply = await t.request(method, path, { as: role, body });
      assert.equal(reply.status, 403, `${role} ${method} ${path}`);
      assert.equal(reply.body.error.code, "AUTH_FORBIDDEN");
    }
    assert.equal(t.flows.getFlow("line-1")?.latestVersion, 1);
    assert.equal(t.runtime.deploys.length, 0);
    assert.equal(t.secrets.list().length, 0);
    const refusals = t.audit.records.slice(before);
    assert.deepEqual(
      refusals.map((r) => [r.actor, r.outcome, r.target]),
      cases.map(([role, , path]) => [role, "refused", path.startsWith("/api/flows/") ? "flow:line-1" : path.startsWith("/api/secrets/") ? "secret:db-url" : path]),
    );
  });

  it("lets each role do what the roles before it may", async () => {
    const allowed = async (role: Role, method: string, path: string, body?: unknown) => (await t.request(method, path, { as: role, body })).status < 400;
    const table: Array<[string, string, (role: Role) => unknown, Role]> = [
      ["GET", "/api/flows", () => undefined, "viewer"],
      ["POST", "/api/flows", (role) => ({ document: sampleFlow(`by-${role}`) }), "editor"],
      ["GET", "/api/audit", () => undefined, "operator"],
      ["GET", "/api/users", () => undefined, "admin"],
    ];
    const order: Role[] = ["viewer", "editor", "operator", "admin"];
    for (const [method, path, body, least] of table) {
      for (const role of order) {
        assert.equal(await allowed(role, method, path, body(role)), order.indexOf(role) >= order.indexOf(least), `${role} ${method} ${path}`);
      }
    }
  });

  it("revokes the session token on logout", async () => {
    const login = await t.request("POST", "/api/auth/login", { as: "nobody", body: { username: "viewer", password: PASSWORD } });
    const as = { token: login.body.token };
    assert.equal((await t.request("POST", "/api/auth/logout", { as })).body.revoked, true);
    const after = await t.request("GET", "/api/auth/me", { as });
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, "AUTH_INVALID");
  });
});

describe("--no-auth demo mode", () => {
  it("treats every caller as the admin anonymous, and still audits", async () => {
    const t = await startApi({ auth: false });
    try {
      const created = await t.request("POST", "/api/flows", { as: "nobody", body: { document: sampleFlow() } });
      assert.equal(created.status, 201);
      assert.equal((await t.request("GET", "/api/users", { as: "nobody" })).status, 200);
      const me = await t.request("GET", "/api/auth/me", { as: "nobody" });
      assert.deepEqual(me.body.principal, { username: "anonymous", role: "admin" });
      assert.deepEqual(
        t.audit.records.map((r) => [r.actor, r.action]),
        [["anonymous", "flow.create"]],
      );
    } finally {
      await t.close();
    }
  });
});

/** A request sent with node's http client: any Host, any local address (127.0.0.x are all loopback on Linux). */
function send(
  t: TestApi,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; localAddress?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: new URL(t.url).port,
        path,
        method,
        ...(options.localAddress && { localAddress: options.localAddress }),
        headers: { ...(text !== undefined && { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }), ...options.headers },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (data += chunk));
        res.on("end", () => {
          let body: unknown;
          try {
            body = JSON.parse(data);
          } catch {
            body = data;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

describe("refusals in the audit log", () => {
  it("writes at most perWindow refusal records per (reason, address), then one summary with the count", async (test) => {
    const t = await startApi({ limits: { refusalAudit: { perWindow: 3, windowMs: 300 } } });
    // The recorder reads Date.now() and ends a window with setTimeout: both are mocked, and the
    // window is ended by moving them on, not by waiting 300 ms.
    test.mock.timers.enable({ apis: ["Date", "setTimeout"], now: Date.now() });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await t.request("GET", "/api/flows", { as: "nobody" })).status, 401);
      for (let i = 0; i < 2; i++) assert.equal((await t.request("GET", "/api/users", { as: "viewer" })).status, 403);
      assert.equal(auditOf(t.audit, "refused").length, 5);
      test.mock.timers.tick(300);
      await until(() => t.audit.records.some((r) => r.action === "auth.refused-summary"), "the summary at the end of the window");
      const summaries = t.audit.records.filter((r) => r.action === "auth.refused-summary");
      assert.equal(summaries.length, 1);
      assert.deepEqual([summaries[0]!.detail?.["count"], summaries[0]!.detail?.["reason"]], [7, "AUTH_REQUIRED"]);
      // A new window writes records one by one again.
      await t.request("GET", "/api/flows", { as: "nobody" });
      assert.equal(t.audit.records.at(-1)?.action, "flow.list");
    } finally {
      test.mock.timers.reset();
      await t.close();
    }
  });
});

describe("passwords", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi()));
  afterEach(() => t.close());

  const login = (username: string, password: string) => t.request("POST", "/api/auth/login", { as: "nobody", body: { username, password } });

  it("lets a user change their own password, revoking their session tokens, and audits it without the password", async () => {
    const session = (await login("editor", PASSWORD)).body.token as string;
    const other = (await login("editor", PASSWORD)).body.token as string;
    const refused = await t.request("POST", "/api/auth/password", { as: { token: session }, body: { current: "wrong password", password: "a new password" } });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, "AUTH_LOGIN_FAILED");
    const short = await t.request("POST", "/api/auth/password", { as: { token: session }, body: { current: PASSWORD, password: "short" } });
    assert.equal(short.status, 400);
    const changed = await t.request("POST", "/api/auth/password", { as: { token: session }, body: { current: PASSWORD, password: "a new password" } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.revokedSessions, 2);
    for (const token of [session, other]) assert.equal((await t.request("GET", "/api/auth/me", { as: { token } })).status, 401);
    assert.equal((await t.request("GET", "/api/auth/me", { as: "editor" })).status, 200, "API tokens keep working");
    assert.equal((await t.request("GET", "/api/auth/me", { as: { token: changed.body.token as string } })).status, 200, "the answer carries a fresh session");
    assert.equal((await login("editor", PASSWORD)).status, 401);
    assert.equal((await login("editor", "a new password")).status, 200);
    const audit = t.audit.records.filter((r) => r.action === "auth.password");
    assert.deepEqual(audit.map((r) => [r.actor, r.target, r.outcome]), [["editor", "user:editor", "refused"], ["editor", "user:editor", "ok"]]);
    assert.doesNotMatch(JSON.stringify(t.audit.records), /a new password|wrong password/);
  });

  it("lets an admin reset a user's password (PUT /api/users/:user), revoking the user's sessions", async () => {
    const session = (await login("viewer", PASSWORD)).body.token as string;
    assert.equal((await t.request("PUT", "/api/users/viewer", { as: "operator", body: { password: "reset by admin" } })).status, 403);
    assert.equal((await t.request("PUT", "/api/users/viewer", { body: { password: "short" } })).status, 400);
    assert.equal((await t.request("PUT", "/api/users/viewer", { body: {} })).status, 400);
    const reset = await t.request("PUT", "/api/users/viewer", { body: { password: "reset by admin" } });
    assert.equal(reset.status, 200);
    assert.equal((await t.request("GET", "/api/auth/me", { as: { token: session } })).status, 401);
    assert.equal((await login("viewer", "reset by admin")).status, 200);
    const audit = t.audit.records.filter((r) => r.action === "user.update").at(-1)!;
    assert.deepEqual(audit.detail, { passwordReset: true, revokedSessions: 1 });
    assert.doesNotMatch(JSON.stringify(t.audit.records), /reset by admin/);
  });
});

describe("login throttling", () => {
  let t: TestApi;
  beforeEach(async () => (t = await startApi({ limits: { loginFailureDelayMs: 1 } })));
  afterEach(() => t.close());

  it("answers 429 with Retry-After after 10 failures from one address, without checking the password", async () => {
    const fail = (username: string) => send(t, "POST", "/api/auth/login", { body: { username, password: "wrong password" }, localAddress: "127.0.0.3" });
    for (let i = 0; i < 10; i++) assert.equal((await fail(i % 2 ? "editor" : "nobody-" + i)).status, 401);
    let checks = 0;
    const check = t.users.checkPassword.bind(t.users);
    t.users.checkPassword = (...args) => (checks++, check(...args));
    const throttled = await send(t, "POST", "/api/auth/login", { body: { username: "viewer", password: PASSWORD }, localAddress: "127.0.0.3" });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error.code, "AUTH_THROTTLED");
    assert.ok(throttled.body.error.hint);
    assert.ok(Number(throttled.headers["retry-after"]) >= 1);
    assert.equal(checks, 0);
    // Another address is not throttled.
    assert.equal((await send(t, "POST", "/api/auth/login", { body: { username: "viewer", password: PASSWORD }, localAddress: "127.0.0.4" })).status, 200);
  });

  it("throttles a username guessed from many addresses, but not its user's login from a clean address", async () => {
    for (let i = 0; i < 10; i++) {
      const reply = await send(t, "POST", "/api/auth/login", { body: { username: "editor", password: "wrong password" }, localAddress: `127.0.1.${i + 1}` });
      assert.equal(reply.status, 401);
    }
    const again = await send(t, "POST", "/api/auth/login", { body: { username: "editor", password: PASSWORD }, localAddress: "127.0.1.1" });
    assert.equal(again.status, 429);
    const clean = await send(t, "POST", "/api/auth/login", { body: { username: "editor", password: PASSWORD }, localAddress: "127.0.2.1" });
    assert.equal(clean.status, 200);
  });

  it("runs at most 4 password checks at once and queues the rest", async () => {
    // The guard the login route uses (one per user store): count the logins that reached it.
    const guard = loginGuard(t.users);
    const inTurn = guard.check.bind(guard);
    let arrived = 0;
    guard.check = (task) => (arrived++, inTurn(task));
    // Every check is held until all 12 logins are in, so none finishes and frees its turn early.
    let running = 0;
    let most = 0;
    let releaseChecks = () => {};
    const allIn = new Promise<void>((resolve) => (releaseChecks = resolve));
    const check = t.users.checkPassword.bind(t.users);
    t.users.checkPassword = async (...args) => {
      most = Math.max(most, ++running);
      await allIn;
      running--;
      return check(...args);
    };
    const replies = Promise.all(
      Array.from({ length: 12 }, (_, i) => send(t, "POST", "/api/auth/login", { body: { username: "viewer", password: PASSWORD }, localAddress: `127.0.3.${i + 1}` })),
    );
    await until(() => arrived === 12, "all 12 logins waiting for a password check");
    assert.equal(running, 4, "4 checks run, 8 wait their turn");
    releaseChecks();
    assert.deepEqual(new Set((await replies).map((r) => r.status)), new Set([200]));
    assert.equal(most, 4);
  });
});

describe("cross-site requests", () => {
  it("refuses writes whose Origin is another host, and form-typed requests to routes without a body", async () => {
    const t = await startApi();
    try {
      const auth = { authorization: `Bearer ${t.tokens.admin}` };
      const host = new URL(t.url).host;
      const foreign = await send(t, "POST", "/api/flows", { headers: { ...auth, origin: "https://evil.example" }, body: { document: sampleFlow("x") } });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.body.error.code, "AUTH_FORBIDDEN");
      assert.equal((await send(t, "DELETE", "/api/tokens/abc", { headers: { ...auth, origin: "null" } })).status, 403);
      assert.equal((await send(t, "GET", "/api/flows", { headers: { ...auth, origin: "https://evil.example" } })).status, 200);
      assert.equal((await send(t, "POST", "/api/flows", { headers: { ...auth, origin: `http://${host}` }, body: { document: sampleFlow("x") } })).status, 201);
      await t.request("POST", "/api/flows/x/deploy", { as: "operator" });
      const form = await send(t, "POST", "/api/flows/x/stop", { headers: { ...auth, "content-type": "application/x-www-form-urlencoded" } });
      assert.equal(form.status, 415);
      assert.equal(form.body.error.code, "API_CONTENT_TYPE");
      assert.equal(t.runtime.flows().length, 1);
      assert.equal((await send(t, "POST", "/api/flows/x/stop", { headers: { ...auth } })).status, 200);
    } finally {
      await t.close();
    }
  });

  it("refuses a non-loopback Host in --no-auth mode (DNS rebinding), for reads and WebSockets too", async () => {
    const t = await startApi({ auth: false });
    try {
      for (const host of ["evil.example", "evil.example:8080", "10.0.0.5"]) {
        const reply = await send(t, "GET", "/api/flows", { headers: { host } });
        assert.equal(reply.status, 403, host);
        assert.equal(reply.body.error.code, "AUTH_FORBIDDEN", host);
      }
      for (const host of ["localhost:1234", "127.0.0.1", "[::1]:80"]) assert.equal((await send(t, "GET", "/api/flows", { headers: { host } })).status, 200, host);
      const ws = await send(t, "GET", "/api/events", { headers: { host: "evil.example", connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      assert.equal(ws.status, 403);
    } finally {
      await t.close();
    }
  });
});

