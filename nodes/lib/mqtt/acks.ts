import type { IPublishPacket } from "mqtt";
import type { MqttClient } from "../../../runtime/sdk/mqtt.ts";

interface Entry {
  readonly packet: IPublishPacket;
  /** Nodes still holding its acknowledgement back. */
  holds: number;
  /** mqtt.js has finished with the packet (handleMessage ran): the PUBACK is ours to send. */
  adopted: boolean;
}

/**
 * The PUBACKs of one client's QoS 1 messages, sent by the nodes once each message is safe instead of
 * by mqtt.js as it arrives. MQTT wants them in the order the messages came (3.1.1 and 5, §4.6), so a
 * ready one waits for those before it; the broker sends no more than its in-flight window ahead of
 * the oldest unacknowledged one, which bounds this queue.
 *
 * A subscription's handler calls `hold` while mqtt.js emits the message; handleMessage then calls
 * `adopt` and, when it returns true, tells mqtt.js not to acknowledge. Several nodes may hold the same
 * message (their filters overlap): it is acknowledged once each has let go. A client that is gone
 * acknowledges nothing: the broker sends the message again on the next connection (at least once).
 */
export class PubackQueue {
  private readonly queue: Entry[] = [];
  private head = 0;
  /** Entries by packet, until their PUBACK is sent. */
  private readonly entries = new Map<IPublishPacket, Entry>();

  constructor(private readonly client: MqttClient) {}

  /** Messages whose acknowledgement is still held or waits for an older one. */
  get pending(): number {
    return this.entries.size;
  }

  /** Holds back the PUBACK of `packet` (QoS 1) until the returned release is called (once is enough). */
  hold(packet: IPublishPacket): () => void {
    const held = this.entries.get(packet) ?? this.enqueue(packet);
    held.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--held.holds === 0 && held.adopted) this.flush();
    };
  }

  /**
   * handleMessage's part: true when the nodes acknowledge `packet` (mqtt.js must not), false when
   * nobody held it and nothing older waits, so mqtt.js may acknowledge it at once as usual.
   */
  adopt(packet: IPublishPacket): boolean {
    let entry = this.entries.get(packet);
    if (!entry) {
      if (this.entries.size === 0) return false;
      entry = this.enqueue(packet);
    }
    entry.adopted = true;
    this.flush();
    return true;
  }

  private enqueue(packet: IPublishPacket): Entry {
    const entry: Entry = { packet, holds: 0, adopted: false };
    this.entries.set(packet, entry);
    this.queue.push(entry);
    return entry;
  }

  /** Sends every PUBACK at the head of the queue that is ready, in one write. */
  private flush(): void {
    const start = this.head;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (!entry.adopted || entry.holds > 0) break;
      this.entries.delete(entry.packet);
      this.head++;
    }
    if (this.head === start) return;
    const ready = this.queue.slice(start, this.head);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head); // reclaim the sent part now and then, not on every flush
      this.head = 0;
    }
    this.send(ready);
  }

  private send(entries: readonly Entry[]): void {
    const stream = this.client.stream as { writable?: boolean; destroyed?: boolean; write(chunk: Buffer): boolean } | undefined;
    if (!this.client.connected || !stream || stream.destroyed || stream.writable === false) return;
    // PUBACK: 0x40, remaining length 2, the packet id. MQTT 5 reads a length of 2 as "success, no properties".
    const packets = Buffer.allocUnsafe(4 * entries.length);
    entries.forEach((entry, i) => {
      packets[4 * i] = 0x40;
      packets[4 * i + 1] = 2;
      packets.writeUInt16BE(entry.packet.messageId ?? 0, 4 * i + 2);
    });
    stream.write(packets);
  }
}
