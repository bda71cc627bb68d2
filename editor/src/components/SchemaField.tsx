/**
 * One config field rendered from its JSON Schema, recursively. Widgets come from `widgetOf`; no
 * node type is ever named here. An absent value shows the schema default as a placeholder.
 */
import { useState } from "react";
import type { JsonSchema } from "../graph/catalog.ts";
import { chosenVariant } from "../graph/config-check.ts";
import { pickerOf } from "../graph/fields.ts";
import { parseInline } from "../graph/markdown.ts";
import { numberInputValue, parseLines, variantKey, variantLabel, variantStart, widgetOf } from "../graph/schema-form.ts";
import { ConnectionPicker } from "./ConnectionPicker.tsx";
import { FieldPicker, SecretPicker } from "./Pickers.tsx";

interface FieldProps {
  readonly name: string;
  readonly path: readonly string[];
  readonly field: JsonSchema;
  readonly value: unknown;
  readonly required: boolean;
  readonly missing: ReadonlySet<string>;
  onChange(value: unknown): void;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const shown = (value: unknown) => (value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value));

export function SchemaField(props: FieldProps) {
  const { name, path, field, required, missing } = props;
  const id = path.join(".");
  const widget = widgetOf(field);
  const isMissing = missing.has(id);
  const label = (
    <span className="field-label">
      {name}
      {required && field.default === undefined && <abbr title="required">*</abbr>}
      {field.unit && <small> ({field.unit})</small>}
      {isMissing && <em className="missing-text"> missing</em>}
    </span>
  );
  const help = field.description ? <small className="field-help"><InlineText text={field.description} /></small> : null;
  const picker = pickerOf(field);

  if (picker) {
    const pickerProps = { value: props.value, onChange: props.onChange, testId: `field-${id}`, placeholder: field.default === undefined ? "" : `default: ${shown(field.default)}` };
    return (
      <div className={isMissing ? "field missing-field" : "field"}>
        {label}
        {picker === "secret" ? <SecretPicker {...pickerProps} />
          : picker === "connection" ? <ConnectionPicker {...pickerProps} type={field.connection ?? ""} path={path} />
          : <FieldPicker {...pickerProps} list={picker === "field-list"} />}
        {help}
      </div>
    );
  }

  if (widget === "object" || widget === "variants" || widget === "object-list") {
    return (
      <fieldset className={isMissing ? "field missing-field" : "field"} data-testid={`field-${id}`}>
        <legend>{label}</legend>
        {help}
        {widget === "object" ? <Fields {...props} schema={field} /> : widget === "variants" ? <Variants {...props} /> : <ObjectList {...props} />}
      </fieldset>
    );
  }
  return (
    <label className={isMissing ? "field missing-field" : "field"}>
      {label}
      <Input {...props} widget={widget} testId={`field-${id}`} />
      {help}
    </label>
  );
}

/** Docs' inline markdown (`code`, **bold**) as elements; text stays text (nothing is parsed as HTML). */
export function InlineText({ text }: { text: string }) {
  return <>{parseInline(text).map((part, i) => (part.kind === "code" ? <code key={i}>{part.text}</code> : part.kind === "bold" ? <strong key={i}>{part.text}</strong> : part.text))}</>;
}

/** The properties of an object schema. */
export function Fields({ schema, path, value, missing, onChange }: Omit<FieldProps, "field" | "name" | "required"> & { schema: JsonSchema }) {
  const current = isRecord(value) ? value : {};
  const required = new Set(schema.required ?? []);
  const set = (key: string, next: unknown) => {
    const copy = { ...current };
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    onChange(copy);
  };
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, field]) => (
        <SchemaField key={key} name={key} path={[...path, key]} field={field} value={current[key]} required={required.has(key)} missing={missing} onChange={(v) => set(key, v)} />
      ))}
    </>
  );
}

/** An array of objects: each item is a small form of the item schema; items can be added and removed. */
function ObjectList({ name, field, path, value, missing, onChange }: FieldProps) {
  // Bumped on removal: the items' inputs keep their own text, so they must remount when items shift.
  const [revision, setRevision] = useState(0);
  const items: unknown[] = Array.isArray(value) ? value : Array.isArray(field.default) ? field.default : [];
  const id = path.join(".");
  const set = (i: number, next: unknown) => onChange(items.map((item, j) => (j === i ? next : item)));
  const remove = (i: number) => {
    const rest = items.filter((_, j) => j !== i);
    setRevision(revision + 1);
    onChange(rest.length > 0 ? rest : undefined);
  };
  return (
    <>
      {items.map((item, i) => (
        <fieldset key={`${revision}-${i}`} className="field list-item">
          <legend>
            {name} {i + 1} <button type="button" aria-label={`Remove ${id} ${i + 1}`} onClick={() => remove(i)}>×</button>
          </legend>
          <Fields schema={field.items ?? {}} path={[...path, String(i)]} value={item} missing={missing} onChange={(next) => set(i, next)} />
        </fieldset>
      ))}
      <button type="button" onClick={() => onChange([...items, {}])}>Add to {name}</button>
    </>
  );
}

