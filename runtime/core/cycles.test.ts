import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findCycles, loopEdges, type Cycle } from "./cycles.ts";

/** Edges from "a->b" strings, in order (the index of each is its place in the list). */
const edges = (...wires: string[]) =>
  wires.map((wire) => {
    const [from, to] = wire.split("->") as [string, string];
    return { from: { node: from }, to: { node: to } };
  });

/** A cycle with its nodes rotated to start at the smallest id, so tests need not know where Tarjan enters a loop. */
function normalised({ nodes, edgeIndex }: Cycle): { nodes: string[]; edgeIndex: number } {
  const start = nodes.indexOf([...nodes].sort()[0]!);
  return { nodes: [...nodes.slice(start), ...nodes.slice(0, start)], edgeIndex };
}

/** True when `edgeIndex` is an edge between two consecutive nodes of the loop (the last back to the first). */
function onLoop(cycle: Cycle, list: ReturnType<typeof edges>): boolean {
  const edge = list[cycle.edgeIndex]!;
  return cycle.nodes.some((node, i) => edge.from.node === node && edge.to.node === cycle.nodes[(i + 1) % cycle.nodes.length]);
}

describe("findCycles", () => {
  const acyclic: Array<[string, string[], ReturnType<typeof edges>]> = [
    ["no nodes", [], []],
    ["a chain", ["a", "b", "c"], edges("a->b", "b->c")],
    ["a diamond (two paths to one node are no loop)", ["a", "b", "c", "d"], edges("a->b", "a->c", "b->d", "c->d")],
    ["parallel edges between two nodes", ["a", "b"], edges("a->b", "a->b")],
  ];
  for (const [what, nodes, list] of acyclic) {
    it(`finds no cycle in ${what}`, () => assert.deepEqual(findCycles(nodes, list), []));
  }

  const loops: Array<[string, string[], ReturnType<typeof edges>, Array<{ nodes: string[]; edgeIndex: number }>]> = [
    ["a node wired to itself", ["a", "b"], edges("a->b", "b->b"), [{ nodes: ["b"], edgeIndex: 1 }]],
    ["two nodes wired both ways", ["a", "b"], edges("a->b", "b->a"), [{ nodes: ["a", "b"], edgeIndex: 1 }]],
    ["a loop of three behind a source", ["src", "x", "y", "z"], edges("src->x", "x->y", "y->z", "z->x"), [{ nodes: ["x", "y", "z"], edgeIndex: 3 }]],
  ];
  for (const [what, nodes, list, expected] of loops) {
    it(`finds ${what}, in wiring order, with an edge on the loop`, () => {
      const found = findCycles(nodes, list);
      assert.deepEqual(found.map(normalised), expected);
      for (const cycle of found) assert.ok(onLoop(cycle, list), `edge ${cycle.edgeIndex} is on ${cycle.nodes.join(" -> ")}`);
    });
  }

  it("reports each separate loop once", () => {
    const list = edges("a->b", "b->a", "b->c", "c->d", "d->e", "e->c");
    const found = findCycles(["a", "b", "c", "d", "e"], list).map(normalised);
    assert.deepEqual(found.map((c) => c.nodes).sort(), [["a", "b"], ["c", "d", "e"]]);
  });

  it("reports a tangle of loops once, as one concrete loop of it that the wiring really closes", () => {
    // a -> b -> c -> d -> a is a loop, and so is the shortcut c -> a: one component, one report.
    const list = edges("a->b", "b->c", "c->d", "d->a", "c->a");
    const found = findCycles(["a", "b", "c", "d"], list);
    assert.equal(found.length, 1);
    const { nodes } = found[0]!;
    const wired = new Set(list.map((e) => `${e.from.node}->${e.to.node}`));
    assert.ok(nodes.every((node, i) => wired.has(`${node}->${nodes[(i + 1) % nodes.length]}`)), `${nodes.join(" -> ")} is wired`);
    assert.equal(new Set(nodes).size, nodes.length, "no node twice");
    assert.ok(onLoop(found[0]!, list));
  });

  it("ignores missing edges and edges to or from nodes it was not given", () => {
    const list = [undefined, ...edges("a->ghost", "ghost->a", "a->a")];
    assert.deepEqual(findCycles(["a"], list), [{ nodes: ["a"], edgeIndex: 3 }]);
  });

  it("walks a chain of 200 000 nodes without overflowing the call stack, and finds the loop closing it", () => {
    const count = 200_000;
    const nodes = Array.from({ length: count }, (_, i) => `n${i}`);
    const list = nodes.slice(1).map((id, i) => ({ from: { node: nodes[i]! }, to: { node: id } }));
    assert.deepEqual(findCycles(nodes, list), []);
    list.push({ from: { node: nodes[count - 1]! }, to: { node: nodes[0]! } });
    const [loop] = findCycles(nodes, list);
    assert.equal(loop?.nodes.length, count);
    assert.equal(loop?.edgeIndex, count - 1);
  });
});

describe("loopEdges", () => {
  const cases: Array<[string, string[], ReturnType<typeof edges>, number[]]> = [
    ["none in a chain or a diamond", ["a", "b", "c", "d"], edges("a->b", "a->c", "b->d", "c->d"), []],
    ["a self-loop", ["a", "b"], edges("a->b", "b->b"), [1]],
    ["every wire of a loop, none leading in or out of it", ["src", "x", "y", "z", "out"], edges("src->x", "x->y", "y->z", "z->x", "y->out"), [1, 2, 3]],
    ["a shortcut inside a tangle too", ["a", "b", "c", "d"], edges("a->b", "b->c", "c->d", "d->a", "c->a"), [0, 1, 2, 3, 4]],
    ["no wire between two separate loops", ["a", "b", "c", "d"], edges("a->b", "b->a", "b->c", "c->d", "d->c"), [0, 1, 3, 4]],
  ];
  for (const [what, nodes, list, expected] of cases) {
    it(`finds ${what}`, () => assert.deepEqual([...loopEdges(nodes, list)].sort((x, y) => x - y), expected));
  }
});
