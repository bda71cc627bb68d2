/**
 * A node config field that names one of the flow's connections (its schema carries the runtime's
 * `connection: "<type>"` keyword, graph/fields.ts `pickerOf`): a choice among the flow's connections
 * of that type, and "new connection…", which opens the Connections panel to create one for the field.
 */
import { createContext, useContext } from "react";
import { connectionsOfType, type Connections } from "../graph/connections.ts";

export interface FlowConnectionsApi {
  readonly connections: Connections;
  /** Opens the Connections panel to add a connection of `type`; once added, it is set at `path` of the selected node's config. */
  requestNew(type: string, path: readonly string[]): void;
}

export const FlowConnectionsContext = createContext<FlowConnectionsApi>({ connections: {}, requestNew: () => {} });

// Not a valid connection name (no parentheses allowed), so it never clashes with one.
const NEW = "(new)";

export function ConnectionPicker({ type, path, value, testId, onChange }: {
  readonly type: string;
  readonly path: readonly string[];
  readonly value: unknown;
  readonly testId: string;
  onChange(value: unknown): void;
}) {
  const { connections, requestNew } = useContext(FlowConnectionsContext);
  const names = connectionsOfType(connections, type);
  const current = typeof value === "string" ? value : "";
  // A name the flow does not have (or of another type) stays visible, so it can be seen and replaced.
  const wrongType = current !== "" && connections[current] !== undefined && connections[current].type !== type;
  const unknown = current !== "" && !names.includes(current);
  return (
    <>
      <select data-testid={testId} value={current} onChange={(e) => (e.target.value === NEW ? requestNew(type, path) : onChange(e.target.value === "" ? undefined : e.target.value))}>
        <option value="">{names.length === 0 ? `(no ${type} connection yet)` : `(choose a ${type} connection)`}</option>
        {names.map((name) => <option key={name} value={name}>{name}</option>)}
        {unknown && <option value={current}>{current} ({wrongType ? `a ${connections[current]?.type}, not a ${type}` : "not in this flow"})</option>}
        <option value={NEW}>new connection…</option>
      </select>
      {unknown && (
        <small className="error" data-testid={`${testId}-unknown`}>
          {wrongType ? `“${current}” is a ${connections[current]?.type} connection; this field needs a ${type}.` : `The flow has no connection “${current}”: pick one or add it.`}
        </small>
      )}
    </>
  );
}
