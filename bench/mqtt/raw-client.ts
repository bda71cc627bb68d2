// A minimal MQTT 3.1.1 client for the benchmark's load tools, QoS 0 only: CONNECT, SUBSCRIBE, PUBLISH
// written as pre-encoded packets, many per socket write, and a streaming PUBLISH parser. The load
// tools share one core with the broker, so they must cost far less per message than the systems
// measured; mqtt.js costs about as much per message as the system itself and capped both systems'
// measured rate. QoS 1 phases keep mqtt.js (acknowledgements, in-flight windows).
import { createConnection, type Socket } from "node:net";

const CONNACK = 2;
const PUBLISH = 3;
const SUBACK = 9;

function remainingLength(length: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

function utf8Field(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const field = Buffer.alloc(2 + bytes.length);
  field.writeUInt16BE(bytes.length, 0);
  bytes.copy(field, 2);
  return field;
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte, ...remainingLength(body.length)]), body]);
}

/** A QoS 0 PUBLISH packet, encoded once. */
export function publishPacket(topic: string, payload: string): Buffer {
  return packet(0x30, Buffer.concat([utf8Field(topic), Buffer.from(payload, "utf8")]));
}

export class RawMqttClient {
  private pending: Buffer = Buffer.alloc(0);
  private waiters = new Map<number, () => void>();
  onPublish: (topic: string, payload: Buffer) => void = () => undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.parse(chunk));
  }

  static async connect(port: number, clientId: string): Promise<RawMqttClient> {
    const socket = createConnection({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new RawMqttClient(socket);
    const connack = client.waitFor(CONNACK);
    const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]); // "MQTT", level 4, clean session, keepalive 60 s
    socket.write(packet(0x10, Buffer.concat([header, utf8Field(clientId)])));
    await connack;
    return client;
  }

  async subscribe(filter: string): Promise<void> {
    const suback = this.waitFor(SUBACK);
    this.socket.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8Field(filter), Buffer.from([0])])));
    await suback;
  }

  /** Writes packets (one buffer of many); resolves once the socket can take more. */
  write(packets: Buffer): Promise<void> | undefined {
    if (this.socket.write(packets)) return undefined;
    return new Promise((resolve) => this.socket.once("drain", resolve));
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.end(Buffer.from([0xe0, 0]));
    });
  }

  private waitFor(type: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no MQTT packet type ${type} from the broker within 5 s`)), 5_000);
      this.waiters.set(type, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private parse(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      if (data.length - offset < 2) break;
      let length = 0;
      let multiplier = 1;
      let at = offset + 1;
      let complete = false;
      while (at < data.length) {
        const byte = data[at++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || data.length - at < length) break;
      const type = data[offset]! >> 4;
      if (type === PUBLISH) {
        const topicLength = data.readUInt16BE(at);
        const topic = data.toString("utf8", at + 2, at + 2 + topicLength);
        const qos = (data[offset]! >> 1) & 3;
        const payloadStart = at + 2 + topicLength + (qos > 0 ? 2 : 0);
        this.onPublish(topic, data.subarray(payloadStart, at + length));
      } else {
        const waiter = this.waiters.get(type);
        this.waiters.delete(type);
        waiter?.();
      }
      offset = at + length;
    }
    this.pending = offset < data.length ? Buffer.from(data.subarray(offset)) : Buffer.alloc(0);
  }
}
