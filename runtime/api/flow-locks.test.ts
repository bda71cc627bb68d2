import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeRuntime } from "../../test/support/api-stores.ts";
import { sampleFlow } from "../../test/support/api.ts";
import { until } from "../../test/support/wait.ts";
import { flowLocks, runtimeKnows } from "./flow-locks.ts";

/** A task that records its start and end in `log` and finishes when the test says so. */
function gated(log: string[], name: string, outcome: "ok" | "fail" = "ok") {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    task: async () => {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
      if (outcome === "fail") throw new Error(`${name} failed`);
      return name;
    },
    open: () => open(),
  };
}

describe("flowLocks", () => {
  it("runs the tasks of one flow one after the other, in the order they came", async () => {
    const serially = flowLocks(new FakeRuntime());
    const log: string[] = [];
    const [first, second, third] = [gated(log, "deploy"), gated(log, "stop"), gated(log, "delete")];
    const results = [serially("line-1", first.task), serially("line-1", second.task), serially("line-1", third.task)];
    await until(() => log.length === 1, "the first task to start");
    second.open();
    third.open();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ["deploy start"], "nothing else starts while the first runs");
    first.open();
    assert.deepEqual(await Promise.all(results), ["deploy", "stop", "delete"]);
    assert.deepEqual(log, ["deploy start", "deploy end", "stop start", "stop end", "delete start", "delete end"]);
  });

  it("goes on with the next task after one fails, handing the failure to its own caller only", async () => {
    const serially = flowLocks(new FakeRuntime());
    const log: string[] = [];
    const failing = gated(log, "deploy", "fail");
    const next = gated(log, "rollback");
    const results = Promise.allSettled([serially("line-1", failing.task), serially("line-1", next.task)]);
    failing.open();
    next.open();
    const [first, second] = await results;
    assert.equal(first?.status === "rejected" && String(first.reason), "Error: deploy failed");
    assert.deepEqual(second, { status: "fulfilled", value: "rollback" });
  });

  it("takes synchronous tasks and synchronous throws alike", async () => {
    const serially = flowLocks(new FakeRuntime());
    assert.equal(await serially("line-1", () => 42), 42);
    await assert.rejects(
      serially("line-1", () => {
        throw new Error("sync failure");
      }),
      /sync failure/,
    );
    assert.equal(await serially("line-1", () => "after"), "after");
  });

  it("lets different flows run at the same time", async () => {
    const serially = flowLocks(new FakeRuntime());
    const log: string[] = [];
    const [one, two] = [gated(log, "line-1"), gated(log, "line-2")];
    const results = [serially("line-1", one.task), serially("line-2", two.task)];
    await until(() => log.length === 2, "both flows' tasks to start");
    one.open();
    two.open();
    await Promise.all(results);
  });

  it("is one queue per runtime: two APIs over one runtime serialise together, another runtime does not wait", async () => {
    const runtime = new FakeRuntime();
    assert.equal(flowLocks(runtime), flowLocks(runtime));
    const log: string[] = [];
    const [held, shared, elsewhere] = [gated(log, "api-1"), gated(log, "api-2"), gated(log, "other-runtime")];
    const results = [flowLocks(runtime)("line-1", held.task), flowLocks(runtime)("line-1", shared.task), flowLocks(new FakeRuntime())("line-1", elsewhere.task)];
    await until(() => log.includes("other-runtime start"), "the other runtime's task to start");
    assert.ok(!log.includes("api-2 start"), "the second API waits for the first on the same runtime");
    for (const task of [held, shared, elsewhere]) task.open();
    await Promise.all(results);
  });

  it("queues a task for a flow whose queue just emptied as a fresh one", async () => {
    const serially = flowLocks(new FakeRuntime());
    assert.equal(await serially("line-1", async () => "first"), "first");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await serially("line-1", async () => "again"), "again");
  });
});

describe("runtimeKnows", () => {
  it("answers the version and state of a flow the runtime has, and undefined for one it does not", async () => {
    const runtime = new FakeRuntime();
    await runtime.deploy("line-1", 3, sampleFlow());
    assert.deepEqual(runtimeKnows(runtime, "line-1"), { version: 3, state: "running" });
    assert.equal(runtimeKnows(runtime, "line-2"), undefined);
    await runtime.stop("line-1");
    assert.equal(runtimeKnows(runtime, "line-1"), undefined);
  });
});
