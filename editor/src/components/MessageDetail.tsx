/**
 * One debug message in full: payload, key, topic, event time, meta, and where it came from. Opens
 * over the editor (the debug panel is too small for it); Escape, × or a click beside it closes it.
 */
import { useEffect, useMemo, useRef } from "react";
import type { WireLike } from "../graph/fields.ts";
import { lineageOf, metaLineage, pathsFrom } from "../graph/lineage.ts";
import type { DebugEntry } from "../graph/live.ts";
import { explanationBars } from "../graph/ml-view.ts";
import { ExplanationBars } from "./ExplanationBars.tsx";

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const time = (ms: unknown) => (typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : "—");

interface Props {
  readonly entry: DebugEntry;
  /** The node's name on the canvas (its id when it has none). */
  readonly name?: string;
  readonly lineageWires: readonly WireLike[];
  onClose(): void;
}

export function MessageDetail({ entry, name, lineageWires, onClose }: Props) {
  const close = useRef<HTMLButtonElement>(null);
  // The latest onClose without re-running the effect: the list re-renders on every message, and a
  // re-run would take the focus back each time.
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onCloseRef.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const msg = isRecord(entry.msg) ? entry.msg : { payload: entry.msg };
  const meta = msg["meta"];
  // Computed when the message is opened, from the graph as it is now.
  const lineage = useMemo(() => lineageOf(entry.node, lineageWires), [entry.node, lineageWires]);
  const fromMeta = metaLineage(meta);
  const why = explanationBars(meta);
  const model = isRecord(meta) ? meta["model"] : undefined;
  const paths = pathsFrom(lineage, isRecord(meta) ? meta["source"] : undefined);

  return (
    <div className="message-overlay" data-testid="message-overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
    <div className="message-detail" data-testid="message-detail" role="dialog" aria-modal="true" aria-label="Debug message">
      <header>
        <b>{entry.label}</b> <small title={entry.node}>at {name ?? entry.node}</small>
        {entry.replayed && <small className="debug-earlier">earlier</small>}
        <button type="button" aria-label="Close message" ref={close} onClick={onClose}>×</button>
      </header>
      <dl>
        <dt>key</dt><dd data-testid="detail-key">{typeof msg["key"] === "string" ? msg["key"] : "—"}</dd>
        <dt>topic</dt><dd>{typeof msg["topic"] === "string" ? msg["topic"] : "—"}</dd>
        <dt>event time</dt><dd data-testid="detail-ts">{time(msg["ts"])}</dd>
        <dt>sent to the editor</dt><dd>{time(entry.at)}</dd>
      </dl>
      {why && (
        <>
          <h4>why: top contributing features{typeof model === "string" ? ` (${model})` : ""}</h4>
          <ExplanationBars bars={why} />
        </>
      )}
      <h4>payload</h4>
      <pre data-testid="detail-payload">{JSON.stringify(msg["payload"], null, 2)}</pre>
      <h4>meta</h4>
      <pre data-testid="detail-meta">{meta === undefined ? "—" : JSON.stringify(meta, null, 2)}</pre>
      <h4>lineage</h4>
      <div data-testid="detail-lineage">
        {fromMeta.length > 0 && (
          <ul className="meta-lineage">
            {fromMeta.map(([k, v]) => <li key={k}>meta.{k}: <code>{typeof v === "string" ? v : JSON.stringify(v)}</code></li>)}
          </ul>
        )}
        {paths.length === 0 ? (
          <p>No wires lead into {entry.node} on the canvas now.</p>
        ) : (
          <>
            <p>Sources: {[...new Set(paths.map((p) => p[0]))].join(", ")}</p>
            <ol className="lineage-paths">
              {paths.map((p) => <li key={p.join(">")}>{p.join(" → ")}</li>)}
            </ol>
            {lineage.truncated && <p>Only the first {lineage.paths.length} paths are listed.</p>}
          </>
        )}
      </div>
    </div>
    </div>
  );
}
