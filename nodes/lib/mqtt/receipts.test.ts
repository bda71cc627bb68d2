import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../../runtime/sdk/index.ts";
import { attachReceipt, claimReceipt, Receipt } from "./receipts.ts";

function issued(): { msg: Message; receipt: Receipt; released: () => number } {
  let released = 0;
  const receipt = new Receipt(() => void released++);
  const msg: Message = { topic: "in", ts: 0, payload: { seq: 1 }, meta: { source: "in" } };
  attachReceipt(msg.meta!, receipt);
  return { msg, receipt, released: () => released };
}

describe("hand-off receipts", () => {
  it("releases a message no durable sink claimed once the flow has had it", () => {
    const { receipt, released } = issued();
    assert.equal(released(), 0);
    receipt.pass();
    assert.equal(released(), 1);
    receipt.pass();
    assert.equal(released(), 1, "released once");
  });

  it("waits for every sink that claimed the message, on a copy that keeps its meta", () => {
    const { msg, receipt, released } = issued();
    const mapped: Message = { ...msg, payload: { seq: 1, doubled: 2 } };
    const first = claimReceipt(mapped);
    const second = claimReceipt(msg);
    assert.ok(first && !first.late && second && !second.late);
    receipt.pass();
    first.handedOff();
    assert.equal(released(), 0, "one sink still has it in hand");
    second.handedOff();
    assert.equal(released(), 1);
  });

  it("tells a sink that claims too late, and a message without a receipt has none", () => {
    const { msg, receipt } = issued();
    receipt.pass();
    assert.deepEqual(claimReceipt(msg), { late: true });
    assert.equal(claimReceipt({ ...msg, meta: { ...msg.meta } }), undefined, "a rebuilt meta carries no receipt");
    assert.equal(claimReceipt({ topic: "x", ts: 0, payload: 1 }), undefined);
  });
});
