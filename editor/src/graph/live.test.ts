import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { badgeOf, entryOf, filterChoices, filterEntries, formatMs, formatRate, liveNodes, LiveStore, nodeLabel, prepend, type NodeLive, type NodeMetrics } from "./live.ts";

const metrics = (node: string, n: number, errors = 0): NodeMetrics => ({ node, in: n, out: n, errors, dropped: 0, queueDepth: 0, latencyMs: { p50: 0.01, p99: 0.1 } });

describe("live node numbers", () => {
  it("turn two metric snapshots into rates per second", () => {
    const first = liveNodes(undefined, { at: 0, nodes: [metrics("a", 100)] });
    assert.equal(first.get("a")?.inRate, undefined, "no rate from one snapshot");
    const next = liveNodes({ at: 0, nodes: [metrics("a", 100)] }, { at: 2000, nodes: [metrics("a", 300, 4), metrics("b", 5)] });
    assert.equal(next.get("a")?.inRate, 100);
    assert.equal(next.get("a")?.errorRate, 2);
    assert.equal(next.get("b")?.inRate, 2.5, "a node new in this snapshot counts from zero");
  });

  it("count from zero again after a redeploy reset the counters", () => {
    const after = liveNodes({ at: 0, nodes: [metrics("a", 1000)] }, { at: 1000, nodes: [metrics("a", 30)] });
    assert.equal(after.get("a")?.inRate, 30);
  });

  it("format rates and latencies for the node and its tooltip", () => {
    assert.deepEqual([formatRate(undefined), formatRate(0), formatRate(0.5), formatRate(12.4), formatRate(2500)], ["–", "0/s", "0.5/s", "12/s", "2.5k/s"]);
    assert.deepEqual([formatMs(0.025), formatMs(2.5), formatMs(Infinity)], ["25 µs", "2.5 ms", "> 10 s"]);
  });

  it("notify only the nodes whose numbers changed", () => {
    const store = new LiveStore();
    const heard: string[] = [];
    const stopA = store.subscribe("a", () => heard.push("a"));
    store.subscribe("b", () => heard.push("b"));
    store.replace(new Map([["a", { ...metrics("a", 1) }], ["b", { ...metrics("b", 1) }]]));
    assert.deepEqual(heard.sort(), ["a", "b"]);
    const kept = store.get("b");
    heard.length = 0;
    assert.deepEqual(store.replace(new Map([["a", { ...metrics("a", 2) }], ["b", { ...metrics("b", 1) }]])), ["a"]);
    assert.deepEqual(heard, ["a"]);
    assert.equal(store.get("b"), kept, "an unchanged node keeps the very same object");
    stopA();
    heard.length = 0;
    store.replace(new Map());
    assert.deepEqual(heard, ["b"], "a node gone from the runtime is cleared; unsubscribed listeners hear nothing");
    assert.equal(store.get("a"), undefined);
  });
});

