/**
 * A save refused with 409 VERSION_CONFLICT: someone saved a newer version since this edit began.
 * Shows what changed from the edit's base to that latest version (the API's diff) and lets the user
 * reload the latest (dropping their changes), save their graph on top of it, or go back.
 */
import { type Conflict } from "../graph/conflict.ts";
import { describeDiff } from "../graph/diff.ts";

export { conflictOf, type Conflict } from "../graph/conflict.ts";

interface Props {
  readonly conflict: Conflict;
  onReload(): void;
  onOverwrite(): void;
  onCancel(): void;
}

export function ConflictDialog({ conflict, onReload, onOverwrite, onCancel }: Props) {
  const { base, latest, diff } = conflict;
  const lines = describeDiff(diff);
  return (
    <div className="modal-backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <div className="modal conflict" role="dialog" aria-modal="true" aria-labelledby="conflict-title" data-testid="conflict-dialog">
        <h2 id="conflict-title">Someone saved meanwhile</h2>
        <p>
          You started from version {base}. {latest.author} saved version {latest.version} at {new Date(latest.createdAt).toLocaleString()}
          {latest.message ? <> (“{latest.message}”)</> : null}. What changed in it:
        </p>
        <ul className="diff-lines" data-testid="conflict-changes">
          {lines.length > 0 ? lines.map((line) => <li key={line}>{line}</li>) : <li>nothing in the flow itself</li>}
        </ul>
        <div className="modal-actions">
          <button type="button" onClick={onReload} title="Open the latest version; your unsaved changes are dropped">Reload latest (discard mine)</button>
          <button type="button" onClick={onOverwrite} title={`Save your graph as the version after ${latest.version}; their changes stay in the history`}>
            Save mine on top
          </button>
          <button type="button" autoFocus onClick={onCancel}>Cancel</button>
        </div>
      </div>
    </div>
  );
}
