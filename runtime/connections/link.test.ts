import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualClock } from "../sdk/clock.ts";
import { ConnectionFailure, defineConnection, type ConnectionContext, type ConnectionState } from "../sdk/connections.ts";
import { AiotError } from "../sdk/errors.ts";
import { Config } from "../sdk/schema.ts";
import { backoffDelay, DEFAULT_BACKOFF, describeFailure, Link } from "./link.ts";

/** Lets the link's promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/**
 * A connection type whose opens the test scripts: each `open` takes the next outcome (a client
 * name, or an error to throw); `lost` reports a break through the context of open number `open`
 * (default: the newest).
 */
function scripted(...outcomes: Array<string | Error>) {
  const closed: string[] = [];
  const contexts: ConnectionContext[] = [];
  let opens = 0;
  const definition = defineConnection({
    type: "scripted", title: "Scripted", summary: "Opens as the test says.", config: Config({}), examples: [],
    async open(_config: unknown, ctx: ConnectionContext) {
      contexts.push(ctx);
      const outcome = outcomes[opens++] ?? "extra";
      if (outcome instanceof Error) throw outcome;
      return { client: outcome, describe: `at ${outcome}`, close: async () => void closed.push(outcome) };
    },
  });
  const clock = new VirtualClock(0);
  const logs: Array<[string, string]> = [];
  const log = (level: string) => (message: string) => void logs.push([level, message]);
  let halted = false;
  const link = new Link("flow/broker", definition, {}, {
    clock, backoff: { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 }, random: () => 0.5, halted: () => halted,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    secret: () => "s3cret",
  });
  const states: ConnectionState[] = [];
  const clients: unknown[] = [];
  link.stateListeners.add((s) => void states.push(s));
  link.connectedListeners.add((c) => void clients.push(c));
  return { link, clock, logs, states, clients, closed, opens: () => opens, lost: (reason: string, code?: string, open = contexts.length) => contexts[open - 1]!.lost(reason, code), halt: () => void (halted = true) };
}

describe("backoffDelay", () => {
  const cases: Array<[number, number, number]> = [
    [1, 0.5, 500],
    [2, 0.5, 1_000],
    [4, 0.5, 4_000],
    [10, 0.5, 30_000],
    [1, 0, 400],
    [1, 0.999_999, 600],
    [0, 0.5, 500],
  ];
  for (const [failures, random, delay] of cases) {
    it(`waits ${delay} ms after ${failures} failure(s) with random ${random}`, () => assert.equal(backoffDelay(DEFAULT_BACKOFF, failures, random), delay));
  }
});

describe("describeFailure", () => {
  const cases: Array<[string, unknown, { code: string; reason: string; permanent: boolean }]> = [
    ["a ConnectionFailure", new ConnectionFailure("CONNECTION_AUTH_FAILED", "bad password", true), { code: "CONNECTION_AUTH_FAILED", reason: "bad password", permanent: true }],
    ["a transient ConnectionFailure", new ConnectionFailure("CONNECTION_REFUSED", "refused"), { code: "CONNECTION_REFUSED", reason: "refused", permanent: false }],
    ["a coded error (a mistake retrying cannot fix)", new AiotError("SECRET_MISSING", "no secret named x"), { code: "SECRET_MISSING", reason: "no secret named x", permanent: true }],
    ["any other error", new Error("ECONNRESET"), { code: "CONNECTION_FAILED", reason: "ECONNRESET", permanent: false }],
    ["a thrown string", "gone", { code: "CONNECTION_FAILED", reason: "gone", permanent: false }],
  ];
  for (const [name, error, described] of cases) it(`describes ${name}`, () => assert.deepEqual(describeFailure(error), described));
});

