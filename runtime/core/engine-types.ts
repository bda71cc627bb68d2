/** The engine's options and the events and reports it hands out (engine.ts). */
import type { FlowDocument } from "../contract/flow-format.ts";
import type { Clock } from "../sdk/clock.ts";
import type { Logger, NodeStatus } from "../sdk/define.ts";
import type { AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";
import type { Services } from "../sdk/services.ts";
import type { ParkingLimits } from "./parking.ts";
import type { Catalog } from "./validate.ts";

export interface EngineOptions {
  readonly catalog: Catalog;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where keyed state is snapshotted (`<dataDir>/state/<flow id>.json`); no snapshots without it. */
  readonly dataDir?: string;
  readonly snapshotIntervalMs?: number;
  readonly sliceMs?: number;
  readonly highWater?: number;
  /** Per-node queue limit; past it messages are dropped and counted. */
  readonly nodeCapacity?: number;
  /**
   * Bounds of what sources may park during a redeploy (default 10 000 messages, 16 MiB); past them a
   * source's messages are dropped and counted as `dropped_during_redeploy` (parking.ts).
   */
  readonly redeployBuffer?: Partial<ParkingLimits>;
  /**
   * Deep-freeze every message (tests: a write anywhere in a message fails). Without it the envelope,
   * payload and meta are frozen, which catches `msg.payload.x = ...` in production at a small cost.
   */
  readonly freezeMessages?: boolean;
  /**
   * How long stop() waits for queued messages to drain (default 10 s, on the engine's clock); after it,
   * what is still queued is dropped and counted per node, and stop() reports it (drain.ts).
   */
  readonly drainTimeoutMs?: number;
  /** Looks up `{ "$secret": name }` references (the encrypted secret store); none by default. */
  readonly secrets?: (name: string) => string | undefined;
  /** Runtime services nodes reach with `ctx.use(key)` (model registry, connections, HTTP ingress). */
  readonly services?: Services;
  /**
   * The flow's shared connections (runtime/connections): checked with the flow on every deploy, and
   * told of it before its nodes are built, so nodes resolve connection ids against this version.
   */
  readonly connections?: { check(flow: FlowDocument): AiotError[]; prepare(flow: FlowDocument): void };
}

export interface DebugEvent {
  readonly flowId: string;
  readonly node: string;
  readonly label: string;
  readonly msg: Message;
}

export interface FlowErrorEvent {
  readonly flowId: string;
  readonly error: AiotError;
  readonly msg: Message;
}

export interface StatusEvent {
  readonly flowId: string;
  readonly node: string;
  readonly status: NodeStatus;
}

export interface DeployReport {
  readonly flowId: string;
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly kept: string[];
}
