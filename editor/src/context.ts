/** What every node component reads without props: the catalog, live statuses and the missing-config marks. */
import { createContext } from "react";
import type { Catalog } from "./graph/catalog.ts";
import { LiveStore } from "./graph/live.ts";

export interface LiveStatus {
  readonly state: string;
  readonly text?: string;
}

export const CatalogContext = createContext<Catalog>(new Map());
/** Node id -> latest status from the live events of the open flow. */
export const StatusContext = createContext<ReadonlyMap<string, LiveStatus>>(new Map());
/** Live numbers per node (msgs/s, errors, latency); each node subscribes to its own id. */
export const LiveContext = createContext<LiveStore>(new LiveStore());
/** Node ids marked on the canvas (the nodes a failed deploy names); each node subscribes to its own id. */
export class NodeMarks {
  private marked: ReadonlySet<string> = new Set();
  private readonly listeners = new Set<() => void>();
  has = (id: string): boolean => this.marked.has(id);
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  set(ids: Iterable<string>): void {
    this.marked = new Set(ids);
    for (const listener of this.listeners) listener();
  }
}
/** No provider needed: the deploy runner and the nodes share this default store. */
export const DeployFailedContext = createContext<NodeMarks>(new NodeMarks());
/** Payload fields known upstream of the node whose form is open, for the field pickers. */
export const UpstreamFieldsContext = createContext<readonly string[]>([]);

const HUES: Record<string, number> = { sources: 140, cleaners: 190, windows: 220, inference: 275, gates: 20, kpi: 45, sinks: 330, util: 0 };

/** A stable colour per family; families the editor has not heard of get one from their name. */
export function familyColour(family: string): string {
  const hue = HUES[family] ?? [...family].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  return family === "util" ? "hsl(0 0% 45%)" : `hsl(${hue} 55% 42%)`;
}
