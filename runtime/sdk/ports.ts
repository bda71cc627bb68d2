/**
 * Payload kinds a port can carry. The editor and the flow loader refuse a wire whose kinds do not
 * fit, using `portKindsFit` — the one connection rule.
 */
export const PORT_KINDS = {
  reading: "raw or cleaned sensor values, one sample per message",
  features: "aggregates or derived values ready for a model (window statistics)",
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

/** Can an output of kind `from` feed an input of kind `to`? */
export function portKindsFit(from: PortKind, to: PortKind): boolean {
  return from === to || from === "any" || to === "any";
}

/** Every node has this output; a wire from it receives coded errors raised by the node. */
export const ERROR_PORT = "error";