describe("the debug list", () => {
  it("turns live events into entries and skips the ones it does not show", () => {
    const debug = entryOf({ type: "debug", node: "show", label: "probe", at: 5, msg: { payload: { v: 1 }, key: "pump-1" } }, 1);
    assert.deepEqual(debug, { seq: 1, kind: "debug", node: "show", label: "probe", at: 5, summary: 'pump-1 {"v":1}', msg: { payload: { v: 1 }, key: "pump-1" } });
    assert.equal(entryOf({ type: "error", node: "w", code: "MESSAGE_SHAPE_INVALID", message: "payload.x is missing", at: 1 }, 2)?.summary, "MESSAGE_SHAPE_INVALID: payload.x is missing");
    assert.equal(entryOf({ type: "debug-dropped", count: 7 }, 3)?.summary, "7 messages not shown (rate limit)");
    assert.equal(entryOf({ type: "deploy", version: 2, phase: "running", at: 1 }, 4)?.summary, "v2: running");
    for (const event of [{ type: "status", node: "a" }, { type: "hello" }, {}, { type: 42 }]) assert.equal(entryOf(event, 9), undefined);
    assert.equal(entryOf({ type: "debug", node: 7, msg: "plain" }, 5)?.node, "", "a node id that is not a string is not trusted");
  });

  it("keeps the newest entries first, bounded, and filters by node keeping flow-wide notes", () => {
    const e = (seq: number, node: string) => ({ seq, kind: "debug" as const, node, label: node, at: seq, summary: "" });
    const list = prepend(prepend([], [e(1, "a"), e(2, "b")], 3), [e(3, "a"), e(4, ""), e(5, "b")], 3);
    assert.deepEqual(list.map((x) => x.seq), [5, 4, 3]);
    assert.deepEqual(filterEntries(list, "a").map((x) => x.seq), [4, 3]);
    assert.deepEqual(filterEntries(list, "").map((x) => x.seq), [5, 4, 3]);
  });
  it("marks debug messages replayed from the server's history, and only when the flag is exactly true", () => {
    assert.equal(entryOf({ type: "debug", node: "show", msg: 1, replayed: true }, 1)?.replayed, true);
    for (const replayed of [undefined, "true", 1, false]) assert.equal(entryOf({ type: "debug", node: "show", msg: 1, replayed }, 2)?.replayed, undefined);
  });

  it("shows one deploy as one line with its phases in the order they happened", () => {
    let seq = 0;
    const deploy = (version: unknown, phase: string, detail?: string) => entryOf({ type: "deploy", version, phase, detail, at: 1 }, ++seq)!;
    let list = prepend([], [deploy(1, "validating"), deploy(1, "starting")], 10);
    list = prepend(list, [entryOf({ type: "debug", node: "a", msg: 1 }, ++seq)!, deploy(1, "running")], 10);
    assert.deepEqual(list.map((e) => e.summary), ["v1: validating → starting → running", "1"]);
    list = prepend(list, [deploy(1, "validating"), deploy(1, "failed", "MODEL_NOT_FOUND")], 10);
    assert.deepEqual(list.map((e) => e.summary), ["v1: validating → failed (MODEL_NOT_FOUND)", "v1: validating → starting → running", "1"], "a finished deploy is never extended");
    list = prepend(list, [deploy(2, "validating")], 10);
    list = prepend(list, [deploy(3, "starting")], 10);
    assert.deepEqual(list.slice(0, 2).map((e) => e.summary), ["v3: starting", "v2: validating"], "another version starts its own line");
    assert.equal(prepend([], [deploy(undefined, "validating"), deploy(undefined, "running")], 10).length, 1, "a deploy without version still reads as one");
  });

  it("names nodes as the canvas does and offers every debug node of the graph in the filter", () => {
    const graph = [
      { id: "show-features", type: "debug", name: "features" },
      { id: "show-alarm", type: "debug", name: "ALARM" },
      { id: "quiet", type: "debug" },
      { id: "threshold", type: "threshold", name: "limit" },
    ];
    const names = new Map(graph.map((n) => [n.id, n.name ?? ""]));
    assert.equal(nodeLabel("show-features", names), "features");
    assert.equal(nodeLabel("quiet", names), "quiet", "no name: the id");
    assert.equal(nodeLabel("gone", names), "gone", "a node no longer on the canvas: the id");
    const entries = [entryOf({ type: "error", node: "threshold", code: "X", message: "y" }, 1)!, entryOf({ type: "deploy", version: 1, phase: "running" }, 2)!];
    assert.deepEqual(filterChoices(graph, entries), [
      { id: "show-alarm", label: "ALARM" },
      { id: "show-features", label: "features" },
      { id: "threshold", label: "limit" },
      { id: "quiet", label: "quiet" },
    ]);
    assert.deepEqual(filterChoices([], []), []);
  });
});

describe("the node's status badge", () => {
  const live = (inRate: number | undefined, outRate: number | undefined): NodeLive => ({
    node: "n", in: 10, out: 10, errors: 0, dropped: 0, queueDepth: 0, latencyMs: { p50: 1, p99: 2 },
    ...(inRate !== undefined ? { inRate } : {}), ...(outRate !== undefined ? { outRate } : {}),
  });
  it("shows running for an idle node that passes messages", () => {
    assert.deepEqual(badgeOf({ state: "idle" }, live(15, 15)), { state: "running", text: "passing 15/s" });
    assert.deepEqual(badgeOf(undefined, live(0, 2)), { state: "running", text: "passing 2.0/s" });
  });
  it("keeps idle for a node that passes nothing, and what the node said for other states", () => {
    assert.deepEqual(badgeOf({ state: "idle", text: "done after 5 samples" }, live(0, 0)), { state: "idle", text: "done after 5 samples" });
    assert.deepEqual(badgeOf({ state: "idle" }, live(undefined, undefined)), { state: "idle" }, "the first sample has no rate yet");
    assert.deepEqual(badgeOf({ state: "idle" }, undefined), { state: "idle" }, "not running: no numbers");
    assert.deepEqual(badgeOf({ state: "error", text: "broken" }, live(15, 0)), { state: "error", text: "broken" });
    assert.deepEqual(badgeOf({ state: "reconnecting" }, live(3, 3)), { state: "reconnecting" });
    assert.equal(badgeOf(undefined, undefined), undefined);
    assert.equal(badgeOf(undefined, live(0, 0)), undefined);
  });
});
