import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SubscriptionLog } from "./subscription-log.ts";

describe("the log of granted subscriptions", () => {
  it("next waits for grants made after it was called, as many as asked", async () => {
    const log = new SubscriptionLog();
    log.record("old", "a/+");
    let done = false;
    const twice = log.next("a/+", 2).then(() => void (done = true));
    log.record("c1", "a/+");
    log.record("c1", "b/#");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, "one new grant of two");
    log.record("c2", "a/+");
    await twice;
    assert.deepEqual(log.all.map((s) => s.client), ["old", "c1", "c1", "c2"]);
  });

  it("granted counts from the broker's start, so a grant before the call counts", async () => {
    const log = new SubscriptionLog();
    log.record("c1", "s/#");
    await log.granted("s/#");
    assert.equal(log.count("s/#"), 1);
  });

  it("fails at its deadline listing what was granted", async () => {
    const log = new SubscriptionLog();
    log.record("c1", "x/+");
    await assert.rejects(log.next("y/+", 1, 10), /the broker granted "y\/\+" 0 of 1 time\(s\) within 10 ms \(granted: c1 x\/\+\)/);
  });
});
