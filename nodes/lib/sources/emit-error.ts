import { AiotError, ERROR_PORT, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";

/**
 * Sends a coded error out of a source's implicit error port, shaped as the engine shapes a thrown
 * one (`payload` = the error's JSON, `meta.error` = its code), and counts it under `metric`.
 * Sources have no input to throw from, so a bad row or an unknown node id is reported this way and
 * the source carries on.
 */
export function emitError(ctx: NodeContext<string>, error: AiotError, at: Pick<Message, "topic" | "ts" | "key">, metric: string): void {
  ctx.metrics.count(metric);
  const details = new AiotError(error.code, error.message, { ...error.details, node: ctx.nodeId });
  ctx.emit(ERROR_PORT, { ...at, payload: details.toJSON(), meta: { source: ctx.nodeId, error: error.code } });
}
