/**
 * Messages are immutable (runtime/sdk/message.ts): one object goes to every wired target, so a node
 * that changed its input would change what its fan-out siblings see. The engine enforces it by
 * freezing messages (the envelope, its payload and its meta): a node writing `msg.payload.x = 1` then
 * throws at once (ESM is strict mode) and the engine routes MESSAGE_MUTATED. In production it freezes
 * where a change could reach another node, and a little more to find offenders early (scheduler.route:
 * every message several inputs share, and the first message each node gets); freezing every hop would
 * triple the cost of a hop. Tests freeze every message, deeply, so a write anywhere fails a node's test.
 */
import { AiotError } from "../sdk/errors.ts";
import type { Message } from "../sdk/message.ts";

/** Freezes `msg`, its payload and its meta where not frozen yet (the production freeze); returns `msg`. */
export function freezeShallow(msg: Message): Message {
  if (!Object.isFrozen(msg)) Object.freeze(msg);
  const payload = msg.payload;
  if (typeof payload === "object" && payload !== null && !Object.isFrozen(payload) && !ArrayBuffer.isView(payload)) Object.freeze(payload);
  const meta = msg.meta;
  if (meta !== undefined && !Object.isFrozen(meta)) Object.freeze(meta);
  return msg;
}

/**
 * Freezes `value` and everything reachable from it (the freeze of tests). Binary views (Buffer,
 * Float32Array) are left as they are: freezing a view with elements throws.
 */
export function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeDeep(child);
  }
  return value;
}

/** V8's wording of a write to a frozen object: assign, add or delete a property. */
const FROZEN_WRITE = /^Cannot (assign to read only property|add property .*, object is not extensible|delete property)/;

/** True when `thrown` is the TypeError of a write to a frozen object (in practice: to a message). */
export function isFrozenWrite(thrown: unknown): boolean {
  return thrown instanceof TypeError && FROZEN_WRITE.test(thrown.message);
}

/** The coded error for a node that changed a message it received. */
export function mutationError(node: { readonly id: string; readonly definition: { readonly type: string } }, thrown: TypeError): AiotError {
  return new AiotError(
    "MESSAGE_MUTATED",
    `node "${node.id}" (${node.definition.type}) changed a message it received (${thrown.message}); messages are shared with every node wired to the same output, so the change was refused`,
    { node: node.id, nodeType: node.definition.type },
    { cause: thrown },
  );
}
