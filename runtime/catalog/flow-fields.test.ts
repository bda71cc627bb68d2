import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowOf } from "../../test/support/test-nodes.ts";
import { loadCatalog } from "./catalog.ts";
import { flowFields } from "./flow-fields.ts";
import { Config, defineNode, Type } from "../sdk/index.ts";

/** A node whose `fieldsOut` misbehaves on purpose: throws, or answers with junk. */
const unruly = defineNode({
  type: "test-unruly",
  version: 1,
  family: "util",
  title: "Unruly",
  summary: "Declares its output fields badly.",
  config: Config({ mode: Type.Enum(["throw", "junk"], { default: "throw", description: "How to misbehave." }) }),
  inputs: { in: { kind: "any", description: "Anything." } },
  outputs: { out: { kind: "any", description: "Anything." } },
  examples: [{ title: "throws", config: {} }],
  fieldsOut(config) {
    if (config.mode === "throw") throw new Error("cannot tell");
    return { out: ["kept", 7 as unknown as string, "", "kept"], nope: ["x"] } as never;
  },
  create: () => ({}),
});

const catalog = await loadCatalog([unruly]);

describe("the fields known at each node of a flow", () => {
  it("follows a line from the sensor's signals through cleaning, windows and a threshold", () => {
    const flow = flowOf(
      [
        ["pumps", "simulated-sensor", { signals: ["vibration", "temperature"] }],
        ["clean", "range-check", { rules: [{ field: "temperature", max: 150 }] }],
        ["window", "sliding-window", { fields: ["vibration"], stats: ["mean", "rms"] }],
        ["alarm", "threshold", { field: "vibration_rms", raise: 7, clear: 6 }],
        ["show", "debug"],
      ],
      ["pumps.out->clean.in", "clean.out->window.in", "window.out->alarm.in", "alarm.events->show.in", "clean.rejected->show.in"],
    );
    const { nodes, problems } = flowFields(flow, catalog);
    assert.deepEqual(problems, []);
    assert.deepEqual(nodes["pumps"], { inputs: [], outputs: { out: ["vibration", "temperature"] } });
    assert.deepEqual(nodes["clean"]?.inputs, ["vibration", "temperature"]);
    assert.deepEqual(nodes["window"]?.inputs, ["vibration", "temperature"]);
    assert.deepEqual(nodes["window"]?.outputs, { out: ["vibration_mean", "vibration_rms", "count", "window_start", "window_end"], late: ["vibration", "temperature"] });
    assert.deepEqual(nodes["alarm"]?.inputs, ["vibration_mean", "vibration_rms", "count", "window_start", "window_end"]);
    assert.deepEqual(nodes["show"]?.inputs, ["state", "field", "value", "raise", "clear", "vibration", "temperature"]);
  });

  it("gives the same fields whatever order the document lists its nodes in", () => {
    const flow = flowOf(
      [["pumps", "simulated-sensor", { signals: ["current"] }], ["a", "map", { set: { x: "1" } }], ["b", "map", { set: { y: "2" } }], ["c", "map", { set: { z: "3" } }]],
      ["pumps.out->a.in", "a.out->b.in", "b.out->c.in"],
    );
    const forward = flowFields(flow, catalog).nodes;
    const backward = flowFields({ ...flow, nodes: [...flow.nodes].reverse() }, catalog).nodes;
    assert.deepEqual(backward, forward);
    assert.deepEqual(forward["c"]?.outputs, { out: ["current", "x", "y", "z"] });
  });

  it("adds the fields a map sets, and replaces the payload's fields in replace mode", () => {
    const flow = flowOf(
      [["pumps", "simulated-sensor", { signals: ["current"] }], ["merge", "map", { set: { power: "payload.current * 400" } }], ["only", "map", { set: { kw: "payload.power / 1000" }, mode: "replace" }], ["show", "debug"]],
      ["pumps.out->merge.in", "merge.out->only.in", "only.out->show.in"],
    );
    const { nodes } = flowFields(flow, catalog);
    assert.deepEqual(nodes["only"]?.inputs, ["current", "power"]);
    assert.deepEqual(nodes["show"]?.inputs, ["kw"]);
  });

  it("passes fields through a node whose config is unfinished when its fieldsOut does not need the config", () => {
    const flow = flowOf(
      [
        ["pumps", "simulated-sensor", { signals: ["vibration", "temperature"] }],
        ["clean", "range-check", {}],
        ["odd", "range-check", { rules: "not a list", stuckAfter: -5 }],
        ["alarm", "threshold", {}],
        ["window", "sliding-window", { fields: 7 }],
        ["show", "debug"],
      ],
      ["pumps.out->clean.in", "clean.out->alarm.in", "clean.rejected->odd.in", "odd.out->window.in", "window.out->show.in"],
    );
    const { nodes, problems } = flowFields(flow, catalog);
    assert.deepEqual(nodes["clean"]?.outputs, { out: ["vibration", "temperature"], rejected: ["vibration", "temperature"] });
    assert.deepEqual(nodes["alarm"]?.inputs, ["vibration", "temperature"]);
    assert.deepEqual(nodes["window"]?.inputs, ["vibration", "temperature"]);
    // A config the fieldsOut cannot read passes nothing on and is not reported as a broken fieldsOut.
    assert.deepEqual(nodes["show"]?.inputs, []);
    assert.deepEqual(problems, []);
  });

  it("passes nothing on from half-built, unknown or disabled nodes, and ignores the error port", () => {
    const flow = flowOf(
      [
        ["pumps", "simulated-sensor"],
        ["unfinished", "sliding-window", {}],
        ["ghost", "no-such-type"],
        ["off", "range-check", { rules: [{ field: "vibration" }] }],
        ["a", "debug"],
        ["b", "debug"],
        ["c", "debug"],
        ["d", "debug"],
      ],
      ["pumps.out->unfinished.in", "unfinished.out->a.in", "pumps.out->ghost.in", "ghost.out->b.in", "pumps.out->off.in", "off.out->c.in", "pumps.error->d.in", "nowhere.out->d.in"],
    );
    const document = { ...flow, nodes: flow.nodes.map((n) => (n.id === "off" ? { ...n, disabled: true } : n)) };
    const { nodes } = flowFields(document, catalog);
    assert.deepEqual(nodes["unfinished"]?.inputs, ["vibration", "temperature", "current"]);
    assert.deepEqual(nodes["unfinished"]?.outputs, { out: [], late: [] });
    assert.deepEqual(nodes["ghost"], { inputs: ["vibration", "temperature", "current"], outputs: {} });
    for (const id of ["a", "b", "c", "d"]) assert.deepEqual(nodes[id]?.inputs, [], id);
  });

  it("settles on a cycle instead of looping", () => {
    const flow = flowOf(
      [["pumps", "simulated-sensor", { signals: ["current"] }], ["a", "map", { set: { x: "1" } }], ["b", "map", { set: { y: "2" } }]],
      ["pumps.out->a.in", "a.out->b.in", "b.out->a.in"],
    );
    const { nodes } = flowFields(flow, catalog);
    assert.deepEqual(nodes["a"]?.inputs, ["current", "x", "y"]);
    assert.deepEqual(nodes["b"]?.inputs, ["current", "x", "y"]);
  });

  it("reports a fieldsOut that throws and keeps only well-formed names from one that answers junk", () => {
    const flow = flowOf(
      [["pumps", "simulated-sensor"], ["bad", "test-unruly"], ["junk", "test-unruly", { mode: "junk" }], ["a", "debug"], ["b", "debug"]],
      ["pumps.out->bad.in", "bad.out->a.in", "pumps.out->junk.in", "junk.out->b.in"],
    );
    const { nodes, problems } = flowFields(flow, catalog);
    assert.deepEqual(problems, [{ node: "bad", message: "fieldsOut of test-unruly failed: cannot tell" }]);
    assert.deepEqual(nodes["a"]?.inputs, []);
    assert.deepEqual(nodes["junk"]?.outputs, { out: ["kept"] });
    assert.deepEqual(nodes["b"]?.inputs, ["kept"]);
  });
});
