import type { AnyNodeDefinition } from "../../runtime/sdk/define.ts";
import { Engine, type FlowErrorEvent, type StatusEvent } from "../../runtime/core/engine.ts";
import type { FlowDocument } from "../../runtime/contract/flow-format.ts";
import { ConnectionSupervisor, withConnections } from "../../runtime/connections/index.ts";
import { loadConnectionTypes } from "../../runtime/connections/registry.ts";
import type { Services } from "../../runtime/sdk/services.ts";
import { probeNodes } from "./test-nodes.ts";

/**
 * A flow on a real Engine with the real connection supervisor (fast backoff), the test's probe
 * nodes plus `nodes`, and every status and error event recorded.
 */
export async function flowEngine(nodes: readonly AnyNodeDefinition[], options: { secrets?: Record<string, string>; dataDir?: string; services?: Services } = {}) {
  const probe = probeNodes();
  const catalog = new Map<string, AnyNodeDefinition>([...probe.definitions, ...nodes].map((d) => [d.type, d]));
  const secrets = (name: string) => options.secrets?.[name];
  const connections = new ConnectionSupervisor({ types: await loadConnectionTypes(), secrets, backoff: { initialMs: 50, maxMs: 400 }, testTimeoutMs: 3_000 });
  const engine = new Engine({ catalog, secrets, connections, services: withConnections(options.services, connections, options.dataDir), ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const statuses: StatusEvent[] = [];
  const errors: FlowErrorEvent[] = [];
  engine.on("status", (e) => void statuses.push(e));
  engine.on("error", (e) => void errors.push(e));
  return {
    engine,
    connections,
    probe,
    statuses,
    errors,
    received: (sink: string) => probe.received.get(sink) ?? [],
    async close() {
      await engine.stop();
      await connections.close();
    },
  };
}

/** Kept here for the tests that import it with the flow helpers. */
export { until } from "./wait.ts";

export function flow(id: string, connections: FlowDocument["connections"], nodes: Array<{ id: string; type: string; config?: Record<string, unknown> }>, edges: Array<[string, string, string?]>): FlowDocument {
  return {
    format: "aiotflow/flow@1",
    id,
    name: id,
    connections,
    nodes: nodes.map((n) => ({ id: n.id, type: n.type, config: n.config ?? {}, position: { x: 0, y: 0 } })),
    edges: edges.map(([from, to, port = "out"], i) => ({ id: `e${i}`, from: { node: from, port }, to: { node: to, port: "in" } })),
  };
}
