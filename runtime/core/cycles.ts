/** Cycle detection for flow graphs: Tarjan's strongly connected components, then one concrete loop each. */

interface EdgeLike {
  readonly from: { readonly node: string };
  readonly to: { readonly node: string };
}

export interface Cycle {
  /** The nodes of one concrete loop, in wiring order. */
  readonly nodes: string[];
  /** Index of an edge on that loop (for the error's JSON path). */
  readonly edgeIndex: number;
}

type Successors = Map<string, Array<{ to: string; index: number }>>;

export function findCycles(nodeIds: readonly string[], edges: readonly (EdgeLike | undefined)[]): Cycle[] {
  const out = successors(nodeIds, edges);
  const cycles: Cycle[] = [];
  for (const component of stronglyConnected(nodeIds, out)) {
    const members = new Set(component);
    const start = component[component.length - 1]!;
    const selfLoop = out.get(start)!.find((e) => e.to === start);
    if (component.length === 1) {
      if (selfLoop) cycles.push({ nodes: [start], edgeIndex: selfLoop.index });
      continue;
    }
    cycles.push(loopThrough(start, members, out));
  }
  return cycles;
}

/**
 * The indexes of the edges that lie on some loop: both ends in one strongly connected component (a
 * self-loop included). Only these count a message's hops (hop-limit.ts); every other edge costs nothing.
 */
export function loopEdges(nodeIds: readonly string[], edges: readonly (EdgeLike | undefined)[]): Set<number> {
  const out = successors(nodeIds, edges);
  const componentOf = new Map<string, number>();
  stronglyConnected(nodeIds, out).forEach((component, i) => {
    for (const id of component) componentOf.set(id, i);
  });
  const onLoop = new Set<number>();
  for (const [from, list] of out) {
    for (const { to, index } of list) if (componentOf.get(from) === componentOf.get(to)) onLoop.add(index);
  }
  return onLoop;
}

function successors(nodeIds: readonly string[], edges: readonly (EdgeLike | undefined)[]): Successors {
  const out: Successors = new Map();
  for (const id of nodeIds) out.set(id, []);
  edges.forEach((edge, index) => {
    if (edge?.from && edge.to && out.has(edge.from.node) && out.has(edge.to.node)) {
      out.get(edge.from.node)!.push({ to: edge.to.node, index });
    }
  });
  return out;
}

/** Tarjan's strongly connected components, each listed from the last node reached back to its root. */
function stronglyConnected(nodeIds: readonly string[], out: Successors): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;

  // Iterative Tarjan so a long chain cannot overflow the call stack.
  for (const root of nodeIds) {
    if (order.has(root)) continue;
    const work: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    order.set(root, counter), low.set(root, counter++), stack.push(root), onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const successors = out.get(frame.id)!;
      if (frame.next < successors.length) {
        const { to } = successors[frame.next++]!;
        if (!order.has(to)) {
          order.set(to, counter), low.set(to, counter++), stack.push(to), onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, order.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === order.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        components.push(component);
      }
    }
  }

  return components;
}

/** Breadth-first search back to `start` inside one component: the shortest concrete loop. */
function loopThrough(start: string, members: Set<string>, out: Successors): Cycle {
  const parent = new Map<string, { from: string; index: number }>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const edge of out.get(id)!) {
      if (!members.has(edge.to)) continue;
      if (edge.to === start) {
        const nodes = [id];
        for (let at = id; at !== start; ) {
          at = parent.get(at)!.from;
          nodes.unshift(at);
        }
        return { nodes, edgeIndex: edge.index };
      }
      if (!parent.has(edge.to)) parent.set(edge.to, { from: id, index: edge.index }), queue.push(edge.to);
    }
  }
  // A plain Error: a bug in this file if ever reached, never a user's flow (every component found above loops).
  throw new Error("unreachable: a strongly connected component always loops back");
}
