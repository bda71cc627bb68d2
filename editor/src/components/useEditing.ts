/**
 * Undo/redo, copy/paste, select all, auto-layout, import and export for the canvas. The Editor calls
 * `record()` right before each edit it makes itself; drags, deletes, pastes, imports and layouts are
 * recorded here. A snapshot holds the nodes, wires and the flow's identity (an import changes it).
 */
import type { Edge, NodeChange, OnBeforeDelete, ReactFlowInstance } from "@xyflow/react";
import { useCallback, useMemo, useRef, useState } from "react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import type { Catalog } from "../graph/catalog.ts";
import { CLIPBOARD_KEY, copySelection, PASTE_OFFSET, parseClipboard, pasteContent } from "../graph/clipboard.ts";
import { createHistory, restorable } from "../graph/history.ts";
import { exportFile, importedGraph } from "../graph/import-export.ts";
import { layoutGraph } from "../graph/layout.ts";
import type { AiotNode, FlowMeta } from "../graph/mapping.ts";
import type { ImportRequest } from "./ImportDialog.tsx";
import type { Notice } from "./Toolbar.tsx";
import { useShortcuts } from "./useShortcuts.ts";

export type EditingDialog = { readonly kind: "import"; readonly initial?: ImportRequest } | { readonly kind: "help" };

/** Save and deploy belong to the toolbar: a shortcut works its control (focus the message, press Deploy) so both paths stay one. */
function workControl(name: "save" | "deploy"): boolean {
  const control = document.querySelector<HTMLElement>(`[data-shortcut="${name}"]`);
  if (!control || (control instanceof HTMLButtonElement && control.disabled)) return false;
  if (control instanceof HTMLInputElement) control.focus();
  else control.click();
  return true;
}

interface Snapshot {
  readonly nodes: AiotNode[];
  readonly edges: Edge[];
  readonly meta: FlowMeta;
}

export interface EditingOptions {
  readonly flow: ReactFlowInstance<AiotNode, Edge>;
  readonly catalog: Catalog;
  readonly meta: FlowMeta;
  setNodes(nodes: AiotNode[]): void;
  setEdges(edges: Edge[]): void;
  /** React Flow's own change handler (useNodesState), which this wraps. */
  applyNodeChanges(changes: NodeChange<AiotNode>[]): void;
  /** Sets the flow's identity (and the version an edit of it starts from). */
  adoptMeta(meta: FlowMeta): void;
  /** Sets the flow's connections (an undo/redo step of the Connections panel). */
  adoptConnections?(connections: FlowMeta["connections"]): void;
  notify(notice: Notice): void;
}

const samePlaces = (a: readonly AiotNode[], b: readonly AiotNode[]) =>
  a.length === b.length && a.every((n, i) => n.id === b[i]?.id && n.position.x === b[i].position.x && n.position.y === b[i].position.y);

