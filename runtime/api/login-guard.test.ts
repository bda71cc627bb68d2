import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { MemoryUserStore } from "../../test/support/api-stores.ts";
import { until } from "../../test/support/wait.ts";
import { isAiotError } from "../sdk/errors.ts";
import { createLoginGuard, loginGuard, type LoginGuard } from "./login-guard.ts";

const WINDOW_MS = 60_000;

/** A guard allowing 3 failures a minute, on a clock the test moves (Date is mocked). */
function guardOnClock(t: TestContext, limits: Parameters<typeof createLoginGuard>[0] = {}): LoginGuard {
  t.mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
  return createLoginGuard({ maxFailures: 3, windowMs: WINDOW_MS, ...limits });
}

/** The retryAfterSeconds of the refusal admit() throws, or undefined when it admits. */
function retryAfter(guard: LoginGuard, username: string, from: string): number | undefined {
  try {
    guard.admit(username, from);
    return undefined;
  } catch (error) {
    assert.ok(isAiotError(error) && error.code === "AUTH_THROTTLED", String(error));
    return Number(error.details["retryAfterSeconds"]);
  }
}

describe("login throttling", () => {
  it("refuses an address after maxFailures failures in the window, until its oldest failure leaves the window", (t) => {
    const guard = guardOnClock(t);
    for (let i = 0; i < 3; i++) {
      assert.equal(retryAfter(guard, `guess-${i}`, "10.0.0.1"), undefined, `failure ${i} is still admitted`);
      guard.failed(`guess-${i}`, "10.0.0.1");
      t.mock.timers.tick(10_000);
    }
    // Failures at 0 s, 10 s and 20 s; now 30 s: the first leaves the window at 60 s.
    assert.equal(retryAfter(guard, "anyone", "10.0.0.1"), 30);
    assert.equal(retryAfter(guard, "anyone", "10.0.0.2"), undefined, "another address is not throttled");
    t.mock.timers.tick(29_999);
    assert.equal(retryAfter(guard, "anyone", "10.0.0.1"), 1, "never less than a second");
    t.mock.timers.tick(1);
    assert.equal(retryAfter(guard, "anyone", "10.0.0.1"), undefined);
  });

  it("says how long to wait in its message, and quotes at most 64 characters of a username", (t) => {
    const guard = guardOnClock(t, { maxFailures: 2 });
    const long = "u".repeat(500);
    guard.failed(long, "10.0.0.1");
    guard.failed(long, "10.0.0.2");
    assert.throws(() => guard.admit(long, "10.0.0.1"), { code: "AUTH_THROTTLED", message: `too many failed logins for "${"u".repeat(64)}"; try again in 60 s` });
    guard.failed("ana", "10.0.0.9");
    guard.failed("bob", "10.0.0.9");
    assert.throws(() => guard.admit("carl", "10.0.0.9"), { code: "AUTH_THROTTLED", message: "too many failed logins from this address; try again in 60 s" });
  });

  it("refuses a username guessed from many addresses to those addresses only, so its user still logs in from a clean one", (t) => {
    const guard = guardOnClock(t);
    for (const from of ["10.0.1.1", "10.0.1.2", "10.0.1.3"]) guard.failed("ana", from);
    for (const from of ["10.0.1.1", "10.0.1.3"]) {
      assert.throws(() => guard.admit("ana", from), { code: "AUTH_THROTTLED", message: /for "ana"/ }, from);
    }
    assert.equal(retryAfter(guard, "ana", "192.168.5.5"), undefined, "the user from a clean address");
    assert.equal(retryAfter(guard, "bob", "10.0.1.1"), undefined, "another user from a guessing address");
  });

  it("forgets a user's failures from an address once a login from it succeeds, but keeps the address's own count", (t) => {
    const guard = guardOnClock(t);
    guard.failed("ana", "10.0.0.1");
    guard.failed("ana", "10.0.0.1");
    guard.failed("ana", "10.0.0.2");
    assert.notEqual(retryAfter(guard, "ana", "10.0.0.2"), undefined);
    guard.succeeded("ana", "10.0.0.1");
    assert.equal(retryAfter(guard, "ana", "10.0.0.2"), undefined, "one failure of ana's is left");
    guard.failed("bob", "10.0.0.1");
    assert.notEqual(retryAfter(guard, "carl", "10.0.0.1"), undefined, "10.0.0.1 failed three times");
  });

  it("counts failures older than the window as gone", (t) => {
    const guard = guardOnClock(t);
    for (let i = 0; i < 10; i++) {
      guard.failed("ana", "10.0.0.1");
      t.mock.timers.tick(WINDOW_MS / 2);
    }
    assert.equal(retryAfter(guard, "ana", "10.0.0.1"), undefined, "at most two failures were ever within one window");
  });

  it("tracks at most 20 000 addresses, forgetting the stalest first", (t) => {
    const guard = guardOnClock(t, { maxFailures: 1 });
    for (let i = 0; i <= 20_000; i++) guard.failed("ana", `addr-${i}`);
    assert.equal(retryAfter(guard, "bob", "addr-0"), undefined, "the first address was forgotten");
    assert.notEqual(retryAfter(guard, "bob", "addr-1"), undefined);
    assert.notEqual(retryAfter(guard, "bob", "addr-20000"), undefined);
  });
});

