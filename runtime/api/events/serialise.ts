/**
 * An event as the text sent to clients. It is built once per event and shared by every client,
 * and it is bounded: one huge or unserialisable debug message must not stall every socket.
 */
import { errorMessage } from "../../sdk/errors.ts";
import type { RuntimeEvent } from "../../local/local-runtime.ts";

/** A debug message bigger than this is sent as a note of its size instead. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** JSON of an event; a message that cannot be serialised or is too big is replaced by a note saying so. */
export function serialise(event: RuntimeEvent & { readonly replayed?: true }): string {
  try {
    const text = JSON.stringify(event);
    if (text.length <= MAX_EVENT_BYTES || event.type !== "debug") return text;
    return JSON.stringify({ ...event, msg: { omitted: `message of ${text.length} characters is over the ${MAX_EVENT_BYTES} limit` } });
  } catch (error) {
    return JSON.stringify({ type: event.type, flowId: event.flowId, at: event.at, omitted: `cannot serialise: ${errorMessage(error)}` });
  }
}
