/**
 * The form's pickers, chosen by schema metadata alone (graph/fields.ts `pickerOf`): a payload field
 * (or a list of them) offering the fields known upstream, and a secret reference `{ "$secret": name }`
 * chosen from the stored secret names, with a way for an admin to add one. No node type is named here.
 */
import { createContext, useContext, useEffect, useState } from "react";
import { describeFailure } from "../api.ts";
import { UpstreamFieldsContext } from "../context.ts";
import { parseLines } from "../graph/schema-form.ts";
import { secretsApi } from "./live-hooks.ts";

/** Whether any wire arrives at the node whose form is open: an empty field list then means something else. */
export const InputWiredContext = createContext(false);

/** Why no upstream field can be offered: nothing is wired in, or what is wired declares no fields. */
export const noFieldsText = (wired: boolean) =>
  wired
    ? "The nodes wired into this one declare no fields yet (an unfinished config upstream?): type the field name, or watch a debug node beside it."
    : "Not wired yet: connect an input to this node to pick from the fields that reach it, or type the field name.";

interface PickerProps {
  readonly value: unknown;
  readonly testId: string;
  readonly placeholder: string;
  onChange(value: unknown): void;
}

/** A payload field name: type one, or pick one of the fields known upstream. */
export function FieldPicker({ value, testId, placeholder, onChange, list }: PickerProps & { list: boolean }) {
  const upstream = useContext(UpstreamFieldsContext);
  const wired = useContext(InputWiredContext);
  const chosen = list ? (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []) : [];
  const [text, setText] = useState(() => (list ? chosen.join("\n") : typeof value === "string" ? value : ""));
  const setList = (items: string[]) => {
    setText(items.join("\n"));
    onChange(items.length > 0 ? items : undefined);
  };
  const pick = (field: string) => {
    if (!list) return (setText(field), onChange(field));
    setList(chosen.includes(field) ? chosen.filter((f) => f !== field) : [...chosen, field]);
  };
  return (
    <>
      {list ? (
        <textarea data-testid={testId} rows={3} placeholder={placeholder || "one field per line"} value={text} onChange={(e) => {
          setText(e.target.value);
          const items = parseLines(e.target.value);
          onChange(items.length > 0 ? items : undefined);
        }} />
      ) : (
        <input data-testid={testId} placeholder={placeholder} value={text} onChange={(e) => {
          setText(e.target.value);
          onChange(e.target.value === "" ? undefined : e.target.value);
        }} />
      )}
      <span className="field-choices" data-testid={`${testId}-upstream`}>
        {upstream.length === 0 ? (
          <small className="field-help" data-testid={`${testId}-no-fields`}>{noFieldsText(wired)}</small>
        ) : (
          upstream.map((field) => {
            const on = list ? chosen.includes(field) : value === field;
            return (
              <button type="button" key={field} className={on ? "chip on" : "chip"} aria-pressed={on} onClick={() => pick(field)}>{field}</button>
            );
          })
        )}
      </span>
    </>
  );
}

type Names = { kind: "loading" } | { kind: "ok"; names: string[] } | { kind: "refused"; why: string };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const refOf = (value: unknown): string => (isRecord(value) && typeof value["$secret"] === "string" ? value["$secret"] : "");

/** `{ "$secret": name }` from the stored names (values never reach the browser). */
export function SecretPicker({ value, testId, onChange }: PickerProps) {
  const current = refOf(value);
  const [names, setNames] = useState<Names>({ kind: "loading" });
  const [draft, setDraft] = useState<{ name: string; value: string; error?: string }>();

  const load = () =>
    secretsApi.list().then(
      (r) => setNames({ kind: "ok", names: r.secrets.map((s) => s.name) }),
      (e) => setNames({ kind: "refused", why: describeFailure(e) }),
    );
  useEffect(() => void load(), []);
  const choose = (name: string) => onChange(name === "" ? undefined : { $secret: name });

  if (names.kind !== "ok") {
    // Listing is for admins; anyone may still type the name an admin gave them.
    return (
      <>
        <input data-testid={testId} placeholder="secret name" value={current} onChange={(e) => choose(e.target.value)} />
        {names.kind === "refused" && <small className="field-help">Secret names are listed for admins only ({names.why.split("\n")[0]}).</small>}
      </>
    );
  }
  const options = current && !names.names.includes(current) ? [...names.names, current] : names.names;
  const save = async () => {
    if (!draft) return;
    try {
      await secretsApi.set(draft.name, draft.value);
      setDraft(undefined);
      await load();
      choose(draft.name);
    } catch (error) {
      setDraft({ ...draft, error: describeFailure(error) });
    }
  };
  return (
    <span className="secret-picker">
      <select data-testid={testId} value={current} onChange={(e) => choose(e.target.value)}>
        <option value="">(choose a secret)</option>
        {options.map((n) => <option key={n} value={n}>{names.names.includes(n) ? n : `${n} (not stored)`}</option>)}
      </select>
      {draft ? (
        <span className="secret-new">
          <input aria-label="New secret name" placeholder="name" pattern="[A-Za-z0-9_.:\-]+" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          <input aria-label="New secret value" type="password" autoComplete="new-password" placeholder="value" value={draft.value} onChange={(e) => setDraft({ ...draft, value: e.target.value })} />
          <button type="button" disabled={!draft.name || !draft.value} onClick={() => void save()}>Store</button>
          <button type="button" onClick={() => setDraft(undefined)}>Cancel</button>
          {draft.error && <small className="error">{draft.error}</small>}
        </span>
      ) : (
        <button type="button" onClick={() => setDraft({ name: "", value: "" })}>New secret…</button>
      )}
    </span>
  );
}