export function useEditing(options: EditingOptions) {
  const latest = useRef(options);
  latest.current = options;
  const history = useMemo(() => createHistory<Snapshot>(200), []);
  const dragStart = useRef<AiotNode[]>(undefined);
  const pastes = useRef(0);
  /** Counts undos and redos: forms keyed by it re-read the restored config instead of keeping their drafts. */
  const [restored, setRestored] = useState(0);

  const snapshot = useCallback((): Snapshot => {
    const { flow, meta } = latest.current;
    return { nodes: flow.getNodes(), edges: flow.getEdges(), meta };
  }, []);
  const record = useCallback((key?: string) => history.record(snapshot(), key), [history, snapshot]);
  const restore = useCallback((state: Snapshot) => {
    const { flow, setNodes, setEdges, adoptMeta, meta } = latest.current;
    // The current selection, not the snapshot's (history.ts restorable): a restored selection made the next Delete remove it all.
    const selectedNow = new Set([...flow.getNodes(), ...flow.getEdges()].filter((item) => item.selected).map((item) => item.id));
    setNodes(restorable(state.nodes, selectedNow));
    setEdges(restorable(state.edges, selectedNow));
    setRestored((n) => n + 1);
    // Only an import changes which flow this is; renames are not undo steps. Connection edits are.
    if (state.meta.id !== meta.id) adoptMeta(state.meta);
    else if (state.meta.connections !== meta.connections) latest.current.adoptConnections?.(state.meta.connections);
  }, []);

  const undo = useCallback(() => {
    const previous = history.undo(snapshot());
    if (previous) restore(previous);
    else latest.current.notify({ kind: "info", text: "Nothing to undo" });
  }, [history, snapshot, restore]);
  const redo = useCallback(() => {
    const next = history.redo(snapshot());
    if (next) restore(next);
    else latest.current.notify({ kind: "info", text: "Nothing to redo" });
  }, [history, snapshot, restore]);

  /** Forget the steps of another flow (open, new). */
  const reset = useCallback(() => history.clear(), [history]);

  const onNodeDragStart = useCallback(() => {
    dragStart.current = latest.current.flow.getNodes();
  }, []);
  // One step per drag however many frames it had; a click that moved nothing is no step.
  const onNodeDragStop = useCallback(() => {
    const before = dragStart.current;
    dragStart.current = undefined;
    if (before && !samePlaces(before, latest.current.flow.getNodes())) history.record({ ...snapshot(), nodes: before });
  }, [history, snapshot]);
  // Arrow keys move the selection outside any drag: a burst of presses on the same nodes is one step.
  const onNodesChange = useCallback((changes: NodeChange<AiotNode>[]) => {
    const { flow } = latest.current;
    const moved = changes.flatMap((c) => {
      if (c.type !== "position" || !c.position || c.dragging) return [];
      const at = flow.getNode(c.id)?.position;
      return at && (at.x !== c.position.x || at.y !== c.position.y) ? [c.id] : [];
    });
    if (moved.length > 0 && !dragStart.current) history.record(snapshot(), `nudge:${moved.sort().join(",")}`);
    latest.current.applyNodeChanges(changes);
  }, [history, snapshot]);

  const onBeforeDelete = useCallback<OnBeforeDelete<AiotNode, Edge>>(async () => {
    record();
    return true;
  }, [record]);

  // Our own Delete/Backspace rather than React Flow's deleteKeyCode, whose key tracking missed presses after undo/redo combinations.
  const deleteSelection = useCallback(() => {
    const { flow } = latest.current;
    void flow.deleteElements({ nodes: flow.getNodes().filter((n) => n.selected), edges: flow.getEdges().filter((e) => e.selected) });
  }, []);

  const selectAll = useCallback(() => {
    const { flow, setNodes, setEdges } = latest.current;
    setNodes(flow.getNodes().map((n) => ({ ...n, selected: true })));
    setEdges(flow.getEdges().map((e) => ({ ...e, selected: true })));
  }, []);

  const copy = useCallback(() => {
    const { flow, notify } = latest.current;
    const content = copySelection(flow.getNodes(), flow.getEdges());
    if (!content) return notify({ kind: "info", text: "Select nodes to copy first" });
    const text = JSON.stringify(content);
    localStorage.setItem(CLIPBOARD_KEY, text);
    // The system clipboard too where the page may write it; the editor pastes from localStorage.
    void navigator.clipboard?.writeText(text).catch(() => undefined);
    pastes.current = 0;
    notify({ kind: "info", text: `Copied ${content.nodes.length} node(s) and ${content.edges.length} wire(s)` });
  }, []);

  const paste = useCallback(() => {
    const { flow, setNodes, setEdges, notify } = latest.current;
    const content = parseClipboard(localStorage.getItem(CLIPBOARD_KEY));
    if (!content || content.nodes.length === 0) return notify({ kind: "info", text: "Nothing to paste: copy nodes first (Ctrl+C)" });
    record();
    pastes.current += 1;
    const current = flow.getNodes();
    const offset = PASTE_OFFSET * pastes.current;
    const pasted = pasteContent(content, current.map((n) => n.id), { x: offset, y: offset });
    setNodes([...current.map((n) => ({ ...n, selected: false })), ...pasted.nodes]);
    setEdges([...flow.getEdges().map((e) => ({ ...e, selected: false })), ...pasted.edges]);
    notify({ kind: "info", text: `Pasted ${pasted.nodes.length} node(s): ${pasted.nodes.map((n) => n.id).join(", ")}` });
  }, [record]);

  const layout = useCallback(() => {
    const { flow, catalog, setNodes } = latest.current;
    record();
    setNodes(layoutGraph(flow.getNodes(), flow.getEdges(), catalog));
    window.setTimeout(() => void flow.fitView({ padding: 0.15, maxZoom: 1 }), 0);
  }, [record]);

  /** A document the server validated replaces the canvas (one undo step brings the old one back). */
  const applyImport = useCallback((document: FlowDocument, source: string) => {
    const { flow, catalog, setNodes, setEdges, adoptMeta, notify } = latest.current;
    record();
    const { graph, laidOut } = importedGraph(document, catalog);
    setNodes(graph.nodes);
    setEdges(graph.edges);
    adoptMeta(graph.meta);
    notify({ kind: "ok", text: `Imported ${document.id} from ${source}: ${graph.nodes.length} nodes, ${graph.edges.length} wires${laidOut ? ", laid out automatically" : ""}. Save to keep it.` });
    window.setTimeout(() => void flow.fitView({ padding: 0.15, maxZoom: 1 }), 0);
  }, [record]);

  const exportFlow = useCallback(() => {
    const { flow, meta } = latest.current;
    const { fileName, text } = exportFile({ meta, nodes: flow.getNodes(), edges: flow.getEdges() });
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: fileName });
    link.click();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  }, []);

  const [dialog, setDialog] = useState<EditingDialog>();
  const openImport = useCallback((initial?: ImportRequest) => setDialog(initial ? { kind: "import", initial } : { kind: "import" }), []);
  const openHelp = useCallback(() => setDialog({ kind: "help" }), []);
  const closeDialog = useCallback(() => setDialog(undefined), []);
  /** A .json file dropped on the canvas goes through the import dialog; false when the drop holds no file. */
  const dropFile = useCallback((data: DataTransfer): boolean => {
    const file = data.files[0];
    if (!file) return false;
    void file.text().then((text) => openImport({ text, source: file.name }));
    return true;
  }, [openImport]);

  useShortcuts({
    delete: deleteSelection, selectAll, copy, paste, undo, redo,
    save: () => void (workControl("save") || latest.current.notify({ kind: "info", text: "Saving is not available here" })),
    deploy: () => void (workControl("deploy") || latest.current.notify({ kind: "info", text: "Deploy is not available: save the flow first" })),
    help: openHelp,
  }, dialog === undefined);

  // One object per dialog change, so the memoised EditTools does not re-render on every drag frame.
  return useMemo(() => ({
    record, undo, redo, reset, onNodesChange, onNodeDragStart, onNodeDragStop, onBeforeDelete, selectAll, copy, paste, layout, applyImport, exportFlow,
    dialog, openImport, openHelp, closeDialog, dropFile, restored,
  }), [restored, record, undo, redo, reset, onNodesChange, onNodeDragStart, onNodeDragStop, onBeforeDelete, selectAll, copy, paste, layout, applyImport, exportFlow, dialog, openImport, openHelp, closeDialog, dropFile]);
}

export type Editing = ReturnType<typeof useEditing>;
