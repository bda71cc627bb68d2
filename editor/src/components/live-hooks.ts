/** The live side of the editor: metric polling into the LiveStore, upstream fields, the secret names. */
import type { Edge } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiFailure, call } from "../api.ts";
import { addSeen, upstreamFields, type FlowFieldsAnswer, type SeenFields } from "../graph/fields.ts";
import { liveNodes, LiveStore, type MetricsSample, type NodeMetrics } from "../graph/live.ts";
import type { AiotNode } from "../graph/mapping.ts";

const POLL_MS = 1000;

/**
 * Polls GET /api/runtime/:id/metrics once a second while `flowId` is set and the tab is visible.
 * A flow that is not running (404) clears the numbers; the poll keeps going, so a deploy shows up.
 */
export function useMetricsPolling(flowId: string | undefined, store: LiveStore): void {
  useEffect(() => {
    store.replace(new Map());
    if (!flowId) return;
    let previous: MetricsSample | undefined;
    let stopped = false;
    let timer: number | undefined;
    const poll = async () => {
      if (document.visibilityState === "visible") {
        try {
          const answer = await call<{ nodes: NodeMetrics[] }>("GET", `/api/runtime/${encodeURIComponent(flowId)}/metrics`);
          const sample = { at: performance.now(), nodes: answer.nodes };
          if (!stopped) store.replace(liveNodes(previous, sample));
          previous = sample;
        } catch (error) {
          // Not running (404) or the server is away: show no numbers rather than stale ones.
          if (!stopped) store.replace(new Map());
          previous = undefined;
          if (error instanceof ApiFailure && error.status === 401) return;
        }
      }
      if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [flowId, store]);
}

/** What of the graph changes the fields: types, configs, disabled flags and wires (not positions). */
function fieldsKey(nodes: readonly AiotNode[], edges: readonly Edge[]): string {
  return JSON.stringify([nodes.map((n) => [n.id, n.data.nodeType, n.data.config, n.data.disabled ?? false]), edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])]);
}

/**
 * Fields known upstream of `selected`: the runtime's propagation (POST /api/flows/fields, asked again
 * 300 ms after the graph's structure or configs settle) merged with fields seen in live debug messages.
 */
export function useUpstreamFields(selected: string | undefined, nodes: readonly AiotNode[], edges: readonly Edge[], seen: SeenFields): readonly string[] {
  const [computed, setComputed] = useState<FlowFieldsAnswer>();
  const asked = useRef<string>("");
  useEffect(() => {
    if (!selected) return;
    const timer = window.setTimeout(() => {
      const key = fieldsKey(nodes, edges);
      if (key === asked.current) return;
      asked.current = key;
      const document = {
        nodes: nodes.map((n) => ({ id: n.id, type: n.data.nodeType, config: n.data.config, ...(n.data.disabled ? { disabled: true } : {}) })),
        edges: edges.map((e) => ({ from: { node: e.source, port: e.sourceHandle ?? "out" }, to: { node: e.target, port: e.targetHandle ?? "in" } })),
      };
      call<FlowFieldsAnswer>("POST", "/api/flows/fields", document).then(setComputed, () => {
        asked.current = ""; // try again on the next change
      });
    }, 300);
    return () => window.clearTimeout(timer);
  }, [selected, nodes, edges]);
  return useMemo(() => (selected ? upstreamFields(selected, computed, edges, seen) : []), [selected, computed, edges, seen]);
}

export interface SecretName {
  readonly name: string;
  readonly updatedAt: string;
}

/** Secret names (never values); admins only, so a refusal is an answer, not an error. */
export const secretsApi = {
  list: () => call<{ secrets: SecretName[] }>("GET", "/api/secrets"),
  set: (name: string, value: string) => call<{ secret: SecretName }>("PUT", `/api/secrets/${encodeURIComponent(name)}`, { value }),
};

/**
 * Everything live the editor wires in: the node metrics store (polled while `flowId` is set), the
 * payload fields seen in debug messages, and the fields known upstream of the selected node.
 */
export function useLive(flowId: string | undefined, selected: string | undefined, nodes: readonly AiotNode[], edges: readonly Edge[]) {
  const [store] = useState(() => new LiveStore());
  useMetricsPolling(flowId, store);
  const [seen, setSeen] = useState<SeenFields>(new Map());
  useEffect(() => setSeen(new Map()), [flowId]);
  const onDebugMessage = useCallback((node: string, msg: unknown) => setSeen((current) => addSeen(current, node, msg)), []);
  const fields = useUpstreamFields(selected, nodes, edges, seen);
  return { store, onDebugMessage, upstreamFields: fields };
}
