/**
 * The `opcua-endpoint` connection as nodes see it: an open node-opcua session, shared by every
 * opcua-in and opcua-write node naming the connection, re-created by the runtime after a reconnect.
 *
 * @example
 * const lease = ctx.use(CONNECTIONS).acquire(OPCUA_ENDPOINT, config.connection, ctx);
 * lease.onConnected(({ session }) => void session.read({ nodeId: "ns=1;s=Pump1.Speed", attributeId: 13 }));
 */
import type { ClientSession, OPCUAClient } from "node-opcua";
import { connectionKind } from "./connections.ts";

export interface OpcuaLink {
  readonly session: ClientSession;
  readonly client: OPCUAClient;
  readonly endpointUrl: string;
}

export const OPCUA_ENDPOINT = connectionKind<OpcuaLink>("opcua-endpoint");