describe("Link", () => {
  it("opens only once started, then tells its listeners the state and the client", async () => {
    const t = scripted("client-1");
    assert.deepEqual([t.link.state, t.link.client, t.opens()], [{ state: "connecting" }, undefined, 0]);
    t.link.start();
    t.link.start();
    await settle();
    assert.equal(t.opens(), 1, "started once");
    assert.deepEqual(t.link.state, { state: "connected", reason: "at client-1" });
    assert.deepEqual([t.link.client, t.clients], ["client-1", ["client-1"]]);
  });

  it("reopens a lost link after a growing backoff, handing listeners the new client", async () => {
    const t = scripted("client-1", new Error("ECONNREFUSED"), "client-2");
    t.link.start();
    await settle();
    t.lost("socket closed");
    await settle();
    assert.deepEqual(t.link.state, { state: "reconnecting", reason: "socket closed; retrying in 100 ms", code: "CONNECTION_LOST" });
    assert.equal(t.link.client, undefined);
    assert.deepEqual(t.closed, ["client-1"], "the broken client is closed");
    t.clock.advance(100);
    await settle();
    assert.deepEqual(t.link.state, { state: "reconnecting", reason: "ECONNREFUSED; retrying in 200 ms", code: "CONNECTION_FAILED" });
    t.clock.advance(199);
    await settle();
    assert.equal(t.opens(), 2);
    t.clock.advance(1);
    await settle();
    assert.deepEqual([t.link.state.state, t.clients], ["connected", ["client-1", "client-2"]]);
    assert.deepEqual(t.logs.filter(([level]) => level === "warn").map(([, m]) => m), ["connection flow/broker lost: socket closed", "connection flow/broker lost: ECONNREFUSED"]);
  });

  it("starts the backoff over after a successful open", async () => {
    const t = scripted(new Error("down"), "client-1", "client-2");
    t.link.start();
    await settle();
    t.clock.advance(100);
    await settle();
    t.lost("again");
    await settle();
    assert.match(t.link.state.reason!, /retrying in 100 ms$/);
  });

  it("retries a permanent failure only at the slowest pace, as failed", async () => {
    const t = scripted(new ConnectionFailure("CONNECTION_AUTH_FAILED", "not authorised", true), "client-1");
    t.link.start();
    await settle();
    assert.deepEqual(t.link.state, { state: "failed", reason: "not authorised; retrying in 1.0 s", code: "CONNECTION_AUTH_FAILED" });
    t.clock.advance(999);
    await settle();
    assert.equal(t.opens(), 1);
    t.clock.advance(1);
    await settle();
    assert.equal(t.link.state.state, "connected");
  });

  it("treats a link lost while still opening as broken once open", async () => {
    const t = scripted("client-1", "client-2");
    t.link.start();
    t.lost("dropped during the handshake");
    await settle();
    assert.equal(t.link.state.state, "reconnecting");
    assert.deepEqual(t.closed, ["client-1"]);
    assert.deepEqual(t.clients, [], "listeners never saw the broken client");
  });

  it("ignores a late report from a client it already replaced", async () => {
    const t = scripted("client-1", "client-2");
    t.link.start();
    await settle();
    t.lost("first break");
    t.clock.advance(100);
    await settle();
    assert.equal(t.link.state.state, "connected");
    t.lost("a late echo of the first break", undefined, 1);
    await settle();
    assert.deepEqual([t.link.state.state, t.link.client, t.opens()], ["connected", "client-2", 2]);
  });

  it("closes its client and stops retrying on close, and closes a client that opens after it", async () => {
    const t = scripted(new Error("down"), "client-1");
    t.link.start();
    await settle();
    await t.link.close();
    assert.deepEqual(t.link.state, { state: "closed" });
    t.clock.advance(10_000);
    await settle();
    assert.equal(t.opens(), 1, "no retry after close");
    t.link.start();
    await settle();
    assert.equal(t.opens(), 1, "a closed link does not start again");

    const late = scripted("client-late");
    late.link.start();
    await late.link.close();
    await settle();
    assert.deepEqual([late.closed, late.clients], [["client-late"], []]);
  });

  it("does not reconnect once the runtime is shutting down", async () => {
    const t = scripted("client-1", "client-2");
    t.link.start();
    await settle();
    t.halt();
    t.lost("broker stopped");
    await settle();
    assert.deepEqual(t.link.state, { state: "closed", reason: "broker stopped; not reconnecting: shutting down", code: "CONNECTION_LOST" });
    t.clock.advance(60_000);
    await settle();
    assert.equal(t.opens(), 1);
  });

  it("logs a listener that throws and still tells the others", async () => {
    const t = scripted("client-1");
    const seen: unknown[] = [];
    t.link.connectedListeners.clear();
    t.link.connectedListeners.add(() => {
      throw new Error("listener bug");
    });
    t.link.connectedListeners.add((c) => void seen.push(c));
    t.link.start();
    await settle();
    assert.deepEqual(seen, ["client-1"]);
    assert.deepEqual(t.logs.filter(([level]) => level === "error"), [["error", "connection flow/broker listener failed: listener bug"]]);
  });

  it("logs a client that fails to close, and is closed all the same", async () => {
    const definition = defineConnection({
      type: "sticky", title: "Sticky", summary: "Will not close.", config: Config({}), examples: [],
      open: async () => ({ client: 1, close: () => Promise.reject(new Error("EBUSY")) }),
    });
    const warnings: string[] = [];
    const link = new Link("f/c", definition, {}, {
      clock: new VirtualClock(), backoff: DEFAULT_BACKOFF, random: () => 0, secret: () => "",
      log: { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => void warnings.push(m) },
    });
    link.start();
    await settle();
    await link.close();
    assert.deepEqual([link.state.state, warnings], ["closed", ["closing connection f/c: EBUSY"]]);
  });
});
