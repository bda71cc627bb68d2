/** The editor screen: toolbar, palette, canvas, property panel and debug sidebar around one flow. */
import {
  addEdge, Background, Controls, MiniMap, ReactFlow, useEdgesState, useNodesState, useReactFlow,
  type Connection, type Edge, type FinalConnectionState, type IsValidConnection, type NodeTypes,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState, type DragEvent } from "react";
import { api, describeFailure, type FlowRecord } from "../api.ts";
import { CatalogContext, StatusContext, type LiveStatus } from "../context.ts";
import { catalogOf, type CatalogNode } from "../graph/catalog.ts";
import { graphProblems } from "../graph/config-check.ts";
import { checkWire } from "../graph/connect.ts";
import { edgeId, flowToGraph, graphToFlow, newNode, type AiotNode, type FlowMeta } from "../graph/mapping.ts";
import { AiotNodeView } from "./AiotNodeView.tsx";
import { DebugSidebar } from "./DebugSidebar.tsx";
import { DRAG_TYPE, Palette } from "./Palette.tsx";
import { PropertyPanel } from "./PropertyPanel.tsx";
import { Toolbar, type Notice } from "./Toolbar.tsx";

/** Node statuses of a flow that runs now, until live events update them. */
async function runningStatuses(flowId: string): Promise<Map<string, LiveStatus>> {
  const running = await api.runtime().then((r) => r.flows.find((f) => f.flowId === flowId), () => undefined);
  return new Map(running?.nodes.map((n) => [n.node, n.status]) ?? []);
}

// Built once at module scope, as React Flow asks: a new object per render remounts every node.
const nodeTypes: NodeTypes = { aiot: AiotNodeView };

