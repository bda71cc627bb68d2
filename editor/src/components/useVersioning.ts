/**
 * The editor's version state beside the graph: whether the graph differs from what was last opened
 * or saved (the unsaved marker), which saved version it is compared with (the diff drawn on the
 * canvas), whether the history panel is open, and a save conflict waiting for the user's choice.
 */
import type { Edge } from "@xyflow/react";
import { useCallback, useDeferredValue, useMemo, useState } from "react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import { describeDiff, ghostsOf, markDiff } from "../graph/diff.ts";
import { canonicalJson } from "../../../runtime/contract/canonical.ts";
import { diffFlows } from "../../../runtime/contract/diff.ts";
import { flowToGraph, graphToFlow, type AiotNode, type FlowMeta } from "../graph/mapping.ts";
import type { Conflict } from "./ConflictDialog.tsx";

export function useVersioning(meta: FlowMeta, nodes: AiotNode[], edges: Edge[]) {
  /** Canonical text of the document last opened or saved; undefined for a flow never saved. */
  const [saved, setSaved] = useState<string>();
  const [compare, setCompare] = useState<{ version: number; before: FlowDocument }>();
  const [historyOpen, setHistoryOpen] = useState(false);
  const [conflict, setConflict] = useState<Conflict>();

  // Deferred: comparing a 300-node document on every drag frame would stall the drag.
  const deferredNodes = useDeferredValue(nodes);
  const deferredEdges = useDeferredValue(edges);
  const current = useMemo(() => graphToFlow({ meta, nodes: deferredNodes, edges: deferredEdges }), [meta, deferredNodes, deferredEdges]);
  const currentText = useMemo(() => canonicalJson(current), [current]);
  const dirty = saved === undefined ? current.nodes.length > 0 : currentText !== saved;
  const compareDiff = useMemo(() => (compare ? diffFlows(compare.before, current) : undefined), [compare, current]);
  const shown = useMemo(() => markDiff(nodes, edges, compareDiff), [nodes, edges, compareDiff]);
  const ghosts = useMemo(
    () => (compare && compareDiff ? ghostsOf(compare.before, compareDiff, current.nodes.map((n) => n.id)) : undefined),
    [compare, compareDiff, current],
  );

  /** After opening or saving `document` (undefined: a new, empty flow). Normalised as the graph writes it back. */
  const markSaved = useCallback((document: FlowDocument | undefined) => {
    setSaved(document && canonicalJson(graphToFlow(flowToGraph(document))));
    setCompare(undefined);
  }, []);

  /** Whether to go on and drop unsaved changes (asks only when there are some). */
  const confirmDiscard = useCallback(
    (what: string) => !dirty || window.confirm(`${meta.id} has unsaved changes. ${what} drops them. Go on?`),
    [dirty, meta.id],
  );

  return {
    dirty,
    markSaved,
    confirmDiscard,
    /** The graph with diff classes, for React Flow; ghosts of removed nodes and wires for DiffGhosts. */
    shown,
    ghosts,
    comparing: compare?.version,
    compareLines: compareDiff && describeDiff(compareDiff, compare?.before, current),
    compareWith: useCallback((version: number, before: FlowDocument) => setCompare({ version, before }), []),
    endCompare: useCallback(() => setCompare(undefined), []),
    historyOpen,
    // Closing by the toolbar button ends a compare too: one left running made the next opening
    // of the panel fit the canvas to its highlights again, as if the user had pressed Compare.
    toggleHistory: useCallback(() => {
      if (historyOpen) setCompare(undefined);
      setHistoryOpen(!historyOpen);
    }, [historyOpen]),
    closeHistory: useCallback(() => { setHistoryOpen(false); setCompare(undefined); }, []),
    conflict,
    setConflict,
  };
}