/** anyOf of objects told apart by a `const` property: pick the branch, then fill its fields. */
function Variants({ field, path, value, missing, onChange }: FieldProps) {
  const variants = (field.anyOf ?? []).filter((v) => v.properties);
  const active = chosenVariant(variants, value ?? field.default);
  const activeIndex = active ? variants.indexOf(active) : -1;
  const current = value ?? field.default;
  return (
    <>
      <select aria-label={`${path.join(".")} variant`} value={active ? variantKey(active, activeIndex) : ""} onChange={(e) => {
        const next = variants.find((v, i) => variantKey(v, i) === e.target.value);
        if (next) onChange(variantStart(next));
      }}>
        {variants.map((v, i) => <option key={i} value={variantKey(v, i)}>{variantLabel(v, i)}</option>)}
      </select>
      {active?.secret
        ? <SecretPicker value={current} onChange={onChange} testId={`field-${path.join(".")}-secret`} placeholder="" />
        : active && <Fields schema={active} path={path} value={current} missing={missing} onChange={onChange} />}
    </>
  );
}

function Input({ field, value, onChange, widget, testId }: FieldProps & { widget: ReturnType<typeof widgetOf>; testId: string }) {
  const [text, setText] = useState(() => (widget === "string-list" && Array.isArray(value) ? value.join("\n") : widget === "json" ? (value === undefined ? "" : JSON.stringify(value, null, 2)) : shown(value)));
  const [error, setError] = useState<string>();
  const placeholder = field.default === undefined ? "" : `default: ${shown(field.default)}`;
  const common = { "data-testid": testId, placeholder };
  const invalid = error ? <small className="error">{error}</small> : null;

  switch (widget) {
    case "enum":
      return (
        <select {...common} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(field.enum?.find((v) => String(v) === e.target.value))}>
          <option value="">{field.default !== undefined ? `(default: ${shown(field.default)})` : "(choose)"}</option>
          {field.enum?.map((v) => <option key={String(v)} value={String(v)}>{String(v)}</option>)}
        </select>
      );
    case "const":
      return <output>{shown(field.const)}</output>;
    case "boolean":
      return <input {...common} type="checkbox" checked={value === undefined ? field.default === true : value === true} onChange={(e) => onChange(e.target.checked)} />;
    case "number":
      return (
        <>
          <input {...common} type="number" min={field.minimum} max={field.maximum} step={field.type === "integer" ? 1 : "any"} value={text} onChange={(e) => {
            setText(e.target.value);
            // An invalid value is kept in the config (and refused on save), never dropped silently.
            const typed = numberInputValue(e.target.value, field);
            setError(typed.error);
            onChange(typed.value);
          }} />
          {invalid}
        </>
      );
    case "string-list":
      return (
        <textarea {...common} rows={3} placeholder={placeholder || "one per line"} value={text} onChange={(e) => {
          setText(e.target.value);
          const items = parseLines(e.target.value);
          onChange(items.length > 0 ? items : undefined);
        }} />
      );
    case "enum-list": {
      const chosen = Array.isArray(value) ? value : Array.isArray(field.default) ? field.default : [];
      return (
        <span className="checks" data-testid={testId}>
          {field.items?.enum?.map((option) => (
            <label key={String(option)}>
              <input type="checkbox" checked={chosen.includes(option)} onChange={(e) => {
                const next = e.target.checked ? [...chosen, option] : chosen.filter((v) => v !== option);
                onChange(next.length > 0 ? next : undefined);
              }} />
              {String(option)}
            </label>
          ))}
        </span>
      );
    }
    case "json":
      return (
        <>
          <textarea {...common} rows={4} className="json" value={text} onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim() === "") return (setError(undefined), onChange(undefined));
            try {
              onChange(JSON.parse(e.target.value));
              setError(undefined);
            } catch {
              setError("not valid JSON yet");
            }
          }} />
          {invalid}
        </>
      );
    default:
      return <input {...common} type={field.secret ? "password" : "text"} value={text} onChange={(e) => {
        setText(e.target.value);
        onChange(e.target.value === "" ? undefined : e.target.value);
      }} />;
  }
}
