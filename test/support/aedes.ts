import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes, type AedesOptions } from "aedes";
import { SubscriptionLog } from "./subscription-log.ts";

export interface AedesBroker {
  readonly port: number;
  readonly url: string;
  readonly broker: Aedes;
  /** Subscriptions granted since the broker started (before it listened, so none is missed). */
  readonly subscriptions: SubscriptionLog;
  /** Closes the listener and every client connection (the broker "dies"). */
  close(): Promise<void>;
}

/** An in-process aedes (MQTT 3.1.1) broker on a free 127.0.0.1 port, or on `port` to bring one back. */
export async function startAedes(
  options: { port?: number; authenticate?: AedesOptions["authenticate"]; beforeListen?: (broker: Aedes) => Promise<void> } = {},
): Promise<AedesBroker> {
  const broker = await Aedes.createBroker(options.authenticate ? { authenticate: options.authenticate } : {});
  const subscriptions = new SubscriptionLog();
  // Emitted once the subscription is in the broker's routing table. A refused one carries qos 128
  // (outside aedes' QoS type, hence Number()).
  broker.on("subscribe", (granted, client) => {
    for (const { topic, qos } of granted) if (Number(qos) !== 128) subscriptions.record(client.id, topic);
  });
  await options.beforeListen?.(broker);
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    broker,
    subscriptions,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
