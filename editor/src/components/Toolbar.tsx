/** Flow picker, new flow, save with a message, deploy, and the API's last answer. */
import { useState } from "react";
import type { FlowRecord } from "../api.ts";
import type { NodeProblem } from "../graph/config-check.ts";
import type { FlowMeta } from "../graph/mapping.ts";
import { refusalFor } from "../graph/roles.ts";
import { useUser } from "../session.ts";

export interface Notice {
  readonly kind: "ok" | "info" | "error";
  readonly text: string;
  /** Shown smaller after the text, e.g. the API's error code. */
  readonly detail?: string | undefined;
}

interface Props {
  readonly meta: FlowMeta;
  readonly baseVersion: number | undefined;
  readonly flows: readonly FlowRecord[];
  readonly notice: Notice | undefined;
  readonly problems: readonly NodeProblem[];
  onOpen(id: string): void;
  onNew(id: string, name: string): void;
  onRename(name: string): void;
  onSave(message: string): void;
  onDeploy(): void;
  onLogout(): void;
  /** The graph differs from the version last opened or saved. */
  readonly dirty?: boolean;
  readonly historyOpen?: boolean;
  onHistory?(): void;
  readonly connectionsOpen?: boolean;
  onConnections?(): void;
}

export function Toolbar(props: Props) {
  const { meta, baseVersion, flows, notice, problems } = props;
  const [message, setMessage] = useState("");
  const [draft, setDraft] = useState<{ id: string; name: string }>();
  const user = useUser();
  const saveRefusal = refusalFor(user, "save");
  const deployRefusal = refusalFor(user, "deploy");

  return (
    <header className="toolbar">
      <label>
        Flow
        {/* A never-saved canvas is its own entry, even when a stored flow has its id (saving asks for another then). */}
        <select aria-label="Open a flow" value={baseVersion !== undefined && flows.some((f) => f.id === meta.id) ? meta.id : ""} onChange={(e) => e.target.value && props.onOpen(e.target.value)}>
          <option value="">{baseVersion === undefined ? `(unsaved) ${meta.name} (${meta.id})` : "— open a flow —"}</option>
          {flows.map((f) => (
            <option key={f.id} value={f.id}>{f.name} ({f.id}, v{f.latestVersion}{f.deployedVersion !== undefined ? `, deployed v${f.deployedVersion}` : ""})</option>
          ))}
        </select>
      </label>
      {/* A popover under its button, so the open form does not wrap the toolbar onto a second row. */}
      <span className="new-flow-anchor">
      <button type="button" aria-expanded={!!draft} onClick={() => setDraft(draft ? undefined : { id: "", name: "" })}>New flow</button>
      {draft && (
        <form className="new-flow" onSubmit={(e) => { e.preventDefault(); props.onNew(draft.id, draft.name || draft.id); setDraft(undefined); }}>
          <input aria-label="New flow id" placeholder="flow-id" pattern="[A-Za-z0-9_.:\-]+" required value={draft.id} onChange={(e) => setDraft({ ...draft, id: e.target.value })} />
          <input aria-label="New flow name" placeholder="Name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          <button type="submit">Create</button>
          <button type="button" onClick={() => setDraft(undefined)}>Cancel</button>
        </form>
      )}
      </span>
      <input aria-label="Flow name" className="flow-name" value={meta.name} onChange={(e) => props.onRename(e.target.value)} />
      {props.dirty && <span className="unsaved" data-testid="unsaved" title="Changes not saved yet">● unsaved</span>}
      {/* A form: Enter in the message saves, as the Save button does. */}
      <form className="save-form" onSubmit={(e) => { e.preventDefault(); if (saveRefusal) return; props.onSave(message); setMessage(""); }}>
        <input aria-label="Save message" data-shortcut="save" placeholder="What changed?" value={message} onChange={(e) => setMessage(e.target.value)} />
        <button type="submit" disabled={!!saveRefusal} title={saveRefusal ?? "Save a new version with this message (Enter)"}>Save</button>
      </form>
      <button
        type="button" disabled={baseVersion === undefined || !!deployRefusal}
        title={deployRefusal ?? (baseVersion === undefined ? "Save the flow first" : `Deploy the latest saved version${props.dirty ? " (your unsaved changes are not in it)" : ""}`)} onClick={props.onDeploy} data-shortcut="deploy"
      >
        Deploy
      </button>
      {props.onHistory && (
        <button type="button" aria-pressed={!!props.historyOpen} onClick={props.onHistory}>History</button>
      )}
      {props.onConnections && (
        <button type="button" aria-pressed={!!props.connectionsOpen} onClick={props.onConnections} title="The flow's connections: brokers, OPC UA endpoints, HTTP services">Connections</button>
      )}
      {user && <span className="user" data-testid="user" title={`Signed in as ${user.username} (${user.role})`}>{user.username} · {user.role}</span>}
      <button type="button" className="logout" onClick={props.onLogout}>Log out</button>
      <div className="status-line">
        {notice && <output className={`notice ${notice.kind}`} data-testid="notice">{notice.text}{notice.detail && <> <small className="notice-code">{notice.detail}</small></>}</output>}
        {problems.length > 0 && (
          <span className="problems" data-testid="problems">
            Missing config: {problems.map((p) => `${p.node} (${p.missing.join(", ")})`).join("; ")}
          </span>
        )}
      </div>
    </header>
  );
}
