/**
 * The connection rule of the canvas: the runtime's `portKindsFit`, plus what React Flow cannot know
 * (declared ports, self-wires, duplicates). A refused wire always comes with a reason to show.
 */
import type { Connection, Edge } from "@xyflow/react";
import { converterAdvice, convertersBetween, portKindsFit } from "../../../runtime/contract/ports.ts";
import type { Catalog } from "./catalog.ts";
import type { AiotNode } from "./mapping.ts";

export type WireCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type Wire = Pick<Connection, "source" | "target"> & { sourceHandle?: string | null; targetHandle?: string | null };

export function checkWire(wire: Wire, nodes: readonly AiotNode[], edges: readonly Pick<Edge, "source" | "sourceHandle" | "target" | "targetHandle">[], catalog: Catalog): WireCheck {
  const from = nodes.find((n) => n.id === wire.source);
  const to = nodes.find((n) => n.id === wire.target);
  if (!from || !to) return { ok: false, reason: `no node "${!from ? wire.source : wire.target}" on the canvas` };
  if (from.id === to.id) return { ok: false, reason: `"${from.id}" cannot feed itself` };
  const fromType = catalog.get(from.data.nodeType);
  const toType = catalog.get(to.data.nodeType);
  if (!fromType) return { ok: false, reason: `"${from.id}" has the unknown type "${from.data.nodeType}"` };
  if (!toType) return { ok: false, reason: `"${to.id}" has the unknown type "${to.data.nodeType}"` };
  const outName = wire.sourceHandle ?? "";
  const inName = wire.targetHandle ?? "";
  const out = fromType.outputs[outName];
  const input = toType.inputs[inName];
  if (!out) return { ok: false, reason: `${fromType.type} has no output "${outName}"` };
  if (!input) return { ok: false, reason: `${toType.type} has no input "${inName}"` };
  if (!portKindsFit(out.kind, input.kind)) {
    const advice = converterAdvice(convertersBetween(catalog.values(), out.kind, input.kind));
    return { ok: false, reason: `${from.id}.${outName} carries ${out.kind} but ${to.id}.${inName} accepts ${input.kind} only${advice}` };
  }
  const duplicate = edges.some((e) => e.source === from.id && (e.sourceHandle ?? "") === outName && e.target === to.id && (e.targetHandle ?? "") === inName);
  if (duplicate) return { ok: false, reason: `${from.id}.${outName} is already wired to ${to.id}.${inName}` };
  return { ok: true };
}
