/** The selected node: name, config form generated from its schema, and its docs and examples beside it. */
import { useStore } from "@xyflow/react";
import { useMemo, useState, type ReactNode } from "react";
import { UpstreamFieldsContext } from "../context.ts";
import type { CatalogNode } from "../graph/catalog.ts";
import { missingConfig } from "../graph/config-check.ts";
import type { AiotNode } from "../graph/mapping.ts";
import { parseDocs, type Inline } from "../graph/markdown.ts";
import { InputWiredContext } from "./Pickers.tsx";
import { Fields, InlineText } from "./SchemaField.tsx";

interface Props {
  readonly node: AiotNode | undefined;
  readonly entry: CatalogNode | undefined;
  /** Payload fields known upstream of the node, offered by the field pickers. */
  readonly upstreamFields?: readonly string[];
  onChange(id: string, change: Partial<AiotNode["data"]>): void;
  /** Live views of the running node (e.g. the variants of an onnx-inference node), under its name. */
  readonly children?: ReactNode;
}

const NONE: readonly string[] = [];

export function PropertyPanel({ node, entry, onChange, upstreamFields = NONE, children }: Props) {
  // Bumped when the config is replaced wholesale, so the inputs re-read it.
  const [revision, setRevision] = useState(0);
  const wired = useStore((s) => node !== undefined && s.edges.some((e) => e.target === node.id));
  const missing = useMemo(() => new Set(node && entry ? missingConfig(entry.config, node.data.config) : []), [node, entry]);
  if (!node) return <section className="properties hint">Select a node to edit its configuration.</section>;
  if (!entry) return <section className="properties error">Node “{node.id}” has the unknown type {node.data.nodeType}.</section>;
  const setConfig = (config: unknown) => onChange(node.id, { config: config !== null && typeof config === "object" && !Array.isArray(config) ? { ...config } : {} });

  return (
    <section className="properties" aria-label="Properties" data-testid="properties">
      <h2>{entry.title} <small>{node.id}</small></h2>
      <label className="field">
        <span className="field-label">name</span>
        <input data-testid="field-(name)" value={node.data.name ?? ""} placeholder={node.id} onChange={(e) => onChange(node.id, { name: e.target.value })} />
      </label>
      {children}
      <form key={revision} className="config" onSubmit={(e) => e.preventDefault()}>
        <UpstreamFieldsContext.Provider value={upstreamFields}>
          <InputWiredContext.Provider value={wired}>
            <Fields schema={entry.config} path={[]} value={node.data.config} missing={missing} onChange={setConfig} />
          </InputWiredContext.Provider>
        </UpstreamFieldsContext.Provider>
      </form>
      <details className="docs" open>
        <summary>About {entry.title}</summary>
        <p><InlineText text={entry.summary} /></p>
        {entry.docs && <Docs text={entry.docs} />}
        {entry.examples.length > 0 && <h4>Examples</h4>}
        {entry.examples.map((example) => (
          <div key={example.title} className="example">
            <b>{example.title}</b> {example.description}
            <pre>{JSON.stringify(example.config, null, 1)}</pre>
            <button type="button" onClick={() => { onChange(node.id, { config: { ...example.config } }); setRevision(revision + 1); }}>Use this example</button>
          </div>
        ))}
      </details>
    </section>
  );
}

/** The docs' simple markdown as React elements (text stays text: nothing is parsed as HTML). */
export function Docs({ text }: { text: string }) {
  const blocks = useMemo(() => parseDocs(text), [text]);
  const inline = (parts: readonly Inline[]) =>
    parts.map((part, i) => (part.kind === "code" ? <code key={i}>{part.text}</code> : part.kind === "bold" ? <strong key={i}>{part.text}</strong> : part.text));
  return (
    <div className="docs-text" data-testid="node-docs">
      {blocks.map((block, i) => (block.kind === "paragraph" ? <p key={i}>{inline(block.inline)}</p> : <ul key={i}>{block.items.map((item, j) => <li key={j}>{inline(item)}</li>)}</ul>))}
    </div>
  );
}
