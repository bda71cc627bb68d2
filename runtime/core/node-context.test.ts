import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { definitionOf, metricsOnly } from "../../test/support/runtime-nodes.ts";
import { flowOf, probeNodes, reading } from "../../test/support/test-nodes.ts";
import { VirtualClock } from "../sdk/clock.ts";
import { Config, defineNode, type NodeContext, type NodeInstance } from "../sdk/index.ts";
import { serviceKey } from "../sdk/services.ts";
import { Engine } from "./engine.ts";
import { silentLogger } from "./logger.ts";
import { buildNode, type NodeHost } from "./node-context.ts";
import { DEFAULT_PARKING } from "./parking.ts";
import type { RuntimeNode } from "./runtime-node.ts";
import { Scheduler } from "./scheduler.ts";
import type { ValidNode } from "./validate.ts";

/** Builds node `id` whose create hands its context to the test (and returns `instance`). */
function build(id: string, shape: { source?: boolean; create?: (ctx: NodeContext<string>) => NodeInstance<string> } = {}) {
  const finished: string[] = [];
  const statuses: string[] = [];
  let ctx: NodeContext<string> | undefined;
  const base = definitionOf(`test-${id}`, { ...(shape.source !== undefined ? { source: shape.source } : {}) });
  const definition = { ...base, create: (_config: unknown, c: NodeContext<string>) => ((ctx = c), shape.create?.(c) ?? {}) };
  const hooks = metricsOnly();
  const host: NodeHost = {
    flowId: "f",
    scheduler: new Scheduler({ sliceMs: 5, highWater: 100, freezeMessages: false, parking: DEFAULT_PARKING, onUnhandledError: () => undefined }, hooks),
    hooks,
    clock: new VirtualClock(),
    log: silentLogger,
    capacity: 10,
    secrets: (name) => (name === "known" ? "s3cret" : undefined),
    services: undefined,
    status: (node, status) => void statuses.push(`${node.id} ${status.state}`),
    finished: (node) => void finished.push(node.id),
  };
  const entry: ValidNode = { index: 3, node: { id, type: definition.type, config: {}, position: { x: 0, y: 0 } }, definition, config: {} };
  const node: RuntimeNode = buildNode(host, entry, new Map());
  return { node, ctx: ctx!, finished, statuses };
}

describe("buildNode", () => {
  it("gives the node its id, flow, queue capacity, and a status that is stored and passed on", () => {
    const { node, ctx, statuses } = build("n");
    assert.deepEqual([ctx.nodeId, ctx.flowId, node.capacity], ["n", "f", 10]);
    ctx.status({ state: "running" });
    assert.deepEqual([node.status, statuses], [{ state: "running" }, ["n running"]]);
  });

  it("resolves a known secret and refuses an unknown one or a missing service with coded errors", () => {
    const { ctx } = build("n");
    assert.equal(ctx.secret({ $secret: "known" }), "s3cret");
    assert.throws(() => ctx.secret({ $secret: "nope" }), { code: "SECRET_MISSING" });
    assert.throws(() => ctx.use(serviceKey<number>("models")), { code: "SERVICE_UNAVAILABLE", message: /node "n" \(test-n\) needs the "models" service/ });
  });

  it("names the node and its place in the flow when create fails, keeping a coded cause's code", () => {
    assert.throws(() => build("n", { create: () => { throw new Error("bad wiring"); } }), {
      code: "DEPLOY_FAILED",
      message: 'node "n" (test-n) could not be created: bad wiring',
      details: { node: "n", path: "nodes[3]" },
    });
  });

  it("lets a source say once that it has finished, and ignores it from a node with inputs or a closed one", () => {
    const source = build("src", { source: true });
    source.ctx.done!();
    source.ctx.done!();
    assert.deepEqual([source.node.finished, source.finished], [true, ["src"]]);
    const handler = build("h");
    handler.ctx.done!();
    assert.deepEqual([handler.node.finished, handler.finished], [false, []]);
    const closed = build("c", { source: true });
    closed.node.closed = true;
    closed.ctx.done!();
    assert.deepEqual(closed.finished, []);
  });
});

describe("engine.finished", () => {
  /** A source that emits `count` readings, then says it is done when the test calls `end`. */
  function finiteSource() {
    const ends = new Map<string, () => void>();
    const definition = defineNode({
      type: "test-finite", version: 1, family: "sources", title: "Finite", summary: "Ends when told.", config: Config({}),
      inputs: {}, outputs: { out: { kind: "reading", description: "x" } }, examples: [],
      create: (_c, ctx) => ({
        start() {
          for (let i = 0; i < 3; i++) ctx.emit("out", reading(i));
          ends.set(ctx.nodeId, () => ctx.done!());
        },
      }),
    });
    return { definition, end: (id: string) => ends.get(id)!() };
  }

  async function setup(nodes: Array<[string, string]>, edges: string[]) {
    const probe = probeNodes();
    const finite = finiteSource();
    const engine = new Engine({ catalog: new Map([...probe.definitions, finite.definition].map((d) => [d.type, d])), clock: new VirtualClock() });
    await engine.deploy(flowOf(nodes, edges));
    let done = false;
    void engine.finished().then(() => (done = true));
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    return { engine, probe, end: finite.end, isDone: () => done, turn };
  }

  it("resolves once every source has finished and what they sent has been delivered", async () => {
    const run = await setup([["a", "test-finite"], ["b", "test-finite"], ["slow", "test-async"], ["out", "test-sink"]], ["a.out->slow.in", "b.out->slow.in", "slow.out->out.in"]);
    run.end("a");
    await run.turn();
    assert.equal(run.isDone(), false, "b has not finished");
    run.end("b");
    await run.engine.idle();
    await run.turn();
    assert.deepEqual([run.isDone(), run.probe.received.get("out")!.length], [true, 6]);
    await run.engine.stop();
  });

  it("never resolves while a source runs on", async () => {
    const run = await setup([["a", "test-finite"], ["live", "test-source"], ["out", "test-sink"]], ["a.out->out.in", "live.out->out.in"]);
    run.end("a");
    await run.engine.idle();
    await run.turn();
    assert.equal(run.isDone(), false);
    await run.engine.stop();
  });
});
