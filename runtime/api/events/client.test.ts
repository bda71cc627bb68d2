import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { closeClient, newClient, type Transport } from "./client.ts";

function recordingTransport(buffered = 0) {
  const calls: string[] = [];
  const out: Transport = {
    send: (text) => void calls.push(`send ${text}`),
    buffered: () => buffered,
    close: (code, reason) => void calls.push(`close ${code} ${reason}`),
    terminate: () => void calls.push("terminate"),
    ping: () => void calls.push("ping"),
  };
  return { out, calls };
}

const limits = { perFlowPerSecond: 1, maxBufferedBytes: 10, stuckMs: 100 };

describe("a live-event client", () => {
  it("starts alive, not closing, with its own rate window and slow-client policy", () => {
    const client = newClient(recordingTransport().out, { flow: "line-1", token: "t" }, limits);
    assert.deepEqual([client.flow, client.token, client.alive, client.closing], ["line-1", "t", true, false]);
    assert.equal(client.rate.take("debug", "line-1"), true);
    assert.equal(client.rate.take("debug", "line-1"), false, "its limit is perFlowPerSecond");
    assert.equal(client.slow.drops(11), true, "its bound is maxBufferedBytes");
    const other = newClient(recordingTransport().out, { flow: undefined, token: undefined }, limits);
    assert.equal(other.rate.take("debug", "line-1"), true, "each client has its own budget");
  });

  it("is closed with the code and reason, then cut once the grace time is over", (t) => {
    mock.timers.enable({ apis: ["setTimeout"] });
    t.after(() => mock.timers.reset());
    const { out, calls } = recordingTransport();
    const client = newClient(out, { flow: undefined, token: undefined }, limits);
    closeClient(client, 1013, "client too slow", 2000);
    assert.equal(client.closing, true);
    assert.deepEqual(calls, ["close 1013 client too slow"]);
    mock.timers.tick(1999);
    assert.deepEqual(calls, ["close 1013 client too slow"]);
    mock.timers.tick(1);
    assert.deepEqual(calls, ["close 1013 client too slow", "terminate"]);
  });
});
