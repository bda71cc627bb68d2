import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SubscriptionLog } from "./subscription-log.ts";

export const MOSQUITTO = "/usr/sbin/mosquitto";

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** Subscriptions granted since this broker process started, read from its subscribe log. */
  readonly subscriptions: SubscriptionLog;
  /** Stops this broker by its PID and removes its directory. */
  stop(): Promise<void>;
  /** Kills this broker with SIGKILL (a crash: nothing saved since its last autosave); keeps a persistDir. */
  kill(): Promise<void>;
}

export interface MosquittoOptions {
  /** user -> password; anonymous logins are then refused. */
  readonly users?: Readonly<Record<string, string>>;
  /** PEM files for a TLS listener (mqtts). */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string; readonly requireClientCertificate?: boolean };
  readonly port?: number;
  /** Keep sessions and queued messages in this directory across a stop and a restart. */
  readonly persistDir?: string;
  /**
   * With persistDir: save the session store after (about) every change instead of only at shutdown
   * (`autosave_on_changes true`, `autosave_interval 1`), so even a kill -9 keeps queued messages.
   */
  readonly saveEveryChange?: boolean;
  /**
   * Told of every PUBLISH the broker reads from a client (its debug log): what it has taken, and
   * acknowledged at QoS 1, whatever happens to it later (a broker killed before saving loses it).
   */
  readonly onPublishReceived?: (client: string, topic: string) => void;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Mosquitto on a free 127.0.0.1 port with the config of STACK-NOTES §5 (plus users and TLS if asked). */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = options.persistDir ?? mkdtempSync(join(tmpdir(), "mosquitto-"));
  const port = options.port ?? (await freePort());
  const autosave = options.saveEveryChange ? ["autosave_on_changes true", "autosave_interval 1"] : [];
  const persistence = options.persistDir ? ["persistence true", `persistence_location ${dir}/`, ...autosave] : ["persistence false"];
  const lines = [`listener ${port} 127.0.0.1`, ...persistence, "user root", "max_queued_messages 100000", "log_dest stderr", "log_type error", "log_type subscribe"];
  if (options.users) {
    const file = join(dir, "passwd");
    writeFileSync(file, "");
    for (const [user, password] of Object.entries(options.users)) execFileSync("/usr/bin/mosquitto_passwd", ["-b", file, user, password]);
    lines.push("allow_anonymous false", `password_file ${file}`);
  } else lines.push("allow_anonymous true");
  if (options.onPublishReceived) lines.push("log_type debug");
  if (options.tls) lines.push(`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
  // Mutual TLS: the broker then refuses any client without a certificate signed by `ca`.
  if (options.tls?.requireClientCertificate) lines.push("require_certificate true");
  writeFileSync(join(dir, "mosquitto.conf"), `${lines.join("\n")}\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let partial = "";
  const subscriptions = new SubscriptionLog();
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      // Mosquitto writes "<time>: <client id> <qos> <filter>" once the subscription is added, before its SUBACK.
      const granted = /^\d+: (\S+) [012] (.+)$/.exec(line);
      if (granted) subscriptions.record(granted[1]!, granted[2]!);
      const published = options.onPublishReceived && /^\d+: Received PUBLISH from (\S+) \(d\d, q\d, r\d, m\d+, '([^']*)'/.exec(line);
      if (published) options.onPublishReceived!(published[1]!, published[2]!);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 5_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start on ${port}: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port,
    url: `${options.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    dir,
    pid: child.pid!,
    subscriptions,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, "SIGKILL");
        await exited;
      }
      if (!options.persistDir) rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid!, "SIGTERM");
        await exited;
      }
      if (!options.persistDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with openssl. */
export function makeCertificates(dir: string, name = "ca"): { ca: string; cert: string; key: string; caKey: string } {
  const at = (f: string) => join(dir, `${name}-${f}`);
  const run = (args: string[]) => execFileSync("/usr/bin/openssl", args, { stdio: "ignore" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name} test CA`, "-keyout", at("ca.key"), "-out", at("ca.pem")]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", at("server.key"), "-out", at("server.csr")]);
  writeFileSync(at("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run(["x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", at("ext.cnf"), "-out", at("server.pem")]);
  return { ca: at("ca.pem"), cert: at("server.pem"), key: at("server.key"), caKey: at("ca.key") };
}
