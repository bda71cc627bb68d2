/**
 * Live events of the open flow over the events WebSocket: debug messages, errors, deploy progress.
 * Filter by node, pause (new messages wait, counted, and join the list on resume), clear, and click
 * a message for its payload, key, event time, meta and lineage. Nodes are named as on the canvas
 * (their id on hover); messages from before the editor connected (the server's history) are dimmed.
 */
import { useReactFlow, useStore } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { eventsUrl } from "../api.ts";
import type { LiveStatus } from "../context.ts";
import { entryOf, filterChoices, filterEntries, nodeLabel, prepend, type DebugEntry, type GraphNodeName } from "../graph/live.ts";
import { explanationBarsOf } from "../graph/ml-view.ts";
import { ExplanationBars } from "./ExplanationBars.tsx";
import { MessageDetail } from "./MessageDetail.tsx";

/** Entries kept on screen, and waiting while paused: older ones fall off. */
const KEEP = 300;

interface Props {
  readonly flowId: string | undefined;
  onStatus(node: string, status: LiveStatus): void;
  /** Every debug message, for the fields seen live (field pickers). */
  onDebugMessage?(node: string, msg: unknown): void;
}

/** The graph's node ids, types and names as one string: the list re-renders when one of them changes, not on a drag. */
const namesKey = (state: { nodes: ReadonlyArray<{ id: string; data: Record<string, unknown> }> }) =>
  JSON.stringify(state.nodes.map((n) => [n.id, n.data["nodeType"], n.data["name"]]));

function DebugSidebarImpl({ flowId, onStatus, onDebugMessage }: Props) {
  const flow = useReactFlow();
  const graphKey = useStore(namesKey);
  const graph = useMemo(
    () => (JSON.parse(graphKey) as Array<[string, unknown, unknown]>).map(([id, type, name]): GraphNodeName => ({ id, type: String(type), name: typeof name === "string" ? name : undefined })),
    [graphKey],
  );
  const names = useMemo(() => new Map(graph.map((n) => [n.id, n.name ?? ""])), [graph]);
  const [entries, setEntries] = useState<DebugEntry[]>([]);
  const [waiting, setWaiting] = useState<DebugEntry[]>([]);
  /** Messages that arrived while paused, including those that fell off `waiting`. */
  const [missed, setMissed] = useState(0);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const [open, setOpen] = useState<DebugEntry>();
  const [connected, setConnected] = useState(false);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const seq = useRef(0);

  useEffect(() => {
    setEntries([]);
    setWaiting([]);
    setMissed(0);
    setOpen(undefined);
    setFilter("");
  }, [flowId]);

  useEffect(() => {
    if (!flowId) return;
    const socket = new WebSocket(eventsUrl(flowId));
    socket.onopen = () => setConnected(true);
    socket.onclose = () => setConnected(false);
    socket.onmessage = (message) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(String(message.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      const node = typeof event["node"] === "string" ? event["node"] : undefined;
      const status = event["status"];
      if (event["type"] === "status" && node && status && typeof status === "object") onStatus(node, status as LiveStatus);
      if (event["type"] === "error" && node) onStatus(node, { state: "error", text: String(event["message"]) });
      if (event["type"] === "debug" && node) onDebugMessage?.(node, event["msg"]);
      const entry = entryOf(event, ++seq.current);
      if (!entry) return;
      if (pausedRef.current) {
        setWaiting((current) => prepend(current, [entry], KEEP));
        setMissed((n) => n + 1);
      } else {
        setEntries((current) => prepend(current, [entry], KEEP));
      }
    };
    return () => socket.close();
  }, [flowId, onStatus, onDebugMessage]);

  const resume = () => {
    setEntries((current) => prepend(current, [...waiting].reverse(), KEEP));
    setWaiting([]);
    setMissed(0);
    setPaused(false);
  };
  const choices = filterChoices(graph, [...entries, ...waiting]);
  const shown = filterEntries(entries, filter);
  /** The newest message from the history: the line between now and before the editor connected. */
  const firstReplayed = shown.findIndex((e) => e.replayed);
  const nameOf = (e: DebugEntry) => {
    const name = nodeLabel(e.node, names);
    return e.label === e.node || e.label === name ? name : `[${e.label}] ${name}`;
  };

  return (
    <section className="debug" aria-label="Debug messages">
      <h2 className="debug-head">
        Debug {flowId ? <small>{connected ? (paused ? "paused" : "live") : "connecting…"}</small> : <small>save the flow to watch it</small>}
        <span className="debug-tools">
          <select aria-label="Filter by node" value={filter} onChange={(e) => setFilter(e.target.value)}>
            <option value="">all nodes</option>
            {choices.map((c) => <option key={c.id} value={c.id} title={c.id}>{c.label}</option>)}
          </select>
          <button type="button" onClick={paused ? resume : () => setPaused(true)}>{paused ? `Resume (${missed})` : "Pause"}</button>
          <button type="button" onClick={() => { setEntries([]); setWaiting([]); setMissed(0); setOpen(undefined); }}>Clear</button>
        </span>
      </h2>
      {paused && (
        <p className="debug-paused" data-testid="debug-paused">
          Paused: {missed} new message{missed === 1 ? "" : "s"} waiting{missed > waiting.length ? ` (the newest ${waiting.length} are kept)` : ""}.
        </p>
      )}
      {open && <MessageDetail entry={open} name={nodeLabel(open.node, names)} lineageWires={flow.getEdges()} onClose={() => setOpen(undefined)} />}
      <ol data-testid="debug-messages">
        {shown.map((e, i) => (
          <li key={e.seq} className={`debug-${e.kind}${e.replayed ? " debug-replayed" : ""}${open?.seq === e.seq ? " open" : ""}`} data-replayed={e.replayed ? "true" : undefined}>
            {i === firstReplayed && (
              <span className="debug-earlier" data-testid="debug-earlier">earlier, before you opened the editor</span>
            )}
            <button type="button" className="debug-line" disabled={e.kind !== "debug"} onClick={() => setOpen(e)} title={e.kind === "debug" ? `${e.node}: show the whole message and its lineage` : undefined}>
              {e.node && <b title={e.node}>{nameOf(e)}</b>} <Why msg={e.msg} />{e.summary}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** A scored message's top features (meta.explanation), ahead of the payload: for an alarm, the why. */
function Why({ msg }: { readonly msg: unknown }) {
  const bars = explanationBarsOf(msg);
  return bars ? <ExplanationBars bars={bars} compact /> : null;
}

export const DebugSidebar = memo(DebugSidebarImpl);
