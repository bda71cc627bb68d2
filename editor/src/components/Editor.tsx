/** The editor screen: toolbar, palette, canvas, property panel and debug sidebar around one flow. */
import {
  addEdge, Background, ControlButton, Controls, MiniMap, ReactFlow, useEdgesState, useNodesState, useReactFlow,
  type Connection, type Edge, type FinalConnectionState, type IsValidConnection, type NodeTypes,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from "react";
import { api, ApiFailure, describeFailure, type FlowRecord } from "../api.ts";
import { CatalogContext, LiveContext, StatusContext, type LiveStatus } from "../context.ts";
import { catalogOf, type CatalogNode } from "../graph/catalog.ts";
import { graphProblems } from "../graph/config-check.ts";
import { checkWire } from "../graph/connect.ts";
import { edgeId, flowToGraph, freshId, graphToFlow, newNode, SCRATCH_FLOW_ID, scratchFlowId, type AiotNode, type FlowMeta } from "../graph/mapping.ts";
import { AiotNodeView } from "./AiotNodeView.tsx";
import { DebugSidebar } from "./DebugSidebar.tsx";
import { useLive } from "./live-hooks.ts";
import { DRAG_TYPE, Palette } from "./Palette.tsx";
import { PropertyPanel } from "./PropertyPanel.tsx";
import { NodeVariants } from "./VariantsView.tsx";
import { Toolbar, type Notice } from "./Toolbar.tsx";
import { configEditKey } from "../graph/history.ts";
import { EditTools } from "./EditTools.tsx";
import { useEditing } from "./useEditing.ts";
import { deploySummary, type DeployKind } from "../graph/deploy-progress.ts";
import { ConflictDialog, conflictOf } from "./ConflictDialog.tsx";
import { DeployProgress, useDeployRunner } from "./DeployProgress.tsx";
import { DiffGhosts } from "./DiffGhosts.tsx";
import { useVersioning } from "./useVersioning.ts";
import { VersionsPanel } from "./VersionsPanel.tsx";
import { FlowConnectionsContext } from "./ConnectionPicker.tsx";
import { ConnectionsPanel } from "./ConnectionsPanel.tsx";
import { useConnections } from "./useConnections.ts";
import { saveRefusal } from "../graph/save-refusal.ts";

/** Node statuses of a flow that runs now, until live events update them. */
async function runningStatuses(flowId: string): Promise<Map<string, LiveStatus>> {
  const running = await api.runtime().then((r) => r.flows.find((f) => f.flowId === flowId), () => undefined);
  return new Map(running?.nodes.map((n) => [n.node, n.status]) ?? []);
}

/** Fit a flow into view without zooming in past 1:1, nor (for a flow of a few dozen nodes) out below readable text. */
const fitOptions = (nodeCount: number) => ({ padding: 0.15, maxZoom: 1, ...(nodeCount <= 40 ? { minZoom: 0.6 } : {}) });
const MINIMAP_KEY = "aiotflow.minimap";

// Built once at module scope, as React Flow asks: a new object per render remounts every node.
const nodeTypes: NodeTypes = { aiot: AiotNodeView };

export function Editor({ palette, onLogout }: { palette: CatalogNode[]; onLogout: () => void }) {
  const catalog = useMemo(() => catalogOf(palette), [palette]);
  const flow = useReactFlow<AiotNode, Edge>();
  const [nodes, setNodes, onNodesChange] = useNodesState<AiotNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [meta, setMeta] = useState<FlowMeta>({ id: SCRATCH_FLOW_ID, name: "New flow" });
  /** The id the editor picked for the blank canvas (not one the user typed): it moves aside when a stored flow has it. */
  const scratchId = useRef<string | undefined>(SCRATCH_FLOW_ID);
  /** The first save of a new flow met a stored flow with its id: ask for another (message kept, suggested id free). */
  const [idClash, setIdClash] = useState<{ id: string; message: string; suggested: string }>();
  /** The saved version this edit started from; undefined until the flow is first saved. */
  const [baseVersion, setBaseVersion] = useState<number>();
  const [flows, setFlows] = useState<FlowRecord[]>([]);
  const [selected, setSelected] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  const [notice, setNotice] = useState<Notice>();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, LiveStatus>>(new Map());
  /** The minimap can cover ports in the bottom-right corner: it can be hidden, and stays so across visits. */
  const [minimap, setMinimap] = useState(() => localStorage.getItem(MINIMAP_KEY) !== "hidden");
  const toggleMinimap = useCallback(() => setMinimap((shown) => {
    localStorage.setItem(MINIMAP_KEY, shown ? "hidden" : "shown");
    return !shown;
  }), []);
  const problems = useMemo(() => graphProblems(nodes, catalog), [nodes, catalog]);
  const versioning = useVersioning(meta, nodes, edges);
  const deployer = useDeployRunner();
  // Live counts on the nodes, fields seen in debug messages, fields upstream of the selection (live-hooks.ts).
  const live = useLive(baseVersion === undefined ? undefined : meta.id, selected, nodes, edges);
  // Undo/redo, copy/paste, import/export, layout and shortcuts (useEditing.ts); an import may name a flow the library has.
  const editing = useEditing({
    flow, catalog, meta, setNodes, setEdges, applyNodeChanges: onNodesChange, notify: setNotice,
    adoptMeta: (m) => { setMeta(m); setBaseVersion(flows.find((f) => f.id === m.id)?.latestVersion); },
    adoptConnections: (connections) => setMeta(({ connections: _old, ...m }) => (connections ? { ...m, connections } : m)),
  });
  // The flow's connections: the panel, and the pickers of node fields that name one (useConnections.ts).
  const conns = useConnections({ flow, meta, setMeta, setNodes, selected, record: editing.record, notify: setNotice });

  const refreshFlows = useCallback(() => api.flows().then((r) => setFlows(r.flows), (e) => setNotice({ kind: "error", text: describeFailure(e) })), []);
  useEffect(() => void refreshFlows(), [refreshFlows]);
  // The blank canvas of a second visit must not save over (and be refused by) the flow the first visit saved as new-flow.
  useEffect(() => {
    if (baseVersion !== undefined || meta.id !== scratchId.current || !flows.some((f) => f.id === meta.id)) return;
    const id = scratchFlowId(flows.map((f) => f.id));
    scratchId.current = id;
    setMeta((m) => ({ ...m, id }));
  }, [flows, baseVersion, meta.id]);

  const open = useCallback(async (id: string) => {
    try {
      const { version } = await api.flow(id);
      const graph = flowToGraph(version.document);
      scratchId.current = undefined;
      setIdClash(undefined);
      setMeta(graph.meta);
      setNodes(graph.nodes);
      setEdges(graph.edges);
      editing.reset();
      setBaseVersion(version.version);
      versioning.markSaved(version.document);
      setSelected(undefined);
      setStatuses(await runningStatuses(id));
      setNotice({ kind: "info", text: `Opened ${id} version ${version.version}` });
      window.setTimeout(() => void flow.fitView(fitOptions(graph.nodes.length)), 0);
    } catch (error) {
      setNotice({ kind: "error", text: describeFailure(error) });
    }
  }, [flow, setNodes, setEdges, versioning.markSaved]);

  const startNew = useCallback((id: string, name: string) => {
    scratchId.current = undefined;
    setIdClash(undefined);
    setMeta({ id, name });
    setNodes([]);
    setEdges([]);
    editing.reset();
    setBaseVersion(undefined);
    versioning.markSaved(undefined);
    setSelected(undefined);
    setStatuses(new Map());
    void flow.setViewport({ x: 0, y: 0, zoom: 1 });
    setNotice({ kind: "info", text: `New flow ${id}: drag nodes from the palette, then save` });
  }, [flow, setNodes, setEdges, versioning.markSaved]);

  const addNode = useCallback((type: string, position?: { x: number; y: number }) => {
    const entry = catalog.get(type);
    if (!entry) return;
    editing.record();
    setNodes((current) => {
      const at = position ?? { x: 80 + (current.length % 5) * 60, y: 80 + current.length * 40 };
      return [...current.map((n) => ({ ...n, selected: false })), { ...newNode(entry, at, current.map((n) => n.id)), selected: true }];
    });
  }, [catalog, setNodes]);

  const onDrop = useCallback((event: DragEvent) => {
    event.preventDefault();
    if (editing.dropFile(event.dataTransfer)) return;
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
    editing.record();
    setEdges((current) => addEdge({ ...c, id: edgeId(c) }, current));
  }, [flow, catalog, setEdges]);
  const onConnectEnd = useCallback((_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
    // Dragging from an input towards an output: the wire still runs output -> input.
    const [out, input] = state.fromHandle.type === "source" ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
    const check = checkWire({ source: out.nodeId, sourceHandle: out.id ?? null, target: input.nodeId, targetHandle: input.id ?? null }, flow.getNodes(), flow.getEdges(), catalog);
    setRefusal(check.ok ? undefined : check.reason);
  }, [flow, catalog]);

  /** `onTopOf`: the version to save over, when the user chose to save on top of a conflicting one. */
  const save = useCallback(async (message: string, onTopOf = baseVersion, as: FlowMeta = meta) => {
    const document = graphToFlow({ meta: as, nodes, edges });
    try {
      const saved = onTopOf === undefined ? await api.create(document, message) : await api.save(document, onTopOf, message);
      setBaseVersion(saved.version.version);
      versioning.markSaved(document);
      setNotice({ kind: "ok", text: `Saved ${document.id} version ${saved.version.version}` });
      void refreshFlows();
    } catch (error) {
      if (error instanceof ApiFailure && error.code === "FLOW_EXISTS" && onTopOf === undefined) {
        // A new flow under a taken id: not the API's PUT advice, but a choice of another id.
        const stored = await api.flows().then((r) => r.flows.map((f) => f.id), () => flows.map((f) => f.id));
        setIdClash({ id: document.id, message, suggested: freshId(document.id, [...stored, document.id]) });
        setNotice({ kind: "error", text: `A flow "${document.id}" is stored already: choose another id to save this one` });
        return;
      }
      // What is wrong first (node and field), the API's code after it, smaller (graph/save-refusal.ts).
      setNotice({ kind: "error", ...saveRefusal(error) });
      const conflict = error instanceof ApiFailure && error.code === "VERSION_CONFLICT" ? conflictOf(error.details, message) : undefined;
      if (conflict) versioning.setConflict(conflict);
    }
  }, [meta, nodes, edges, flows, baseVersion, refreshFlows, versioning.markSaved, versioning.setConflict]);

  const saveUnderId = useCallback((event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!idClash) return;
    const id = String(new FormData(event.currentTarget).get("id") ?? "").trim();
    if (!id) return;
    const renamed = { ...meta, id };
    scratchId.current = undefined;
    setMeta(renamed);
    setIdClash(undefined);
    void save(idClash.message, undefined, renamed);
  }, [idClash, meta, save]);

  /** Deploy or rollback with live progress (DeployProgress.tsx); the outcome also lands in the notice line. */
  const deploy = useCallback(async (kind: DeployKind = "deploy") => {
    setNotice({ kind: "info", text: `${kind === "rollback" ? "Rolling back" : "Deploying"} ${meta.id}…` });
    const done = await deployer.run(meta.id, kind);
    if (done) setNotice({ kind: done.status === "running" ? "ok" : "error", text: deploySummary(done) });
    void refreshFlows();
  }, [meta.id, refreshFlows, deployer.run]);

  const updateNode = useCallback((id: string, change: Partial<AiotNode["data"]>) => {
    editing.record(configEditKey(id, flow.getNode(id)?.data.config ?? {}, change.config));
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...change } } : n)));
  }, [setNodes]);

  // Stable, as React Flow asks of every callback prop: a new function each render is pushed into its store again.
  const onSelectionChange = useCallback(({ nodes: picked }: { nodes: AiotNode[] }) => setSelected(picked.length === 1 ? picked[0]!.id : undefined), []);

  const onStatus = useCallback((node: string, status: LiveStatus) => {
    setStatuses((current) => new Map(current).set(node, status));
  }, []);

  const selectedNode = nodes.find((n) => n.id === selected);
  return (
    <CatalogContext.Provider value={catalog}>
      <StatusContext.Provider value={statuses}>
        <LiveContext.Provider value={live.store}>
        <FlowConnectionsContext.Provider value={conns.context}>
        <div className="editor">
          <Toolbar
            meta={meta} baseVersion={baseVersion} flows={flows} notice={notice} problems={problems}
            onOpen={(id) => versioning.confirmDiscard(`Opening ${id}`) && void open(id)} onNew={(id, name) => versioning.confirmDiscard("A new flow") && startNew(id, name)}
            onRename={(name) => setMeta((m) => ({ ...m, name }))}
            onSave={(message) => void save(message)} onDeploy={() => void deploy()} onLogout={onLogout}
            dirty={versioning.dirty} historyOpen={versioning.historyOpen} onHistory={versioning.toggleHistory}
            connectionsOpen={conns.open} onConnections={conns.toggle}
          />
          <Palette nodes={palette} onAdd={addNode} />
          <main className="canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = e.dataTransfer.types.includes("Files") ? "copy" : "move"; }} onDrop={onDrop}>
            <ReactFlow<AiotNode, Edge>
              nodes={versioning.shown.nodes} edges={versioning.shown.edges} nodeTypes={nodeTypes}
              onNodesChange={editing.onNodesChange} onEdgesChange={onEdgesChange}
              onConnect={onConnect} onConnectEnd={onConnectEnd} isValidConnection={isValidConnection}
              onSelectionChange={onSelectionChange}
              deleteKeyCode={null /* Delete/Backspace are useEditing's shortcuts */}
              onNodeDragStart={editing.onNodeDragStart} onNodeDragStop={editing.onNodeDragStop}
              onSelectionDragStart={editing.onNodeDragStart} onSelectionDragStop={editing.onNodeDragStop} onBeforeDelete={editing.onBeforeDelete}
              /* No fitView prop: on a blank canvas it fired at the first drop and threw that node to the centre. Opening a flow fits it. */
            >
              <Background />
              <Controls>
                <ControlButton onClick={toggleMinimap} title={minimap ? "Hide the minimap" : "Show the minimap"} aria-label={minimap ? "Hide the minimap" : "Show the minimap"} aria-pressed={minimap}>
                  ▣
                </ControlButton>
              </Controls>
              {minimap && <MiniMap pannable zoomable style={{ width: 140, height: 90 }} />}
              {versioning.ghosts && <DiffGhosts {...versioning.ghosts} />}
              <EditTools editing={editing} />
            </ReactFlow>
            {refusal && (
              <div className="refusal" role="alert" data-testid="wire-refused">
                Wire refused: {refusal}
                <button type="button" aria-label="Dismiss" onClick={() => setRefusal(undefined)}>×</button>
              </div>
            )}
            {versioning.historyOpen && (
              <VersionsPanel
                flowId={meta.id} baseVersion={baseVersion} dirty={versioning.dirty}
                refreshKey={`${baseVersion}:${deployer.state?.status ?? ""}:${flows.find((f) => f.id === meta.id)?.deployedVersion ?? ""}`}
                comparing={versioning.comparing} compareLines={versioning.compareLines}
                onCompare={versioning.compareWith} onCompareEnd={versioning.endCompare}
                onRestored={() => void open(meta.id)} onRollback={() => void deploy("rollback")} onStopped={() => void refreshFlows()}
                onNotice={setNotice} onClose={versioning.closeHistory}
              />
            )}
            {conns.open && <ConnectionsPanel {...conns.panel} nodes={nodes} restored={editing.restored} />}
            {deployer.state && <DeployProgress state={deployer.state} onClose={deployer.dismiss} />}
          </main>
          <div className="side">
            <PropertyPanel key={`${selectedNode?.id ?? "none"}:${editing.restored}`} node={selectedNode} entry={selectedNode ? catalog.get(selectedNode.data.nodeType) : undefined} onChange={updateNode} upstreamFields={live.upstreamFields}>
              {selectedNode && <NodeVariants flowId={baseVersion === undefined ? undefined : meta.id} node={selectedNode.id} nodeType={selectedNode.data.nodeType} />}
            </PropertyPanel>
            <DebugSidebar flowId={baseVersion === undefined ? undefined : meta.id} onStatus={onStatus} onDebugMessage={live.onDebugMessage} />
          </div>
          {idClash && (
            <form className="id-clash" role="dialog" aria-label="Choose another flow id" data-testid="id-clash" onSubmit={saveUnderId}>
              <p>A flow with the id <b>{idClash.id}</b> is stored already. Save this one under another id:</p>
              <input name="id" aria-label="Another flow id" required pattern="[A-Za-z0-9_.:\-]+" defaultValue={idClash.suggested} autoFocus />
              <div className="dialog-buttons">
                <button type="submit">Save as new flow</button>
                <button type="button" onClick={() => setIdClash(undefined)}>Cancel</button>
              </div>
            </form>
          )}
          {versioning.conflict && (
            <ConflictDialog
              conflict={versioning.conflict}
              onReload={() => { versioning.setConflict(undefined); void open(meta.id); }}
              onOverwrite={() => { const { message, latest } = versioning.conflict!; versioning.setConflict(undefined); void save(message, latest.version); }}
              onCancel={() => versioning.setConflict(undefined)}
            />
          )}
        </div>
        </FlowConnectionsContext.Provider>
        </LiveContext.Provider>
      </StatusContext.Provider>
    </CatalogContext.Provider>
  );
}
