/**
 * An in-process node-opcua server for tests: one pump (Speed, Vibration, Temperature changing every
 * 100 ms, a writable Setpoint, a writable Int32 Mode, and OutletPressure, an AnalogItem with an EURange of
 * 0..10 bar for percent deadbands, changed only by `set`) on a free loopback port. Certificates live under
 * the temp dir (never ~/.config); anonymous and user/password logins; security None and Basic256Sha256.
 * `sampled` tells when a subscription has sampled a value, so a test waits for that, not for a time.
 *
 * @example
 * const server = await startOpcuaServer();
 * // server.endpointUrl === "opc.tcp://127.0.0.1:<port>/UA/Pump"; node ids "ns=1;s=Pump1.Speed" ...
 * await server.close();
 */
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DataValue,
  type ISessionContext,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCode,
  StatusCodes,
  Variant,
  type UAVariable,
} from "node-opcua";

export const OPCUA_USER = { username: "operator", password: "pump-s3cret" };

export interface OpcuaTestServer {
  readonly endpointUrl: string;
  readonly port: number;
  /** The server's own PKI folder (its certificate is in `own/certs`). */
  readonly pkiDir: string;
  /** `ns=<i>;s=Pump1.<name>` for a pump variable. */
  nodeId(name: "Speed" | "Vibration" | "Temperature" | "Setpoint" | "Mode" | "OutletPressure"): string;
  /** Pushes a value with a status code (for quality tests); the ticking signals keep their own values. */
  set(name: "Speed" | "Vibration" | "Temperature" | "OutletPressure", value: number, status?: StatusCode): void;
  /**
   * Resolves once a monitored item sampled `name` reading `value` (its data change filter has then
   * judged the value): a value set between two samples is never seen by a sampling subscription.
   */
  sampled(name: "Speed" | "Vibration" | "Temperature" | "OutletPressure", value: number): Promise<void>;
  /** The Setpoint as last written by a client. */
  setpoint(): number;
  /** Stops listening (clients see the link break); `start()` brings a new server up on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Certificates are kept between runs in one folder under the temp dir: creating an RSA key pair
 * takes seconds on a busy machine, and every test file would otherwise pay it again.
 */
export const OPCUA_TEST_PKI = join(tmpdir(), "aiotflow-opcua-test-pki");

export async function startOpcuaServer(options: { trustClients?: boolean } = {}): Promise<OpcuaTestServer> {
  const pki = join(OPCUA_TEST_PKI, options.trustClients === false ? "server-strict" : "server");
  const port = await freePort();
  let server: OPCUAServer | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let namespaceIndex = 1;
  let setpoint = 1450;
  const variables = new Map<string, UAVariable>();
  const samplesAwaited: Array<{ name: string; value: number; resolve: () => void }> = [];
  const onSample = (name: string, value: unknown) => {
    for (const waiter of samplesAwaited.filter((w) => w.name === name && w.value === value)) {
      samplesAwaited.splice(samplesAwaited.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  async function start(): Promise<void> {
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: options.trustClients ?? true });
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(OPCUA_TEST_PKI, "users"), automaticallyAcceptUnknownCertificate: true });
    const next = new OPCUAServer({
      port,
      hostname: "127.0.0.1",
      resourcePath: "/UA/Pump",
      serverCertificateManager,
      userCertificateManager,
      allowAnonymous: true,
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      userManager: { isValidUser: (user: string, password: string) => user === OPCUA_USER.username && password === OPCUA_USER.password },
    });
    await next.initialize();
    const addressSpace = next.engine.addressSpace!;
    const namespace = addressSpace.getOwnNamespace();
    namespaceIndex = namespace.index;
    const pump = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Pump1", nodeId: "s=Pump1" });
    const readOnly = (name: string, value: number) =>
      namespace.addVariable({
        componentOf: pump, browseName: name, nodeId: `s=Pump1.${name}`, dataType: "Double", minimumSamplingInterval: 100,
        accessLevel: "CurrentRead", userAccessLevel: "CurrentRead", value: new Variant({ dataType: DataType.Double, value }),
      });
    variables.clear();
    variables.set("Speed", readOnly("Speed", 1450));
    variables.set("Vibration", readOnly("Vibration", 2.2));
    variables.set("Temperature", readOnly("Temperature", 55));
    const setpointVariable = namespace.addVariable({
      componentOf: pump, browseName: "Setpoint", nodeId: "s=Pump1.Setpoint", dataType: "Double", minimumSamplingInterval: 100,
      accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
      value: new Variant({ dataType: DataType.Double, value: setpoint }),
    });
    setpointVariable.on("value_changed", (value) => {
      if (typeof value.value.value === "number") setpoint = value.value.value;
    });
    variables.set("Setpoint", setpointVariable);
    variables.set("Mode", namespace.addVariable({
      componentOf: pump, browseName: "Mode", nodeId: "s=Pump1.Mode", dataType: "Int32", minimumSamplingInterval: 100,
      accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
      value: new Variant({ dataType: DataType.Int32, value: 1 }),
    }));
    // An AnalogItem: its EURange (0..10 bar) is what a percent deadband is a percentage of.
    variables.set("OutletPressure", namespace.addAnalogDataItem({
      componentOf: pump, browseName: "OutletPressure", nodeId: "s=Pump1.OutletPressure", dataType: "Double", minimumSamplingInterval: 100,
      engineeringUnitsRange: { low: 0, high: 10 }, accessLevel: "CurrentRead", userAccessLevel: "CurrentRead",
      value: new Variant({ dataType: DataType.Double, value: 4 }),
    }));
    for (const [name, variable] of variables) reportSamples(variable, (value) => onSample(name, value));
    await next.start();
    server = next;
    let tick = 0;
    ticker = setInterval(() => {
      tick++;
      variables.get("Speed")!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 1450 + (tick % 10) }));
      variables.get("Vibration")!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 2.2 + (tick % 5) / 10 }));
    }, 100);
  }

  async function stop(): Promise<void> {
    clearInterval(ticker);
    const running = server;
    server = undefined;
    await running?.shutdown(0);
  }

  await start();
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}/UA/Pump`,
    port,
    pkiDir: pki,
    nodeId: (name) => `ns=${namespaceIndex};s=Pump1.${name}`,
    set(name, value, status = StatusCodes.Good) {
      variables.get(name)!.setValueFromSource(new Variant({ dataType: DataType.Double, value }), status);
    },
    sampled: (name, value) => new Promise<void>((resolve) => void samplesAwaited.push({ name, value, resolve })),
    setpoint: () => setpoint,
    stop,
    start,
    async close() {
      await stop();
    },
  };
}

type ReadValue = (context: ISessionContext | null, callback?: (error: Error | null, dataValue?: DataValue) => void) => unknown;

/**
 * A sampling monitored item reads its variable with `readValueAsync(context, callback)` and applies
 * its filter in the callback; this calls `report` with the value read right after that. node-opcua
 * picks the promise or the callback form by argument count, so each form is passed on as it came.
 */
function reportSamples(variable: UAVariable, report: (value: unknown) => void): void {
  // The overloads of readValueAsync cannot be forwarded as one typed signature.
  const read = variable.readValueAsync.bind(variable) as unknown as ReadValue;
  const readValueAsync: ReadValue = (context, callback) => {
    if (callback === undefined) return read(context);
    return read(context, (error, dataValue) => {
      callback(error, dataValue);
      if (!error && dataValue) report(dataValue.value.value);
    });
  };
  Object.assign(variable, { readValueAsync });
}
