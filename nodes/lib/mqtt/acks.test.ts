import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IPublishPacket } from "mqtt";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { PubackQueue } from "./acks.ts";

/** A client whose socket records the packet ids of the PUBACKs written to it. */
function fakeClient() {
  const acked: number[] = [];
  const client = {
    connected: true,
    stream: {
      writable: true,
      destroyed: false,
      write(chunk: Buffer) {
        for (let at = 0; at < chunk.length; at += 4) {
          assert.deepEqual([chunk[at], chunk[at + 1]], [0x40, 2], "a PUBACK of remaining length 2");
          acked.push(chunk.readUInt16BE(at + 2));
        }
        return true;
      },
    },
  };
  // The queue reads only `connected` and `stream`: the rest of a client is not needed here.
  return { client: client as unknown as MqttClient, acked, state: client };
}

const packet = (messageId: number): IPublishPacket => ({ cmd: "publish", qos: 1, dup: false, retain: false, topic: "t", payload: "", messageId });

describe("PUBACKs sent by the nodes", () => {
  it("sends them in arrival order, however the holds are released", () => {
    const { client, acked } = fakeClient();
    const queue = new PubackQueue(client);
    const [p1, p2, p3] = [packet(1), packet(2), packet(3)];
    const releases = [p1, p2, p3].map((p) => {
      const release = queue.hold(p);
      assert.equal(queue.adopt(p), true, "the node acknowledges it, not mqtt.js");
      return release;
    });
    releases[2]!();
    releases[1]!();
    assert.deepEqual(acked, [], "nothing goes before the oldest");
    releases[0]!();
    assert.deepEqual(acked, [1, 2, 3]);
    assert.equal(queue.pending, 0);
  });

  it("leaves a message nobody holds to mqtt.js when nothing older waits", () => {
    const { client, acked } = fakeClient();
    assert.equal(new PubackQueue(client).adopt(packet(7)), false);
    assert.deepEqual(acked, []);
  });

  it("keeps a message nobody holds behind an older one that is held", () => {
    const { client, acked } = fakeClient();
    const queue = new PubackQueue(client);
    const older = packet(1);
    const release = queue.hold(older);
    queue.adopt(older);
    assert.equal(queue.adopt(packet(2)), true);
    assert.deepEqual(acked, []);
    release();
    assert.deepEqual(acked, [1, 2]);
  });

  it("acknowledges a message two nodes hold once both let go, and a release counts once", () => {
    const { client, acked } = fakeClient();
    const queue = new PubackQueue(client);
    const p = packet(5);
    const [a, b] = [queue.hold(p), queue.hold(p)];
    queue.adopt(p);
    a();
    a();
    assert.deepEqual(acked, []);
    b();
    assert.deepEqual(acked, [5]);
  });

  it("waits for handleMessage even when the node let go while the message was handed out", () => {
    const { client, acked } = fakeClient();
    const queue = new PubackQueue(client);
    const p = packet(9);
    queue.hold(p)(); // e.g. a payload that did not parse: done at once
    assert.deepEqual(acked, [], "mqtt.js has not finished with it yet");
    assert.equal(queue.adopt(p), true);
    assert.deepEqual(acked, [9]);
  });

  it("acknowledges nothing on a client that is gone (the broker sends it again on the next one)", () => {
    const { client, acked, state } = fakeClient();
    const queue = new PubackQueue(client);
    const p = packet(3);
    const release = queue.hold(p);
    queue.adopt(p);
    state.connected = false;
    release();
    assert.deepEqual(acked, []);
  });
});