describe("password checks in turn", () => {
  /** A task the test finishes (or fails) when it likes, recording that it started. */
  function held(started: string[], name: string) {
    let finish!: (value: string) => void;
    let fail!: (error: Error) => void;
    const done = new Promise<string>((resolve, reject) => ((finish = resolve), (fail = reject)));
    return { task: () => (started.push(name), done), finish: () => finish(name), fail: () => fail(new Error(`${name} failed`)) };
  }

  it("runs at most maxConcurrent checks at once and starts the waiting ones in order as turns free up", async () => {
    const guard = createLoginGuard({ maxConcurrent: 2 });
    const started: string[] = [];
    const checks = ["a", "b", "c", "d"].map((name) => held(started, name));
    const settled = Promise.allSettled(checks.map((check) => guard.check(check.task)));
    await until(() => started.length === 2, "two checks to start");
    assert.deepEqual(started, ["a", "b"]);
    checks[1]!.finish();
    await until(() => started.length === 3, "c to take b's turn");
    assert.deepEqual(started, ["a", "b", "c"]);
    checks[0]!.fail();
    await until(() => started.length === 4, "d to take the failed a's turn");
    checks[2]!.finish();
    checks[3]!.finish();
    assert.deepEqual((await settled).map((r) => r.status), ["rejected", "fulfilled", "fulfilled", "fulfilled"]);
    // Every turn was handed back: two new checks run at once again.
    const again: string[] = [];
    const next = [held(again, "e"), held(again, "f")];
    const nextResults = next.map((check) => guard.check(check.task));
    await until(() => again.length === 2, "both new checks to start at once");
    next.forEach((check) => check.finish());
    assert.deepEqual(await Promise.all(nextResults), ["e", "f"]);
  });

  it("refuses a check with 429 when maxQueued already wait, without running it", async () => {
    const guard = createLoginGuard({ maxConcurrent: 1, maxQueued: 1 });
    const started: string[] = [];
    const running = held(started, "running");
    const waiting = held(started, "waiting");
    const results = [guard.check(running.task), guard.check(waiting.task)];
    let ran = false;
    await assert.rejects(guard.check(async () => (ran = true)), { code: "AUTH_THROTTLED", details: { retryAfterSeconds: 1 } });
    assert.equal(ran, false);
    running.finish();
    await until(() => started.includes("waiting"), "the queued check to start");
    waiting.finish();
    assert.deepEqual(await Promise.all(results), ["running", "waiting"]);
  });
});

describe("loginGuard", () => {
  it("is one guard per user store, so login and password change share their counts", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
    const users = new MemoryUserStore();
    const first = loginGuard(users, { maxFailures: 1 });
    assert.equal(loginGuard(users), first);
    first.failed("ana", "10.0.0.1");
    assert.throws(() => loginGuard(users).admit("ana", "10.0.0.1"), { code: "AUTH_THROTTLED" });
    const other = loginGuard(new MemoryUserStore(), { maxFailures: 1 });
    assert.notEqual(other, first);
    assert.doesNotThrow(() => other.admit("ana", "10.0.0.1"));
  });
});
