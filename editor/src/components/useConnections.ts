/**
 * The Editor's side of the Connections panel: the flow's connections live in its meta (saved with
 * the flow, compared for the unsaved marker); every change is recorded as an undo step first, and
 * "new connection…" from a node's field sets the new connection's name into that field.
 */
import type { Edge, ReactFlowInstance } from "@xyflow/react";
import { useCallback, useMemo, useState, type Dispatch, type SetStateAction } from "react";
import { connectionEditKey, withConfig, withConnection, withoutConnection, type Connections } from "../graph/connections.ts";
import type { AiotNode, FlowMeta } from "../graph/mapping.ts";
import { setAt } from "../graph/schema-form.ts";
import type { FlowConnectionsApi } from "./ConnectionPicker.tsx";
import type { Notice } from "./Toolbar.tsx";

const NONE: Connections = {};

interface Options {
  readonly flow: ReactFlowInstance<AiotNode, Edge>;
  readonly meta: FlowMeta;
  setMeta: Dispatch<SetStateAction<FlowMeta>>;
  setNodes: Dispatch<SetStateAction<AiotNode[]>>;
  /** The node whose form is open: a "new connection…" request is for its field. */
  readonly selected: string | undefined;
  record(key?: string): void;
  notify(notice: Notice): void;
}

export function useConnections({ flow, meta, setMeta, setNodes, selected, record, notify }: Options) {
  const connections = meta.connections ?? NONE;
  const [open, setOpen] = useState(false);
  const [request, setRequest] = useState<{ type: string; node: string | undefined; path: readonly string[]; seq: number }>();

  const setConnections = useCallback((next: Connections) => setMeta((m) => ({ ...m, connections: { ...next } })), [setMeta]);

  const requestNew = useCallback((type: string, path: readonly string[]) => {
    setRequest((r) => ({ type, node: selected, path, seq: (r?.seq ?? 0) + 1 }));
    setOpen(true);
  }, [selected]);
  const context = useMemo<FlowConnectionsApi>(() => ({ connections, requestNew }), [connections, requestNew]);

  const onAdd = useCallback((name: string, type: string) => {
    record();
    setConnections(withConnection(connections, name, type));
    // Made for a node's field: the field names it now (the same undo step).
    const target = request?.type === type && request.node !== undefined ? flow.getNode(request.node) : undefined;
    if (target && request) {
      setNodes((current) => current.map((n) => (n.id === target.id ? { ...n, data: { ...n.data, config: setAt(n.data.config, request.path, name) } } : n)));
      notify({ kind: "info", text: `Connection ${name} added and set as ${target.id}'s ${request.path.join(".")}: fill in its config, then test it` });
    } else {
      notify({ kind: "info", text: `Connection ${name} added: fill in its config, then test it` });
    }
    setRequest(undefined);
  }, [connections, request, flow, record, setConnections, setNodes, notify]);

  const onConfig = useCallback((name: string, config: Record<string, unknown>) => {
    record(connectionEditKey(name, connections[name]?.config ?? {}, config));
    setConnections(withConfig(connections, name, config));
  }, [connections, record, setConnections]);

  const onDelete = useCallback((name: string) => {
    record();
    setConnections(withoutConnection(connections, name));
    notify({ kind: "info", text: `Connection ${name} deleted (undo brings it back)` });
  }, [connections, record, setConnections, notify]);

  const close = useCallback(() => { setOpen(false); setRequest(undefined); }, []);
  return {
    context, open,
    toggle: useCallback(() => setOpen((o) => !o), []),
    /** The ConnectionsPanel's props but the graph's (nodes, undo count). */
    panel: { connections, requestedType: request?.type, onAdd, onConfig, onDelete, onClose: close },
  };
}
