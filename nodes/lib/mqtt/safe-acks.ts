import type { IPublishPacket } from "mqtt";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";
import { attachReceipt, Receipt } from "./receipts.ts";
import { holdPuback } from "./subscription.ts";

/**
 * A subscribing node's side of "acknowledge when safe" (receipts.ts): each QoS 1 message gets a
 * receipt that holds its PUBACK back; the node attaches it to what it emits, durable sinks claim it,
 * and `passLater` marks it passed once the flow has had the message.
 *
 * Until the engine can say that a message is fully processed, "has had it" means: two turns of the
 * event loop after emitting (the run queue delivers what a source emitted in the microtask after it,
 * and a long backlog in slices of a few ms, each after a turn), once the flow is below its high-water
 * mark. That is exact for a flow that handles the message within one slice of its run queue.
 */
export class SafeAcks {
  private passing: Receipt[] = [];
  private scheduled = false;

  /** `writable`: the node context's, resolving when the flow can take more. */
  constructor(private readonly writable: () => Promise<void>) {}

  /** The receipt of `packet` (QoS 1; undefined for others), passed after the flow has had it. */
  receive(client: MqttClient, packet: IPublishPacket): Receipt | undefined {
    if (packet.qos !== 1) return undefined;
    const receipt = new Receipt(holdPuback(client, packet));
    this.passLater(receipt);
    return receipt;
  }

  /** Stamps `meta` (the emitted message's own object) with `receipt`. */
  attach(meta: object | undefined, receipt: Receipt | undefined): void {
    if (meta && receipt) attachReceipt(meta, receipt);
  }

  private passLater(receipt: Receipt): void {
    this.passing.push(receipt);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => setImmediate(() => {
      const passing = this.passing;
      this.passing = [];
      this.scheduled = false;
      void this.writable().then(() => {
        for (const r of passing) r.pass();
      });
    }));
  }
}
