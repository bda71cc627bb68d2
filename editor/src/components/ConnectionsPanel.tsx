/**
 * The flow's connections: which there are, their type, the nodes using them and their live state;
 * add one of a type from GET /api/connections/types, edit its config with the same generated form
 * as node properties (secret fields get the secret picker), delete one no node uses, and "Test
 * connection" (POST /api/connections/test). Every change goes to the Editor, which records it for
 * undo and keeps it in the flow document it saves.
 */
import { useContext, useEffect, useMemo, useState, type FormEvent } from "react";
import { call, describeFailure } from "../api.ts";
import { CatalogContext, StatusContext } from "../context.ts";
import { missingConfig } from "../graph/config-check.ts";
import {
  connectionLiveState, connectionNameProblem, connectionUsers, deleteRefusal, testOutcome,
  type Connections, type ConnectionType, type TestReply,
} from "../graph/connections.ts";
import type { AiotNode } from "../graph/mapping.ts";
import { refusalFor } from "../graph/roles.ts";
import { useUser } from "../session.ts";
import { Docs } from "./PropertyPanel.tsx";
import { Fields, InlineText } from "./SchemaField.tsx";
import "./connections.css";

export const connectionsApi = {
  types: () => call<{ types: ConnectionType[] }>("GET", "/api/connections/types"),
  test: (type: string, config: Record<string, unknown>) => call<TestReply>("POST", "/api/connections/test", { type, config }),
};

/** `tested`: the config the running test was started with; a reply for any other config is dropped. */
type Test = { readonly state: "running"; readonly tested: unknown } | { readonly state: "done"; readonly outcome: ReturnType<typeof testOutcome> };

interface Props {
  readonly connections: Connections;
  readonly nodes: readonly AiotNode[];
  /** Undo/redo count: the config form re-reads a restored config instead of keeping its drafts. */
  readonly restored: number;
  /** A node field asked for a new connection of this type ("new connection…"). */
  readonly requestedType?: string | undefined;
  onAdd(name: string, type: string): void;
  onConfig(name: string, config: Record<string, unknown>): void;
  onDelete(name: string): void;
  onClose(): void;
}

/** The supervisor's words (`connected to …`, `connecting`) as they are; a reason gets its state in front. */
const liveWords = (live: { state: string; text: string }) =>
  live.state === "reconnecting" ? `reconnecting: ${live.text}` : live.state === "error" ? `failed: ${live.text}` : live.text;

