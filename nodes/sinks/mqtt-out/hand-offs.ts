import type { Message } from "../../../runtime/sdk/index.ts";
import type { Outbox } from "../../../runtime/sdk/outbox.ts";
import { claimReceipt } from "../../lib/mqtt/receipts.ts";

/**
 * mqtt-out's side of "acknowledge when safe" (nodes/lib/mqtt/receipts.ts): the receipts of the
 * messages it buffers, let go once each is safe with it. A buffer on disk makes a message safe once it
 * is written (it is sent after a crash too); a buffer in memory (no data directory) only once the
 * broker acknowledged it, or dropped it by the buffer's limits (the message is gone either way).
 */
export class HandOffs {
  /** Disk buffer: let go after the next write. */
  private toDisk: Array<() => void> = [];
  /** Memory buffer: one slot per buffered record, oldest first, let go as the records leave it. */
  private toBroker: Array<(() => void) | undefined>;
  private scheduled = false;
  private readonly durable: boolean;

  /** `late`: counts a message that was acknowledged to its source before it got here. */
  constructor(private readonly outbox: Outbox<unknown>, private readonly late: () => void) {
    // `durable` is the disk buffer's (runtime/connections/outbox.ts); the SDK's Outbox does not declare it yet.
    this.durable = "durable" in outbox && outbox.durable === true;
    this.toBroker = Array.from({ length: this.durable ? 0 : outbox.length }, () => undefined); // left from a previous run
  }

  /** Call once `msg`'s record is pushed. */
  pushed(msg: Message): void {
    const claim = claimReceipt(msg);
    if (claim?.late) this.late();
    const handedOff = claim && !claim.late ? claim.handedOff : undefined;
    if (!this.durable) return void this.toBroker.push(handedOff);
    if (!handedOff) return;
    this.toDisk.push(handedOff);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.written();
    });
  }

  /** The `count` oldest records left the buffer: acknowledged by the broker, or dropped by its limits. */
  left(count: number): void {
    if (this.durable || count <= 0) return;
    for (const handedOff of this.toBroker.splice(0, count)) handedOff?.();
  }

  /** The node closes: what its buffer wrote is safe. */
  close(): void {
    if (this.durable) this.written();
  }

  /** Writes the buffer now and lets go of what it holds; after a failed write they wait for the next one. */
  private written(): void {
    this.outbox.flush();
    if (!("durable" in this.outbox && this.outbox.durable === true)) return;
    const done = this.toDisk;
    this.toDisk = [];
    for (const handedOff of done) handedOff();
  }
}