export function Editor({ palette, onLogout }: { palette: CatalogNode[]; onLogout: () => void }) {
  const catalog = useMemo(() => catalogOf(palette), [palette]);
  const flow = useReactFlow<AiotNode, Edge>();
  const [nodes, setNodes, onNodesChange] = useNodesState<AiotNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [meta, setMeta] = useState<FlowMeta>({ id: "new-flow", name: "New flow" });
  /** The saved version this edit started from; undefined until the flow is first saved. */
  const [baseVersion, setBaseVersion] = useState<number>();
  const [flows, setFlows] = useState<FlowRecord[]>([]);
  const [selected, setSelected] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  const [notice, setNotice] = useState<Notice>();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, LiveStatus>>(new Map());
  const problems = useMemo(() => graphProblems(nodes, catalog), [nodes, catalog]);

  const refreshFlows = useCallback(() => api.flows().then((r) => setFlows(r.flows), (e) => setNotice({ kind: "error", text: describeFailure(e) })), []);
  useEffect(() => void refreshFlows(), [refreshFlows]);

  const open = useCallback(async (id: string) => {
    try {
      const { version } = await api.flow(id);
      const graph = flowToGraph(version.document);
      setMeta(graph.meta);
      setNodes(graph.nodes);
      setEdges(graph.edges);
      setBaseVersion(version.version);
      setSelected(undefined);
      setStatuses(await runningStatuses(id));
      setNotice({ kind: "info", text: `Opened ${id} version ${version.version}` });
      window.setTimeout(() => void flow.fitView({ padding: 0.15 }), 0);
    } catch (error) {
      setNotice({ kind: "error", text: describeFailure(error) });
    }
  }, [flow, setNodes, setEdges]);

  const startNew = useCallback((id: string, name: string) => {
    setMeta({ id, name });
    setNodes([]);
    setEdges([]);
    setBaseVersion(undefined);
    setSelected(undefined);
    setStatuses(new Map());
    void flow.setViewport({ x: 0, y: 0, zoom: 1 });
    setNotice({ kind: "info", text: `New flow ${id}: drag nodes from the palette, then save` });
  }, [flow, setNodes, setEdges]);

  const addNode = useCallback((type: string, position?: { x: number; y: number }) => {
    const entry = catalog.get(type);
    if (!entry) return;
    setNodes((current) => {
      const at = position ?? { x: 80 + (current.length % 5) * 60, y: 80 + current.length * 40 };
      return [...current.map((n) => ({ ...n, selected: false })), { ...newNode(entry, at, current.map((n) => n.id)), selected: true }];
    });
  }, [catalog, setNodes]);

  const onDrop = useCallback((event: DragEvent) => {
    event.preventDefault();
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (type) addNode(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  }, [addNode, flow]);

  const isValidConnection = useCallback<IsValidConnection<Edge>>(
    (c) => checkWire(c, flow.getNodes(), flow.getEdges(), catalog).ok,
    [flow, catalog],
  );
  const onConnect = useCallback((c: Connection) => {
    const check = checkWire(c, flow.getNodes(), flow.getEdges(), catalog);
    if (!check.ok) return setRefusal(check.reason);
    setRefusal(undefined);
    setEdges((current) => addEdge({ ...c, id: edgeId(c) }, current));
  }, [flow, catalog, setEdges]);
  const onConnectEnd = useCallback((_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
    // Dragging from an input towards an output: the wire still runs output -> input.
    const [out, input] = state.fromHandle.type === "source" ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
    const check = checkWire({ source: out.nodeId, sourceHandle: out.id ?? null, target: input.nodeId, targetHandle: input.id ?? null }, flow.getNodes(), flow.getEdges(), catalog);
    setRefusal(check.ok ? undefined : check.reason);
  }, [flow, catalog]);

  const save = useCallback(async (message: string) => {
    const document = graphToFlow({ meta, nodes, edges });
    try {
      const saved = baseVersion === undefined ? await api.create(document, message) : await api.save(document, baseVersion, message);
      setBaseVersion(saved.version.version);
      setNotice({ kind: "ok", text: `Saved ${document.id} version ${saved.version.version}` });
      void refreshFlows();
    } catch (error) {
      setNotice({ kind: "error", text: describeFailure(error) });
    }
  }, [meta, nodes, edges, baseVersion, refreshFlows]);

  const deploy = useCallback(async () => {
    try {
      setNotice({ kind: "info", text: `Deploying ${meta.id}…` });
      const { deployment } = await api.deploy(meta.id);
      setNotice({ kind: "ok", text: `Deployed ${meta.id} version ${deployment.version}: ${deployment.outcome} (${Math.round(deployment.durationMs)} ms)` });
      void refreshFlows();
    } catch (error) {
      setNotice({ kind: "error", text: describeFailure(error) });
    }
  }, [meta.id, refreshFlows]);

  const updateNode = useCallback((id: string, change: Partial<AiotNode["data"]>) => {
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...change } } : n)));
  }, [setNodes]);

  const onStatus = useCallback((node: string, status: LiveStatus) => {
    setStatuses((current) => new Map(current).set(node, status));
  }, []);

  const selectedNode = nodes.find((n) => n.id === selected);
  return (
    <CatalogContext.Provider value={catalog}>
      <StatusContext.Provider value={statuses}>
        <div className="editor">
          <Toolbar
            meta={meta} baseVersion={baseVersion} flows={flows} notice={notice} problems={problems}
            onOpen={(id) => void open(id)} onNew={startNew} onRename={(name) => setMeta((m) => ({ ...m, name }))}
            onSave={(message) => void save(message)} onDeploy={() => void deploy()} onLogout={onLogout}
          />
          <Palette nodes={palette} onAdd={addNode} />
          <main className="canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop}>
            <ReactFlow<AiotNode, Edge>
              nodes={nodes} edges={edges} nodeTypes={nodeTypes}
              onNodesChange={onNodesChange} onEdgesChange={onEdgesChange}
              onConnect={onConnect} onConnectEnd={onConnectEnd} isValidConnection={isValidConnection}
              onSelectionChange={({ nodes: picked }) => setSelected(picked.length === 1 ? picked[0]!.id : undefined)}
              deleteKeyCode={["Backspace", "Delete"]}
              fitView
              fitViewOptions={{ maxZoom: 1 }}
            >
              <Background />
              <Controls />
              <MiniMap pannable zoomable />
            </ReactFlow>
            {refusal && (
              <div className="refusal" role="alert" data-testid="wire-refused">
                Wire refused: {refusal}
                <button type="button" aria-label="Dismiss" onClick={() => setRefusal(undefined)}>×</button>
              </div>
            )}
          </main>
          <div className="side">
            <PropertyPanel key={selectedNode?.id ?? "none"} node={selectedNode} entry={selectedNode ? catalog.get(selectedNode.data.nodeType) : undefined} onChange={updateNode} />
            <DebugSidebar flowId={baseVersion === undefined ? undefined : meta.id} onStatus={onStatus} />
          </div>
        </div>
      </StatusContext.Provider>
    </CatalogContext.Provider>
  );
}
