/**
 * Version history of the open flow: every saved version (number, author, time, message) with the
 * one deployed and whether it runs; compare one with the graph on the canvas (the diff is drawn on
 * the canvas by the editor and listed here), restore one as the new latest version, roll back or
 * stop the running flow.
 */
import { getViewportForBounds, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import { describeFailure } from "../api.ts";
import { rollbackTarget } from "../graph/deploy-progress.ts";
import { refusalFor } from "../graph/roles.ts";
import { useUser } from "../session.ts";
import { versionsApi, type FlowRecordFull, type VersionInfo } from "../versions-api.ts";
import type { Notice } from "./Toolbar.tsx";

interface Props {
  readonly flowId: string;
  /** The saved version the open graph started from; undefined while the flow was never saved. */
  readonly baseVersion: number | undefined;
  readonly dirty: boolean;
  /** Changes whenever a save, restore or deploy may have changed what to list. */
  readonly refreshKey: string;
  readonly comparing: number | undefined;
  readonly compareLines: readonly string[] | undefined;
  onCompare(version: number, document: FlowDocument): void;
  onCompareEnd(): void;
  onRestored(version: number): void;
  onRollback(): void;
  onStopped(): void;
  onNotice(notice: Notice): void;
  onClose(): void;
}

interface Listing {
  readonly versions: readonly VersionInfo[];
  readonly record: FlowRecordFull;
  /** The version the local runtime runs, if it runs this flow. */
  readonly running: number | undefined;
  /** The version Roll back would deploy; undefined when nothing ran successfully before. */
  readonly rollbackTo: number | undefined;
}

/** Nodes the diff marks on the canvas (React Flow's nodes carry the classes markDiff gave them). */
const HIGHLIGHT = /\bdiff-(added|changed|moved)\b/;

export function VersionsPanel(props: Props) {
  const { flowId, baseVersion, refreshKey, comparing, compareLines, onNotice } = props;
  const user = useUser();
  const flow = useReactFlow();
  const panel = useRef<HTMLElement>(null);
  // On Compare, bring the nodes it highlights into the part of the canvas this panel leaves free
  // (once per compare, not on every edit while comparing).
  useEffect(() => {
    if (comparing === undefined) return;
    const frame = window.requestAnimationFrame(() => {
      const ids = flow.getNodes().filter((n) => HIGHLIGHT.test(n.className ?? "")).map((n) => n.id);
      const canvas = panel.current?.parentElement?.querySelector(".react-flow")?.getBoundingClientRect();
      const aside = panel.current?.getBoundingClientRect();
      if (ids.length === 0 || !canvas || !aside) return;
      const freeWidth = aside.left - canvas.left;
      if (freeWidth < 160) return;
      void flow.setViewport(getViewportForBounds(flow.getNodesBounds(ids), freeWidth, canvas.height, 0.3, 1, 0.15));
    });
    return () => window.cancelAnimationFrame(frame);
  }, [comparing, flow]);
  const [listing, setListing] = useState<Listing>();
  const [busy, setBusy] = useState(false);
  /** The panel's own last word, kept here since the toolbar's notice line moves on (e.g. to "Opened ..."). */
  const [said, setSaid] = useState<Notice>();
  const tell = (notice: Notice) => {
    setSaid(notice);
    onNotice(notice);
  };

  const load = useCallback(async () => {
    if (baseVersion === undefined) return setListing(undefined);
    try {
      const [{ versions }, { flow }, runtime, { deployments }] = await Promise.all([
        versionsApi.versions(flowId), versionsApi.record(flowId), versionsApi.runtime(), versionsApi.deployments(flowId),
      ]);
      const live = runtime.flows.find((f) => f.flowId === flowId && f.state === "running");
      const rollbackTo = rollbackTarget(deployments, live?.version ?? flow.deployedVersion, flow.lastGoodVersion);
      setListing({ versions: [...versions].reverse(), record: flow, running: live?.version, rollbackTo });
    } catch (error) {
      onNotice({ kind: "error", text: describeFailure(error) });
    }
  }, [flowId, baseVersion, onNotice]);
  useEffect(() => void load(), [load, refreshKey]);

  async function compare(version: number) {
    if (comparing === version) return props.onCompareEnd();
    try {
      props.onCompare(version, (await versionsApi.version(flowId, version)).version.document);
    } catch (error) {
      onNotice({ kind: "error", text: describeFailure(error) });
    }
  }

  async function restore(version: number) {
    if (!listing) return;
    if (props.dirty && !window.confirm(`Restoring version ${version} drops your unsaved changes. Restore?`)) return;
    setBusy(true);
    try {
      // Restore on top of what this panel listed: a save made since then answers 409 instead of being buried.
      const restored = await versionsApi.restore(flowId, version, listing.record.latestVersion);
      tell({ kind: "ok", text: `Restored version ${version} of ${flowId} as version ${restored.version.version}` });
      props.onRestored(restored.version.version);
    } catch (error) {
      tell({ kind: "error", text: describeFailure(error) });
      void load();
    } finally {
      setBusy(false);
    }
  }

  async function stop() {
    setBusy(true);
    try {
      const { stopped } = await versionsApi.stop(flowId);
      tell({ kind: "ok", text: stopped ? `Stopped ${flowId}` : `${flowId} was not running` });
      props.onStopped();
    } catch (error) {
      tell({ kind: "error", text: describeFailure(error) });
    } finally {
      setBusy(false);
      void load();
    }
  }

  const restoreRefusal = refusalFor(user, "restore");
  const operatorRefusal = refusalFor(user, "rollback");
  const running = listing?.running;
  return (
    <aside className="versions-panel" aria-label="Version history" data-testid="versions-panel" ref={panel}>
      <header>
        <h2>History of {flowId}</h2>
        <button type="button" aria-label="Close history" onClick={props.onClose}>×</button>
      </header>
      {said && <p className={`panel-notice ${said.kind}`} role="status" data-testid="panel-notice">{said.text}</p>}
      {baseVersion === undefined ? (
        <p className="hint">Save the flow to start its history.</p>
      ) : !listing ? (
        <p className="hint">Loading…</p>
      ) : (
        <>
          <div className="run-state" data-testid="run-state">
            {running !== undefined ? <span>Running version {running}</span> : <span>Not running</span>}
            {listing.record.deployedVersion !== undefined && listing.record.deployedVersion !== running && <span> (deployed v{listing.record.deployedVersion})</span>}
            <button
              type="button" data-testid="rollback" disabled={busy || !!operatorRefusal || listing.rollbackTo === undefined} onClick={props.onRollback}
              title={operatorRefusal ?? (listing.rollbackTo === undefined
                ? "Nothing to roll back to: no other version of this flow has run successfully"
                : `Deploy version ${listing.rollbackTo}, the most recent other version that ran successfully`)}
            >
              Roll back
            </button>
            <button type="button" disabled={busy || !!operatorRefusal || running === undefined} title={operatorRefusal ?? "Stop the flow on the local runtime"} onClick={() => void stop()}>
              Stop
            </button>
          </div>
          <ol className="versions" data-testid="versions">
            {listing.versions.map((v) => (
              <li key={v.version} className={v.version === comparing ? "comparing" : undefined} data-testid={`version-${v.version}`}>
                <div className="version-head">
                  <b>v{v.version}</b>
                  {v.version === running && <span className="tag running">running</span>}
                  {v.version === listing.record.deployedVersion && v.version !== running && <span className="tag deployed">deployed</span>}
                  {v.version === baseVersion && <span className="tag open">open</span>}
                  <span className="by">{v.author}, {new Date(v.createdAt).toLocaleString()}</span>
                </div>
                <div className="version-message">{v.message || <i>no message</i>}</div>
                <div className="version-actions">
                  <button type="button" onClick={() => void compare(v.version)} aria-pressed={v.version === comparing}>
                    {v.version === comparing ? "Hide diff" : "Compare"}
                  </button>
                  <button type="button" disabled={busy || !!restoreRefusal} title={restoreRefusal ?? `Save version ${v.version}'s flow as the new latest version`} onClick={() => void restore(v.version)}>
                    Restore
                  </button>
                </div>
                {v.version === comparing && compareLines && (
                  <ul className="diff-lines" data-testid="compare-changes" aria-label={`Changes from version ${v.version} to the open graph`}>
                    {compareLines.length > 0 ? compareLines.map((line) => <li key={line}>{line}</li>) : <li>the open graph is the same as this version</li>}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
