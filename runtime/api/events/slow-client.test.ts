import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { slowClient } from "./slow-client.ts";

function clientAt(start = 1000) {
  let now = start;
  const client = slowClient({ maxBufferedBytes: 100, stuckMs: 300 }, () => now);
  return { client, advance: (ms: number) => void (now += ms) };
}

describe("slow-client policy", () => {
  it("sends while the unsent data is at or under the bound, and drops and counts past it", () => {
    const { client } = clientAt();
    assert.equal(client.drops(0), false);
    assert.equal(client.drops(100), false);
    assert.equal(client.drops(101), true);
    assert.equal(client.drops(5000), true);
    assert.deepEqual(client.takeNote(), { type: "dropped", reason: "slow-client", count: 2 });
    assert.equal(client.takeNote(), undefined, "the note is given once");
  });

  it("calls a client stuck once it has been over the bound for stuckMs, counted from the first drop", () => {
    const { client, advance } = clientAt();
    client.drops(200);
    advance(299);
    assert.equal(client.state(200), "behind");
    advance(1);
    assert.equal(client.state(200), "stuck");
  });

  it("starts counting at a tick that finds the client behind when no event was dropped", () => {
    const { client, advance } = clientAt();
    assert.equal(client.state(200), "behind");
    advance(300);
    assert.equal(client.state(200), "stuck");
    assert.equal(client.takeNote(), undefined, "nothing was dropped");
  });

  it("forgives a client that caught up", () => {
    const { client, advance } = clientAt();
    client.drops(200);
    advance(250);
    assert.equal(client.state(50), "reading");
    advance(250);
    assert.equal(client.state(200), "behind", "the stuck time starts again");
  });
});
