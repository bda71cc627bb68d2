/**
 * Payload kinds a port can carry. The editor and the flow loader refuse a wire whose kinds do not
 * fit, using `portKindsFit` — the one connection rule.
 */
export const PORT_KINDS = {
  reading: "raw or cleaned sensor values, one sample per message",
  features: "named numeric fields ready for a model: window statistics, derived values or plain readings",
  prediction: "a model's score, label or probabilities",
  event: "a discrete happening: an alarm raised or cleared, an error, a state change",
  kpi: "a business figure: downtime avoided, energy saved, action rate",
  any: "whatever arrives; accepts and offers every kind",
} as const;

export type PortKind = keyof typeof PORT_KINDS;

export interface PortSpec {
  readonly kind: PortKind;
  readonly description: string;
}

export function isPortKind(value: string): value is PortKind {
  return Object.hasOwn(PORT_KINDS, value);
}

/**
 * Can an output of kind `from` feed an input of kind `to`? A reading is an object of named numeric
 * fields, which is what a feature vector is, so a model may take sensor fields as they arrive
 * (the model checks each named feature when the message comes). Not the other way round: window
 * statistics are not one sample.
 */
export function portKindsFit(from: PortKind, to: PortKind): boolean {
  return from === to || from === "any" || to === "any" || (from === "reading" && to === "features");
}

/** Every node has this output; a wire from it receives coded errors raised by the node. */
export const ERROR_PORT = "error";

/** What `convertersBetween` reads of a node type (a definition, or the editor's catalog entry). */
export interface PortedNode {
  readonly type: string;
  readonly family: string;
  readonly inputs: Readonly<Record<string, { readonly kind: PortKind }>>;
  readonly outputs: Readonly<Record<string, { readonly kind: PortKind }>>;
  /** Loop-safe nodes (delay, retry) pass messages on unchanged: they convert nothing. */
  readonly loopSafe?: boolean;
}

/**
 * The node types that can sit between two kinds that do not fit: those taking exactly `from` and
 * giving exactly `to` (a window turns readings into features), else utility nodes whose ports fit
 * both ends (a `map` reshapes any payload). The implicit error port converts nothing, and neither
 * does a loop-safe node, which passes what it gets on unchanged.
 */
export function convertersBetween(nodes: Iterable<PortedNode>, from: PortKind, to: PortKind): string[] {
  const all = [...nodes].filter((n) => n.loopSafe !== true);
  const converts = (n: PortedNode, fits: (a: PortKind, b: PortKind) => boolean) =>
    Object.values(n.inputs).some((i) => fits(from, i.kind)) && Object.entries(n.outputs).some(([name, o]) => name !== ERROR_PORT && fits(o.kind, to));
  const exact = all.filter((n) => converts(n, (a, b) => a === b));
  const found = exact.length > 0 ? exact : all.filter((n) => n.family === "util" && converts(n, portKindsFit));
  return found.map((n) => n.type).sort();
}

/** `; put a "map" between them` — the advice a refused wire ends with, empty when nothing converts. */
export function converterAdvice(types: readonly string[]): string {
  if (types.length === 0) return "";
  return `; put ${types.length === 1 ? "a" : "one of"} ${types.map((t) => `"${t}"`).join(", ")} between them`;
}
