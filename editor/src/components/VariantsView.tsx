/**
 * The A/B and shadow read-out of a selected onnx-inference node: a "Variants" button in its side
 * panel opens a table (traffic share, score histogram, shadow agreement, p50/p99 batch latency,
 * feedback accuracy with counts), polled from GET /api/flows/:id/nodes/:node/variants while open.
 * A flow that is not running gets the API's own words, not an empty table.
 */
import { useEffect, useRef, useState } from "react";
import { ApiFailure, call } from "../api.ts";
import { NODE_TYPES_WITH_VARIANTS, variantRows, variantsPath, type VariantRow } from "../graph/ml-view.ts";
import "./ml-view.css";

const POLL_MS = 2000;

interface Props {
  /** The saved flow's id; undefined for a flow never saved (nothing can run). */
  readonly flowId: string | undefined;
  readonly node: string;
  readonly nodeType: string;
}

type View = { readonly kind: "loading" } | { readonly kind: "report"; readonly rows: VariantRow[]; readonly unmatched: number } | { readonly kind: "problem"; readonly text: string };

export function NodeVariants({ flowId, node, nodeType }: Props) {
  const [open, setOpen] = useState(false);
  if (!NODE_TYPES_WITH_VARIANTS.has(nodeType)) return null;
  return (
    <>
      <button type="button" className="variants-open" onClick={() => setOpen(true)}>Variants (A/B, shadow)…</button>
      {open && <VariantsDialog flowId={flowId} node={node} onClose={() => setOpen(false)} />}
    </>
  );
}

function VariantsDialog({ flowId, node, onClose }: { readonly flowId: string | undefined; readonly node: string; onClose(): void }) {
  const [view, setView] = useState<View>({ kind: "loading" });
  const close = useRef<HTMLButtonElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onCloseRef.current();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (!flowId) return setView({ kind: "problem", text: "Save and deploy the flow to see how its variants do." });
    let stopped = false;
    const poll = async () => {
      try {
        const report = await call<Record<string, unknown>>("GET", variantsPath(flowId, node));
        const unmatched = typeof report["feedbackUnmatched"] === "number" ? report["feedbackUnmatched"] : 0;
        if (!stopped) setView({ kind: "report", rows: variantRows(report), unmatched });
      } catch (error) {
        const text = error instanceof ApiFailure ? `${error.message} (${error.code})` : `the report could not be read: ${error instanceof Error ? error.message : String(error)}`;
        if (!stopped) setView({ kind: "problem", text });
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [flowId, node]);

  return (
    <div className="message-overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div className="variants-view" role="dialog" aria-modal="true" aria-label={`Variants of ${node}`} data-testid="variants-view">
        <header>
          <b>Variants</b> <small>{node}, since its deploy</small>
          <button type="button" aria-label="Close variants" ref={close} onClick={onClose}>×</button>
        </header>
        {view.kind === "loading" && <p>Loading…</p>}
        {view.kind === "problem" && <p className="variants-problem" role="alert" data-testid="variants-problem">{view.text}</p>}
        {view.kind === "report" && <VariantsTable rows={view.rows} unmatched={view.unmatched} />}
      </div>
    </div>
  );
}

function VariantsTable({ rows, unmatched }: { readonly rows: readonly VariantRow[]; readonly unmatched: number }) {
  if (rows.length === 0) return <p data-testid="variants-problem">The node reports no variants yet.</p>;
  return (
    <>
      <table className="variants-table" data-testid="variants-table">
        <thead>
          <tr><th>variant</th><th>model</th><th>messages</th><th>traffic</th><th>scores 0 → 1</th><th>agreement</th><th>latency p50 / p99</th><th>accuracy</th><th>errors</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-variant={r.id}>
              <th scope="row">{r.label}</th>
              <td>{r.models}</td>
              <td data-cell="messages">{r.messages}</td>
              <td data-cell="share">{r.share}</td>
              <td><span className="sparkline" title={r.histogramTitle} data-testid={`sparkline-${r.id}`}>{r.histogram.map((h, k) => <i key={k} style={{ height: `${h}%` }} />)}</span></td>
              <td data-cell="agreement">{r.agreement}</td>
              <td data-cell="latency">{r.latency}</td>
              <td data-cell="accuracy">{r.accuracy}</td>
              <td data-cell="errors">{r.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="variants-note">
        Agreement: the shadow's decision against the model that acted. Latency: per model run (a batch). Accuracy: feedback labels matched by key
        {unmatched > 0 ? `; ${unmatched} label${unmatched === 1 ? "" : "s"} matched no recent prediction` : ""}.
      </p>
    </>
  );
}
