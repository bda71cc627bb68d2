import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import type { Message } from "../../../runtime/sdk/index.ts";
import { startAedes, type AedesBroker } from "../../../test/support/aedes.ts";
import { until } from "../../../test/support/mqtt-flow.ts";
import { claimReceipt } from "./receipts.ts";
import { SafeAcks } from "./safe-acks.ts";
import { subscribe } from "./subscription.ts";

describe("acknowledging when safe", () => {
  let broker: AedesBroker;
  let client: MqttClient;
  let publisher: MqttClient;
  let acks = 0;
  before(async () => {
    broker = await startAedes();
    broker.broker.on("ack", (_packet, from) => void (from?.id === "safe-acks" && acks++));
    client = await mqtt.connectAsync(broker.url, { clientId: "safe-acks", reconnectPeriod: 0 });
    publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await client.endAsync(true);
    await publisher.endAsync();
    await broker.close();
  });

  /** A subscription whose handler gives each message a receipt and emits it as `msg` with its own meta. */
  async function handOut(filter: string, safe: SafeAcks): Promise<{ got: Message[]; undo: () => void }> {
    const got: Message[] = [];
    const undo = subscribe(client, filter, 1, (topic, body, packet: IPublishPacket) => {
      const msg: Message = { topic, ts: 0, payload: body.toString(), meta: { source: "in" } };
      safe.attach(msg.meta, safe.receive(client, packet));
      got.push(msg);
    }, () => undefined, (e) => assert.fail(e));
    await client.subscribeAsync(filter, { qos: 1 }); // its SUBACK: in place
    return { got, undo };
  }

  it("acknowledges once the flow can take more, and not before a sink that claimed the message lets go", async () => {
    let open = () => {};
    const writable = new Promise<void>((resolve) => (open = resolve));
    const { got, undo } = await handOut("sa/#", new SafeAcks(() => writable));
    const before = acks;
    await publisher.publishAsync("sa/x", "1", { qos: 1 });
    await until(() => got.length === 1, "the message");
    const claim = claimReceipt({ ...got[0]!, payload: "mapped" });
    assert.ok(claim && !claim.late, "a sink claims it");
    open(); // the flow has room: the receipt passes two turns later
    await publisher.publishAsync("sa/x", "2", { qos: 1 }); // a sentinel: its PUBACK must wait behind the first
    await until(() => got.length === 2, "the sentinel");
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(() => setImmediate(resolve))));
    assert.equal(acks - before, 0, "the claimed message holds its PUBACK and the one after it");
    claim.handedOff();
    await until(() => acks - before === 2, "both PUBACKs, in order");
    undo();
  });

  it("gives a QoS 0 message no receipt", async () => {
    const safe = new SafeAcks(() => Promise.resolve());
    const got: Array<unknown> = [];
    const undo = subscribe(client, "sa0/#", 0, (_topic, _body, packet) => void got.push(safe.receive(client, packet)), () => undefined, (e) => assert.fail(e));
    await client.subscribeAsync("sa0/#", { qos: 0 });
    await publisher.publishAsync("sa0/x", "1", { qos: 0 });
    await until(() => got.length === 1, "the message");
    assert.deepEqual(got, [undefined]);
    undo();
  });
});
