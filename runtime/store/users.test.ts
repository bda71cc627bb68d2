import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AiotError } from "../sdk/errors.ts";
import { LowdbUserStore } from "./users.ts";

const HOUR = 60 * 60 * 1000;

async function open(dir = mkdtempSync(join(tmpdir(), "aiotflow-store-"))) {
  let now = Date.parse("2025-03-01T08:00:00Z");
  const users = await LowdbUserStore.open(dir, { clock: { now: () => now } });
  return { dir, users, file: join(dir, "users.json"), tick: (ms: number) => void (now += ms) };
}

const coded = (code: string, path?: string) => (error: unknown) => {
  assert.ok(error instanceof AiotError, String(error));
  assert.equal(error.code, code, error.message);
  if (path) assert.equal(error.details.path, path);
  return true;
};

describe("users: first admin", () => {
  it("creates admin with a random one-time password on an empty store, once", async () => {
    const { users, file } = await open();
    const first = await users.ensureAdmin();
    assert.equal(first.username, "admin");
    assert.ok(first.password && first.password.length >= 24);
    assert.deepEqual(await users.ensureAdmin(), { username: "admin" });
    assert.equal((await users.checkPassword("admin", first.password))?.role, "admin");
    assert.equal(readFileSync(file, "utf8").includes(first.password), false, "the password is stored only as a hash");
    assert.match(readFileSync(file, "utf8"), /"passwordHash": "scrypt\$16384\$8\$1\$[^$]+\$[^$]+"/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("uses the password from the environment without echoing it back", async () => {
    const { users } = await open();
    assert.deepEqual(await users.ensureAdmin("from-the-env-123"), { username: "admin" });
    assert.ok(await users.checkPassword("admin", "from-the-env-123"));
  });

  it("creates one admin when asked twice at once", async () => {
    const { users } = await open();
    await Promise.all([users.ensureAdmin(), users.ensureAdmin()]);
    assert.equal(users.listUsers().length, 1);
  });

  it("refuses a too-short password from the environment, creating no one (USER_INVALID)", async () => {
    const { users } = await open();
    await assert.rejects(users.ensureAdmin("short"), coded("USER_INVALID", "password"));
    assert.deepEqual(users.listUsers(), []);
  });
});

describe("users: accounts and passwords", () => {
  const badInput: Array<[string, string, string, string, string]> = [
    ["an empty username", "", "viewer", "long-enough-1", "username"],
    ["an upper-case username", "Admin", "viewer", "long-enough-1", "username"],
    ["a path in the username", "../root", "viewer", "long-enough-1", "username"],
    ["a username with a space", "a b", "viewer", "long-enough-1", "username"],
    ["a 65-character username", "a".repeat(65), "viewer", "long-enough-1", "username"],
    ["an unknown role", "ana", "root", "long-enough-1", "role"],
    ["a 7-character password", "ana", "viewer", "1234567", "password"],
  ];
  for (const [name, username, role, password, path] of badInput) {
    it(`refuses ${name} (USER_INVALID at ${path})`, async () => {
      const { users } = await open();
      await assert.rejects(users.createUser(username, role as "viewer", password), coded("USER_INVALID", path));
      assert.deepEqual(users.listUsers(), []);
    });
  }

  it("refuses a second user of the same name (USER_EXISTS)", async () => {
    const { users } = await open();
    await users.createUser("ana", "editor", "first-password");
    await assert.rejects(users.createUser("ana", "admin", "second-password"), coded("USER_EXISTS"));
    assert.deepEqual(users.listUsers().map((u) => [u.username, u.role]), [["ana", "editor"]]);
  });

  it("answers a wrong password, an unknown user and a disabled user the same way", async () => {
    const { users } = await open();
    const ana = await users.createUser("ana", "editor", "right-password");
    assert.deepEqual(Object.keys(ana).sort(), ["createdAt", "role", "username"], "no hash in what is returned");
    assert.deepEqual(await users.checkPassword("ana", "right-password"), ana);
    assert.equal(await users.checkPassword("ana", "wrong-password"), undefined);
    assert.equal(await users.checkPassword("nobody", "right-password"), undefined);
    await users.setUserDisabled("ana", true);
    assert.equal(await users.checkPassword("ana", "right-password"), undefined);
    await users.setUserDisabled("ana", false);
    assert.ok(await users.checkPassword("ana", "right-password"));
    await assert.rejects(users.setUserDisabled("nobody", true), coded("USER_NOT_FOUND"));
  });

  it("sets a new password, revoking the user's session tokens but not API tokens or other users' sessions", async () => {
    const { users, dir } = await open();
    await users.createUser("ana", "editor", "right-password");
    await users.createUser("bob", "editor", "bobs-password");
    const session = await users.issueToken({ username: "ana", name: "login", kind: "session" });
    const api = await users.issueToken({ username: "ana", name: "ci", kind: "api" });
    const bob = await users.issueToken({ username: "bob", name: "login", kind: "session" });
    await assert.rejects(users.setPassword("ana", "short"), coded("USER_INVALID", "password"));
    await assert.rejects(users.setPassword("nobody", "long enough"), coded("USER_NOT_FOUND"));
    const { user, revokedSessions } = await users.setPassword("ana", "a new password");
    assert.deepEqual([user.username, revokedSessions], ["ana", 1]);
    assert.deepEqual(Object.keys(user).sort(), ["createdAt", "role", "username"]);
    assert.equal(await users.checkPassword("ana", "right-password"), undefined);
    assert.ok(await users.checkPassword("ana", "a new password"));
    assert.deepEqual(users.authenticate(session.token), { ok: false, reason: "unknown" });
    assert.ok(users.authenticate(api.token).ok);
    assert.ok(users.authenticate(bob.token).ok);
    const reopened = await LowdbUserStore.open(dir);
    assert.ok(await reopened.checkPassword("ana", "a new password"), "the new hash is on disk");
  });
});

describe("users: tokens", () => {
  it("issues a session token that lasts 12 hours, storing only its hash", async () => {
    const { users, file, tick } = await open();
    await users.createUser("ana", "operator", "right-password");
    const { token, info } = await users.issueToken({ username: "ana", name: "browser", kind: "session" });
    assert.match(token, new RegExp(`^aft_${info.id}_[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(info, { id: info.id, name: "browser", username: "ana", role: "operator", kind: "session", createdAt: "2025-03-01T08:00:00.000Z", expiresAt: "2025-03-01T20:00:00.000Z" });
    assert.equal(readFileSync(file, "utf8").includes(token.split("_")[2]!), false);
    assert.deepEqual(users.authenticate(token), { ok: true, principal: { username: "ana", role: "operator", tokenId: info.id } });
    tick(12 * HOUR - 1);
    assert.equal(users.authenticate(token).ok, true);
    tick(1);
    assert.deepEqual(users.authenticate(token), { ok: false, reason: "expired" });
  });

  it("issues api tokens with no expiry unless given one, and with a lower role on request", async () => {
    const { users, tick } = await open();
    await users.createUser("mes", "operator", "right-password");
    const forever = await users.issueToken({ username: "mes", name: "mes", kind: "api", role: "viewer" });
    const hourly = await users.issueToken({ username: "mes", name: "ci", kind: "api", ttlMs: HOUR });
    assert.equal(forever.info.expiresAt, undefined);
    tick(24 * 365 * HOUR);
    assert.deepEqual(users.authenticate(forever.token), { ok: true, principal: { username: "mes", role: "viewer", tokenId: forever.info.id } });
    assert.deepEqual(users.authenticate(hourly.token), { ok: false, reason: "expired" });
  });

  it("answers unknown for anything that is not a live token it issued", async () => {
    const { users } = await open();
    await users.createUser("ana", "viewer", "right-password");
    const { token, info } = await users.issueToken({ username: "ana", name: "x", kind: "api" });
    const last = token.at(-1) === "A" ? "B" : "A";
    const forged = ["", "garbage", "Bearer " + token, token + "x", token.slice(0, -1) + last, `aft_${"0".repeat(12)}_${token.split("_").slice(2).join("_")}`];
    for (const candidate of forged) assert.deepEqual(users.authenticate(candidate), { ok: false, reason: "unknown" }, candidate);
    assert.equal(users.authenticate(undefined as unknown as string).ok, false);
    assert.equal(await users.revokeToken(info.id), true);
    assert.equal(await users.revokeToken(info.id), false);
    assert.deepEqual(users.authenticate(token), { ok: false, reason: "unknown" });
  });

  it("answers disabled for a token of a disabled user", async () => {
    const { users } = await open();
    await users.createUser("ana", "viewer", "right-password");
    const { token } = await users.issueToken({ username: "ana", name: "x", kind: "api" });
    await users.setUserDisabled("ana", true);
    assert.deepEqual(users.authenticate(token), { ok: false, reason: "disabled" });
    await assert.rejects(users.issueToken({ username: "ana", name: "y", kind: "api" }), coded("USER_DISABLED"));
  });

  it("gives a token no more than its user's role, even after the role was lowered by hand", async () => {
    const { dir, users, file } = await open();
    await users.createUser("ana", "operator", "right-password");
    await assert.rejects(users.issueToken({ username: "ana", name: "x", kind: "api", role: "admin" }), coded("ROLE_NOT_ALLOWED", "role"));
    const { token } = await users.issueToken({ username: "ana", name: "x", kind: "api" });
    writeFileSync(file, readFileSync(file, "utf8").replace('"role": "operator",\n      "createdAt": "2025-03-01T08:00:00.000Z",\n      "passwordHash"', '"role": "viewer",\n      "createdAt": "2025-03-01T08:00:00.000Z",\n      "passwordHash"'));
    const reopened = await LowdbUserStore.open(dir);
    assert.equal(reopened.listUsers()[0]?.role, "viewer");
    assert.deepEqual(reopened.authenticate(token), { ok: true, principal: { username: "ana", role: "viewer", tokenId: reopened.listTokens()[0]!.id } });
  });

  const badTokens: Array<[string, Record<string, unknown>, string, string]> = [
    ["an unknown user", { username: "nobody" }, "USER_NOT_FOUND", "username"],
    ["an empty name", { name: "" }, "TOKEN_INVALID", "name"],
    ["a zero lifetime", { ttlMs: 0 }, "TOKEN_INVALID", "ttlMs"],
    ["a negative lifetime", { ttlMs: -5 }, "TOKEN_INVALID", "ttlMs"],
    ["a NaN lifetime", { ttlMs: Number.NaN }, "TOKEN_INVALID", "ttlMs"],
    ["an infinite lifetime", { ttlMs: Number.POSITIVE_INFINITY }, "TOKEN_INVALID", "ttlMs"],
    ["an unknown kind", { kind: "forever" }, "TOKEN_INVALID", "kind"],
    ["an unknown role", { role: "root" }, "USER_INVALID", "role"],
  ];
  for (const [name, change, code, path] of badTokens) {
    it(`refuses a token for ${name} (${code})`, async () => {
      const { users } = await open();
      await users.createUser("ana", "admin", "right-password");
      const input = { username: "ana", name: "x", kind: "api", ...change } as Parameters<LowdbUserStore["issueToken"]>[0];
      await assert.rejects(users.issueToken(input), coded(code, path));
      assert.deepEqual(users.listTokens(), []);
    });
  }

  it("lists tokens without their hashes, by user, and forgets tokens a day after they expired", async () => {
    const { users, tick } = await open();
    await users.createUser("ana", "viewer", "right-password");
    await users.createUser("ben", "viewer", "right-password");
    const session = await users.issueToken({ username: "ana", name: "browser", kind: "session" });
    await users.issueToken({ username: "ben", name: "ci", kind: "api" });
    assert.deepEqual(users.listTokens("ana"), [session.info]);
    assert.equal(users.listTokens().length, 2);
    tick(12 * HOUR + 24 * HOUR);
    await users.issueToken({ username: "ana", name: "browser", kind: "session" });
    assert.deepEqual(users.listTokens("ana").map((t) => t.id).includes(session.info.id), false);
    assert.equal(users.listTokens("ben").length, 1);
  });

  it("keeps tokens across a restart", async () => {
    const { dir, users } = await open();
    await users.createUser("ana", "viewer", "right-password");
    const { token } = await users.issueToken({ username: "ana", name: "x", kind: "api" });
    assert.equal((await LowdbUserStore.open(dir)).authenticate(token).ok, true);
  });
});

describe("users: damaged file", () => {
  const damage: Array<[string, (text: string) => string, RegExp]> = [
    ["bad JSON", (text) => text.replace('"users": [', '"users": [,'), /invalid JSON at line 3/],
    ["a role edited to one that does not exist", (text) => text.replace('"role": "viewer"', '"role": "root"'), /users\[0\]\.role/],
    ["a clear-text password", (text) => text.replace(/"passwordHash": "[^"]+"/, '"passwordHash": "hunter2"'), /users\[0\]\.passwordHash/],
    ["a token of a user who is not there", (text) => text.replace(/("tokens"[\s\S]*"username": )"ana"/, '$1"eve"'), /tokens\[0\]\.username: no user "eve"/],
  ];
  for (const [name, change, message] of damage) {
    it(`refuses to open users.json with ${name} (STORE_CORRUPT)`, async () => {
      const { dir, users, file } = await open();
      await users.createUser("ana", "viewer", "right-password");
      await users.issueToken({ username: "ana", name: "x", kind: "api" });
      writeFileSync(file, change(readFileSync(file, "utf8")));
      await assert.rejects(LowdbUserStore.open(dir), (e: unknown) => coded("STORE_CORRUPT")(e) && message.test((e as AiotError).message) && (e as AiotError).details.file === file);
    });
  }
});
