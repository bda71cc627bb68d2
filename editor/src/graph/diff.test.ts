import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import { describeDiff, ghostsOf, markDiff, nodeMarks, valueAt } from "./diff.ts";
import { diffFlows, diffIsEmpty } from "../../../runtime/contract/diff.ts";
import { demoFlow } from "../../../test/support/editor-fixtures.ts";
import { flowToGraph, graphToFlow } from "./mapping.ts";

function edit(change: (flow: FlowDocument) => void): FlowDocument {
  const copy = structuredClone(demoFlow());
  change(copy);
  return copy;
}

const node = (flow: FlowDocument, id: string) => flow.nodes.find((n) => n.id === id)!;

describe("diff of two flow documents", () => {
  it("finds nothing between a flow and itself with keys in another order, or after a graph round trip", () => {
    const flow = demoFlow();
    const reordered = edit((f) => (node(f, "features").config = Object.fromEntries(Object.entries(node(f, "features").config ?? {}).reverse())));
    assert.ok(diffIsEmpty(diffFlows(flow, reordered)));
    assert.ok(diffIsEmpty(diffFlows(flow, graphToFlow(flowToGraph(flow)))), "$schema and a missing connections map are not changes");
  });

  it("finds added, removed, changed nodes, wires and connections", () => {
    const before = demoFlow();
    const after = edit((f) => {
      f.nodes = f.nodes.filter((n) => n.id !== "show-rejected");
      f.edges = f.edges.filter((e) => e.id !== "clean-rejected");
      f.nodes.push({ id: "extra", type: "debug", config: { label: "x" }, position: { x: 1, y: 2 } });
      f.edges.push({ id: "extra-in", from: { node: "clean", port: "rejected" }, to: { node: "extra", port: "in" } });
      (node(f, "features").config!["window"] as Record<string, unknown>)["sizeMs"] = 20_000;
      (node(f, "features").config!["fields"] as string[]).push("current");
      node(f, "pumps").position = { x: 999, y: 1 };
      f.edges.find((e) => e.id === "features-show")!.to.port = "other";
      f.connections = { plant: { type: "mqtt-broker", config: { url: "mqtt://a" } } };
      f.name = "Renamed";
    });
    const diff = diffFlows(before, after);
    assert.deepEqual(diff.nodes, {
      added: ["extra"],
      removed: ["show-rejected"],
      changed: [{ id: "pumps", paths: ["position"] }, { id: "features", paths: ["config.fields[3]", "config.window.sizeMs"] }],
    });
    assert.deepEqual(diff.edges, { added: ["extra-in"], removed: ["clean-rejected"], changed: ["features-show"] });
    assert.deepEqual(diff.connections, { added: ["plant"], removed: [], changed: [] });
    assert.deepEqual(diff.flow, ["name"]);
    assert.deepEqual(describeDiff(diff), [
      "node extra added",
      "node show-rejected removed",
      "node pumps changed: position",
      "node features changed: config.fields[3], config.window.sizeMs",
      "wire extra-in added",
      "wire clean-rejected removed",
      "wire features-show changed",
      "connection plant added",
      "flow name changed",
    ]);
    const withValues = describeDiff(diff, before, after);
    assert.equal(withValues[2], "node pumps changed: position", "only config paths get values");
    assert.match(withValues[3] ?? "", /^node features changed: config\.fields\[3\]: (\(none\)|".*"|\S+) → \S.*, config\.window\.sizeMs: \d+ → \d+$/);
  });

  it("says the old and new value of each changed config path, short, and (none) for one not set", () => {
    const doc = (config: Record<string, unknown>) => ({ format: "aiotflow/flow@1", id: "f", name: "f", nodes: [{ id: "threshold", type: "threshold", config }], edges: [], connections: {} }) as unknown as FlowDocument;
    const before = doc({ raise: 9, "rate.hz": 1, list: [1, 2], text: "a" });
    const after = doc({ raise: 7.1, "rate.hz": 2, list: [1, 3], extra: { long: "x".repeat(100) } });
    assert.deepEqual(describeDiff(diffFlows(before, after), before, after), [
      `node threshold changed: config.extra: (none) → {"long":"${"x".repeat(30)}…, config.list[1]: 2 → 3, config.raise: 9 → 7.1, config["rate.hz"]: 1 → 2, config.text: "a" → (none)`,
    ]);
    assert.equal(valueAt({ a: [{ b: 1 }] }, "a[0].b"), 1);
    for (const bad of ["a.b.c", "a[5]", "a.length", "a[0].toString", "['x']"]) assert.equal(valueAt({ a: [{ b: 1 }] }, bad), undefined, bad);
    assert.equal(valueAt({ a: { 0: "zero" } }, "a[0]"), undefined, "an index step into an object is not followed");
  });

  it("names odd config keys in brackets and tolerates documents without config, edges or connections", () => {
    const bare = { format: "aiotflow/flow@1", id: "f", name: "f", nodes: [{ id: "a", type: "debug" }] } as unknown as FlowDocument;
    const after = { ...bare, nodes: [{ id: "a", type: "debug", config: { "rate.hz": 1, list: [] } }] } as unknown as FlowDocument;
    assert.deepEqual(diffFlows(bare, after).nodes.changed, [{ id: "a", paths: ["config.list", 'config["rate.hz"]'] }]);
    assert.ok(diffIsEmpty(diffFlows(bare, bare)));
  });

  it("tells a node that only moved from one whose content changed", () => {
    const diff = diffFlows(demoFlow(), edit((f) => {
      node(f, "pumps").position = { x: 5, y: 5 };
      node(f, "clean").position = { x: 5, y: 5 };
      node(f, "clean").name = "Renamed";
    }));
    const marks = nodeMarks(diff);
    assert.equal(marks.get("pumps"), "moved");
    assert.equal(marks.get("clean"), "changed");
  });
});

