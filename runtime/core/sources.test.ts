import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runtimeNode } from "../../test/support/runtime-nodes.ts";
import { createLogger } from "./logger.ts";
import { closeAll, startSources, stopSources } from "./sources.ts";

function lines() {
  const written: string[] = [];
  return { written, log: createLogger({ level: "debug", write: (line) => void written.push(line) }) };
}

describe("source lifecycle", () => {
  it("starts sources in order, skips other nodes and started ones, and returns the first failure coded, without throwing", async () => {
    const calls: string[] = [];
    const ok = runtimeNode("ok", { source: true, instance: { start: () => void calls.push("ok") } });
    const bad = runtimeNode("bad", { source: true, instance: { start: () => { throw new Error("device unreachable"); } } });
    const later = runtimeNode("later", { source: true, instance: { start: () => void calls.push("later") } });
    const handler = runtimeNode("handler", { instance: { start: () => void calls.push("handler") } });
    const failed = await startSources([ok, handler, bad, later]);
    assert.deepEqual(calls, ["ok"]);
    assert.deepEqual([failed?.code, failed?.message], ["NODE_START_FAILED", 'source "bad" (test-bad) failed to start: device unreachable']);
    assert.deepEqual([ok.started, bad.started, later.started], [true, false, false]);
    assert.equal(await startSources([ok]), undefined, "a started source is not started again");
  });

  it("stops every started source even when one fails to stop, and logs that one", async () => {
    const { written, log } = lines();
    const stopped: string[] = [];
    const a = runtimeNode("a", { source: true, instance: { stop: () => { throw new Error("socket stuck"); } } });
    const b = runtimeNode("b", { source: true, instance: { stop: () => void stopped.push("b") } });
    a.started = b.started = true;
    await stopSources([a, b], log);
    assert.deepEqual([stopped, a.started, b.started], [["b"], false, false]);
    assert.ok(written.some((line) => line.includes("source did not stop cleanly: socket stuck") && line.includes("NODE_STOP_FAILED")));
  });

  it("marks every node closed before closing any, closes each once, and logs a close that fails", async () => {
    const { written, log } = lines();
    const seenClosed: boolean[] = [];
    const nodes = ["a", "b"].map((id) => runtimeNode(id, { instance: { close: () => void seenClosed.push(nodes.every((n) => n.closed)) } }));
    const failing = runtimeNode("c", { instance: { close: () => Promise.reject(new Error("flush failed")) } });
    await closeAll([...nodes, failing], log);
    await closeAll(nodes, log);
    assert.deepEqual(seenClosed, [true, true], "once each, with all already marked closed");
    assert.ok(written.some((line) => line.includes("node did not close cleanly: flush failed")));
  });
});
