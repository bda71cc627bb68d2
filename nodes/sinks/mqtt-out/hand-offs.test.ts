import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../../runtime/sdk/index.ts";
import type { Outbox } from "../../../runtime/sdk/outbox.ts";
import { attachReceipt, Receipt } from "../../lib/mqtt/receipts.ts";
import { HandOffs } from "./hand-offs.ts";

/** An outbox that only counts, `durable` as a disk buffer reports it (absent: a buffer in memory). */
function outbox(durable?: { value: boolean }): Outbox<unknown> & { flushes: number } {
  const box = {
    length: 0, bytes: 0, dropped: { overflow: 0, expired: 0 }, flushes: 0,
    push: () => undefined, peek: () => [], ack: () => undefined, close: () => undefined,
    flush() {
      box.flushes++;
    },
  };
  return durable ? Object.defineProperty(box, "durable", { get: () => durable.value }) : box;
}

/** A message from mqtt-in whose receipt mqtt-in has passed: released as soon as no sink holds it. */
function received(): { msg: Message; released: () => boolean; pass: () => void } {
  let released = false;
  const receipt = new Receipt(() => void (released = true));
  const msg: Message = { topic: "t", ts: 0, payload: 1, meta: { source: "in" } };
  attachReceipt(msg.meta!, receipt);
  return { msg: { ...msg, payload: 2 }, released: () => released, pass: () => receipt.pass() };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("mqtt-out hand-offs", () => {
  it("lets go of a message once the disk buffer has written it", async () => {
    const box = outbox({ value: true });
    const handOffs = new HandOffs(box, () => assert.fail("not late"));
    const { msg, released, pass } = received();
    handOffs.pushed(msg);
    pass();
    assert.equal(released(), false, "not before the write");
    await turn();
    assert.equal(box.flushes, 1);
    assert.equal(released(), true);
  });

  it("keeps holding after a failed write, until one succeeds", async () => {
    const durable = { value: true };
    const handOffs = new HandOffs(outbox(durable), () => assert.fail("not late"));
    const [a, b] = [received(), received()];
    handOffs.pushed(a.msg);
    a.pass();
    durable.value = false; // the disk is full, say: the write fails
    await turn();
    assert.equal(a.released(), false);
    durable.value = true;
    handOffs.pushed(b.msg);
    b.pass();
    await turn();
    assert.deepEqual([a.released(), b.released()], [true, true]);
  });

  it("with a buffer in memory, lets go as records leave it, oldest first", () => {
    const handOffs = new HandOffs(outbox(), () => undefined);
    const [a, b] = [received(), received()];
    handOffs.pushed(a.msg);
    handOffs.pushed({ topic: "t", ts: 0, payload: "no receipt" });
    handOffs.pushed(b.msg);
    a.pass();
    b.pass();
    handOffs.left(2);
    assert.deepEqual([a.released(), b.released()], [true, false]);
    handOffs.left(1);
    assert.equal(b.released(), true);
  });

  it("counts a message that was acknowledged before it got here", () => {
    let late = 0;
    const handOffs = new HandOffs(outbox(), () => void late++);
    const { msg, pass } = received();
    handOffs.pushed({ topic: "t", ts: 0, payload: 0 }); // no receipt: not late
    handOffs.pushed(msg);
    pass();
    handOffs.left(2); // released: its receipt is done
    handOffs.pushed(msg); // the same message again (a copy keeping its meta)
    assert.equal(late, 1);
  });
});