describe("the diff on the canvas", () => {
  const before = demoFlow();
  const now = flowToGraph(edit((f) => {
    f.nodes = f.nodes.filter((n) => n.id !== "show-rejected" && n.id !== "show-errors");
    f.edges = f.edges.filter((e) => !["clean-rejected", "power-errors", "features-errors", "alarm-errors", "features-show"].includes(e.id));
    f.nodes.push({ id: "extra", type: "debug", config: {}, position: { x: 0, y: 0 } });
    f.edges.push({ id: "extra-in", from: { node: "features", port: "out" }, to: { node: "extra", port: "in" } });
    node(f, "vibration-alarm").config = { ...node(f, "vibration-alarm").config, raise: 3 };
  }));
  const diff = diffFlows(before, graphToFlow(now));
  const shown = markDiff(now.nodes, now.edges, diff);
  const byId = new Map(shown.nodes.map((n) => [n.id, n]));

  it("marks added and changed nodes and wires by class, leaving the others as they were", () => {
    assert.equal(byId.get("extra")?.className, "diff-added");
    assert.equal(byId.get("vibration-alarm")?.className, "diff-changed");
    assert.equal(byId.get("pumps"), now.nodes.find((n) => n.id === "pumps"), "an unchanged node is the same object");
    assert.equal(shown.edges.find((e) => e.id === "extra-in")?.className, "diff-added");
    assert.equal(shown.edges.find((e) => e.id === "pumps-clean")?.className, undefined);
    assert.deepEqual(shown.nodes.map((n) => n.id), now.nodes.map((n) => n.id), "no node is added or dropped");
  });

  it("keeps classes of its own and drops marks that leaked into the editor's state", () => {
    const leaked = shown.nodes.map((n) => (n.id === "pumps" ? { ...n, className: "mine diff-moved" } : n));
    const again = markDiff(leaked, shown.edges, undefined);
    assert.equal(again.nodes.find((n) => n.id === "pumps")?.className, "mine");
    assert.ok(again.nodes.every((n) => !/diff-/.test(n.className ?? "")));
    assert.ok(again.edges.every((e) => e.className === undefined));
    const same = flowToGraph(before);
    assert.deepEqual(markDiff(same.nodes, same.edges, undefined), { nodes: same.nodes, edges: same.edges });
    const unchanged = markDiff(same.nodes, same.edges, diffFlows(before, graphToFlow(same)));
    assert.ok(unchanged.nodes.every((n, i) => n === same.nodes[i]), "nothing changed, nothing copied");
  });

  it("brings back removed nodes where they stood and their wires to ghosts or live nodes", () => {
    const ghosts = ghostsOf(before, diff, now.nodes.map((n) => n.id));
    assert.deepEqual(ghosts.nodes.map((g) => [g.id, g.nodeType]), [["show-rejected", "debug"], ["show-errors", "debug"]]);
    assert.deepEqual(ghosts.nodes[0]?.position, before.nodes.find((n) => n.id === "show-rejected")?.position);
    const wires = new Map(ghosts.wires.map((w) => [w.id, w]));
    assert.deepEqual(wires.get("clean-rejected"), { id: "clean-rejected", from: { node: "clean", port: "rejected", ghost: false }, to: { node: "show-rejected", port: "in", ghost: true } });
    assert.equal(wires.get("features-show")?.to.ghost, false, "a removed wire between two kept nodes is a ghost too");
    assert.equal(ghosts.wires.length, 5);
  });

  it("leaves out removed wires whose other end is on neither side", () => {
    const ghosts = ghostsOf(before, diff, ["clean"]);
    assert.deepEqual(ghosts.wires.map((w) => w.id), ["clean-rejected"]);
    assert.deepEqual(ghostsOf(before, diffFlows(before, before), []), { nodes: [], wires: [] });
  });
});
