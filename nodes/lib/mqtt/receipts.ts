import type { Message } from "../../../runtime/sdk/index.ts";

/**
 * Hand-off receipts: how mqtt-in learns that a message it took at QoS 1 is safe, so its PUBACK may go
 * to the broker (at least once end to end, across a crash of aiotflow or of the broker).
 *
 * mqtt-in issues a receipt per message and attaches it to the `meta` object of what it emits (by
 * identity, not as a field: nodes that copy a message keep its `meta` object, e.g. map's
 * `{ ...msg, payload }`). A sink that hands messages off durably (mqtt-out at QoS 1/2) claims the
 * receipt when the message reaches it and lets go once the message is safe with it: in its disk buffer,
 * or acknowledged by its broker. mqtt-in marks the receipt `passed` once the flow has had the message;
 * the receipt is released when it has passed and every claim has let go.
 *
 * "The flow has had it" is mqtt-in's own estimate until the engine reports a message as fully
 * processed (see `passLater` in mqtt-in): two turns of the event loop after emitting, with the flow
 * below its high-water mark. A message that reaches no durable sink (filtered out, failed, or ending in
 * a sink without a durable hand-off) is acknowledged then. A claim that comes after the release is
 * counted by the sink (`acknowledged_before_handoff`), so a flow where the estimate falls short shows.
 */
export class Receipt {
  private claims = 0;
  private passed = false;
  private released = false;

  constructor(private readonly release: () => void) {}

  get done(): boolean {
    return this.released;
  }

  /** The source's part: the flow has had the message. */
  pass(): void {
    this.passed = true;
    this.check();
  }

  /** A durable sink's part: returns the "handed off" call, or undefined when it comes too late. */
  claim(): (() => void) | undefined {
    if (this.released) return undefined;
    this.claims++;
    let once = false;
    return () => {
      if (once) return;
      once = true;
      this.claims--;
      this.check();
    };
  }

  private check(): void {
    if (this.released || !this.passed || this.claims > 0) return;
    this.released = true;
    this.release();
  }
}

/** Receipts by the `meta` object they travel with; entries go with their messages. */
const receipts = new WeakMap<object, Receipt>();

/** Attaches `receipt` to a message's `meta`, which must be this message's own object (not a shared one). */
export function attachReceipt(meta: object, receipt: Receipt): void {
  receipts.set(meta, receipt);
}

/** What a durable sink gets for a message: `handedOff` once it is safe; `late` when mqtt-in already acknowledged it. */
export type Claim = { readonly late: false; readonly handedOff: () => void } | { readonly late: true };

/** The receipt `msg` carries, claimed; undefined for a message without one (not from mqtt-in at QoS 1). */
export function claimReceipt(msg: Message): Claim | undefined {
  const receipt = msg.meta === undefined ? undefined : receipts.get(msg.meta);
  if (!receipt) return undefined;
  const handedOff = receipt.claim();
  return handedOff ? { late: false, handedOff } : { late: true };
}