export function ConnectionsPanel({ connections, nodes, restored, requestedType, onAdd, onConfig, onDelete, onClose }: Props) {
  const catalog = useContext(CatalogContext);
  const statuses = useContext(StatusContext);
  const user = useUser();
  const editRefusal = refusalFor(user, "save");
  const [types, setTypes] = useState<readonly ConnectionType[]>();
  const [typesError, setTypesError] = useState<string>();
  const [editing, setEditing] = useState<string>();
  const [draft, setDraft] = useState<{ name: string; type: string; error?: string } | undefined>(requestedType ? { name: "", type: requestedType } : undefined);
  const [refusal, setRefusal] = useState<string>();
  const [tests, setTests] = useState<Readonly<Record<string, Test>>>({});
  /** Bumped when an example replaces the config wholesale, so the inputs re-read it. */
  const [revision, setRevision] = useState(0);

  useEffect(() => {
    connectionsApi.types().then((r) => setTypes(r.types), (e) => setTypesError(describeFailure(e)));
  }, []);
  useEffect(() => {
    if (requestedType) setDraft({ name: "", type: requestedType });
  }, [requestedType]);
  // Undo/redo brought back another config: a result for the config it replaced would mislead.
  useEffect(() => setTests({}), [restored]);
  // A connection undone away (or deleted) is no longer edited: the first one is, if any.
  const shown = editing !== undefined && connections[editing] ? editing : Object.keys(connections).sort()[0];

  const users = useMemo(() => new Map(Object.keys(connections).map((name) => [name, connectionUsers(name, nodes, catalog)])), [connections, nodes, catalog]);
  const typeOf = (type: string) => types?.find((t) => t.type === type);

  const add = (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    const name = draft.name.trim();
    const problem = connectionNameProblem(name, connections) ?? (draft.type ? undefined : "Choose the connection's type.");
    if (problem) return setDraft({ ...draft, error: problem });
    onAdd(name, draft.type);
    setDraft(undefined);
    setRefusal(undefined);
    setEditing(name);
  };
  const remove = (name: string) => {
    const why = deleteRefusal(name, users.get(name) ?? []);
    if (why) return setRefusal(`Not deleted: ${why}`);
    setRefusal(undefined);
    onDelete(name);
  };
  const test = async (name: string) => {
    const connection = connections[name];
    if (!connection) return;
    setTests((t) => ({ ...t, [name]: { state: "running", tested: connection.config } }));
    const outcome = await connectionsApi.test(connection.type, connection.config).then(testOutcome, (error) => ({ kind: "error" as const, title: "Test not run", detail: describeFailure(error) }));
    // Edited (or undone) while the test ran: its answer is about a config that is no longer there.
    setTests((t) => {
      const current = t[name];
      return current?.state === "running" && current.tested === connection.config ? { ...t, [name]: { state: "done", outcome } } : t;
    });
  };
  const setConfig = (name: string, config: unknown) => {
    // A result for the config before this edit would mislead.
    setTests(({ [name]: _old, ...rest }) => rest);
    onConfig(name, config !== null && typeof config === "object" && !Array.isArray(config) ? { ...config } : {});
  };

  const edited = shown !== undefined ? connections[shown] : undefined;
  const editedType = edited && typeOf(edited.type);
  const run = shown !== undefined ? tests[shown] : undefined;
  return (
    <aside className="connections-panel" aria-label="Connections" data-testid="connections-panel">
      <header>
        <h2>Connections</h2>
        <button type="button" aria-label="Close connections" onClick={onClose}>×</button>
      </header>
      {typesError && <p className="panel-notice error">Connection types unavailable: {typesError}</p>}
      {Object.keys(connections).length === 0 && <p className="field-help">No connections yet: nodes such as mqtt-in name one (a broker, an OPC UA endpoint).</p>}
      <ul className="connection-list">
        {Object.entries(connections).sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => {
          const used = users.get(name) ?? [];
          const live = connectionLiveState(name, used, statuses);
          return (
            <li key={name} className={name === shown ? "current" : undefined} data-testid={`connection-${name}`}>
              <button type="button" className="connection-name" aria-pressed={name === shown} onClick={() => setEditing(name)}>{name}</button>
              <small>{typeOf(c.type)?.title ?? c.type}</small>
              {live && <span className={`live-state ${live.state}`} data-testid={`connection-${name}-live`} title={live.text}>{liveWords(live)}</span>}
              <small className="used-by">{used.length === 0 ? "not used" : `used by ${used.map((u) => u.node).join(", ")}`}</small>
              <button type="button" disabled={!!editRefusal} title={editRefusal ?? `Delete ${name}`} aria-label={`Delete ${name}`} onClick={() => remove(name)}>Delete</button>
            </li>
          );
        })}
      </ul>
      {refusal && <p className="panel-notice error" role="alert" data-testid="connection-refused">{refusal}</p>}
      {draft ? (
        <form className="connection-new" onSubmit={add}>
          <input aria-label="New connection name" placeholder="name, e.g. plant-broker" value={draft.name} autoFocus onChange={(e) => setDraft({ name: e.target.value, type: draft.type })} />
          <select aria-label="New connection type" value={draft.type} onChange={(e) => setDraft({ name: draft.name, type: e.target.value })}>
            <option value="">(type)</option>
            {types?.map((t) => <option key={t.type} value={t.type}>{t.title} ({t.type})</option>)}
          </select>
          <button type="submit">Add</button>
          <button type="button" onClick={() => setDraft(undefined)}>Cancel</button>
          {draft.error && <small className="error" role="alert" data-testid="connection-name-error">{draft.error}</small>}
        </form>
      ) : (
        <button type="button" disabled={!!editRefusal} title={editRefusal} onClick={() => setDraft({ name: "", type: types?.length === 1 ? types[0]!.type : "" })}>Add a connection</button>
      )}
      {shown !== undefined && edited && (
        <section className="connection-config" data-testid="connection-config">
          <h3>{shown} <small>{editedType?.title ?? edited.type}</small></h3>
          {!editedType ? (
            <p className="panel-notice error">{types ? `This server has no connection type “${edited.type}”.` : "Loading the connection types…"}</p>
          ) : (
            <>
              <form key={`${shown}:${restored}:${revision}`} className="config" onSubmit={(e) => e.preventDefault()}>
                <Fields schema={editedType.config} path={["connection", shown]} value={edited.config} missing={new Set(missingConfig(editedType.config, edited.config).map((p) => `connection.${shown}.${p}`))} onChange={(config) => setConfig(shown, config)} />
              </form>
              <button type="button" disabled={run?.state === "running" || !!editRefusal} title={editRefusal ?? "Open this connection once with this config, then close it"} onClick={() => void test(shown)}>
                Test connection
              </button>
              <output className="connection-test" data-testid="connection-test" aria-live="polite">
                {run?.state === "running" && <span className="testing">Testing {shown}…</span>}
                {run?.state === "done" && (
                  <span className={`panel-notice ${run.outcome.kind}`}>
                    <b>{run.outcome.title}</b>
                    {run.outcome.detail && <><br />{run.outcome.detail}</>}
                    {run.outcome.hint && <><br /><small className="hint">{run.outcome.hint}</small></>}
                  </span>
                )}
              </output>
              <details className="docs">
                <summary>About {editedType.title}</summary>
                <p><InlineText text={editedType.summary} /></p>
                {editedType.docs && <Docs text={editedType.docs} />}
                {editedType.examples.map((example) => (
                  <div key={example.title} className="example">
                    <b>{example.title}</b>
                    <pre>{JSON.stringify(example.config, null, 1)}</pre>
                    <button type="button" disabled={!!editRefusal} onClick={() => { setConfig(shown, { ...example.config }); setRevision(revision + 1); }}>Use this example</button>
                  </div>
                ))}
              </details>
            </>
          )}
        </section>
      )}
    </aside>
  );
}
