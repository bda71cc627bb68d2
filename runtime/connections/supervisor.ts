import { createHash } from "node:crypto";
import { silentLogger } from "../core/logger.ts";
import { systemClock, type Clock } from "../sdk/clock.ts";
import { parseConfig } from "../sdk/config.ts";
import type { ConnectionKind, ConnectionLease, Connections, ConnectionState, ConnectionUser } from "../sdk/connections.ts";
import type { Logger, NodeStatus } from "../sdk/define.ts";
import { AiotError, type ErrorCode } from "../sdk/errors.ts";
import { DEFAULT_BACKOFF, describeFailure, Link, type Backoff } from "./link.ts";
import type { ConnectionTypes } from "./registry.ts";

/** The part of a flow document the supervisor reads. */
export interface FlowConnections {
  readonly id: string;
  readonly connections: Readonly<Record<string, { readonly type: string; readonly config: Readonly<Record<string, unknown>> }>>;
}

interface Declared {
  readonly type: string;
  readonly config: unknown;
  readonly hash: string;
}

interface Shared {
  readonly link: Link;
  users: number;
}

export interface SupervisorOptions {
  readonly types: ConnectionTypes;
  readonly secrets?: (name: string) => string | undefined;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly backoff?: Partial<Backoff>;
  readonly random?: () => number;
  /** How long "test connection" waits for a link before giving up (default 10 s). */
  readonly testTimeoutMs?: number;
}

export type TestResult = { ok: true; durationMs: number } | { ok: false; code: string; message: string; problems?: unknown[] };

/**
 * Opens, shares, reconnects and closes the connections of every flow in one runtime. Engines call
 * `check` and `prepare` on deploy (see EngineOptions.connections); nodes take leases through the
 * CONNECTIONS service, which this implements.
 */
export class ConnectionSupervisor implements Connections {
  private readonly declared = new Map<string, Map<string, Declared>>();
  private readonly shared = new Map<string, Shared>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private halted = false;

  constructor(private readonly options: SupervisorOptions) {
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  get types(): ConnectionTypes {
    return this.options.types;
  }

  /** Every problem in a flow's `connections`: unknown types, bad configs, missing secrets. */
  check(flow: FlowConnections): AiotError[] {
    const errors: AiotError[] = [];
    for (const [id, connection] of Object.entries(flow.connections ?? {})) {
      const parsed = this.parse(id, connection.type, connection.config);
      if (!parsed.ok) errors.push(...parsed.errors);
      else for (const name of secretNames(parsed.config)) {
        if (this.options.secrets?.(name) === undefined) {
          errors.push(new AiotError("SECRET_MISSING", `no secret named "${name}" in the secret store`, { path: `connections.${id}.config`, connection: id }));
        }
      }
    }
    return errors;
  }

  /** Records a flow's (checked) connections; nodes built after this resolve their ids against them. */
  prepare(flow: FlowConnections): void {
    const declared = new Map<string, Declared>();
    for (const [id, connection] of Object.entries(flow.connections ?? {})) {
      const parsed = this.parse(id, connection.type, connection.config);
      if (!parsed.ok) throw parsed.errors[0];
      declared.set(id, { type: connection.type, config: parsed.config, hash: hashOf(connection.type, parsed.config) });
    }
    this.declared.set(flow.id, declared);
  }

  acquire<Client>(kind: ConnectionKind<Client>, id: string, user: ConnectionUser): ConnectionLease<Client> {
    const declared = this.declared.get(user.flowId)?.get(id);
    if (!declared) throw new AiotError("FLOW_UNKNOWN_CONNECTION", `node "${user.nodeId}" uses connection "${id}", which the flow does not declare`, { node: user.nodeId });
    if (declared.type !== kind.type) {
      throw new AiotError("CONNECTION_TYPE_MISMATCH", `connection "${id}" is a ${declared.type}; node "${user.nodeId}" needs a ${kind.type}`, { node: user.nodeId });
    }
    const key = `${user.flowId}\u0000${id}\u0000${declared.hash}`;
    let entry = this.shared.get(key);
    if (!entry) {
      const link = new Link(`${user.flowId}/${id}`, this.options.types.get(declared.type)!, declared.config, {
        clock: this.clock,
        log: this.log,
        backoff: this.backoff,
        random: this.options.random ?? Math.random,
        secret: (ref) => this.secret(ref.$secret, id),
        halted: () => this.halted,
      });
      this.shared.set(key, (entry = { link, users: 0 }));
    }
    entry.users++;
    return this.lease<Client>(key, id, entry, user);
  }

  /** "Test connection": validates the config, then opens and closes a link once. */
  async test(type: string, config: unknown): Promise<TestResult> {
    const parsed = this.parse("test", type, config);
    if (!parsed.ok) {
      const first = parsed.errors[0]!;
      return { ok: false, code: first.code, message: first.toString(), problems: parsed.errors.map((e) => e.toJSON()) };
    }
    const definition = this.options.types.get(type)!;
    const started = performance.now();
    const ctx = { id: `test/${type}`, log: this.log, secret: (ref: { $secret: string }) => this.secret(ref.$secret, "test"), lost: () => undefined };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.options.testTimeoutMs ?? 10_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AiotError("CONNECTION_TIMEOUT", `no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const attempt = definition.test
        ? definition.test(parsed.config as never, ctx)
        : definition.open(parsed.config as never, ctx).then((opened) => opened.close());
      await Promise.race([attempt, timeout]);
      return { ok: true, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      const failure = describeFailure(error);
      return { ok: false, code: failure.code, message: failure.reason };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Shutdown has begun: links that break from now on stay down instead of retrying (the broker may be
   * stopping too), so pending reconnect timers never keep the process alive. Open links keep working.
   */
  stopReconnecting(): void {
    this.halted = true;
  }

  /** Closes every link (runtime shutdown). */
  async close(): Promise<void> {
    this.halted = true;
    const links = [...this.shared.values()].map((s) => s.link);
    this.shared.clear();
    await Promise.all(links.map((link) => link.close()));
  }

  /** Open links, for the runtime view: `<flow>/<connection>` and state. */
  states(): Array<{ name: string; users: number; state: ConnectionState }> {
    return [...this.shared.values()].map((s) => ({ name: s.link.name, users: s.users, state: s.link.state }));
  }

  private lease<Client>(key: string, id: string, entry: Shared, user: ConnectionUser): ConnectionLease<Client> {
    const { link } = entry;
    const removers: Array<() => void> = [];
    const listen = <T>(set: Set<T>, fn: T) => {
      set.add(fn);
      const remove = () => void set.delete(fn);
      removers.push(remove);
      return remove;
    };
    listen(link.stateListeners, (state: ConnectionState) => {
      const status = statusOf(id, state);
      if (status) user.status(status);
    });
    let released = false;
    return {
      id,
      get state() {
        return link.state;
      },
      get client() {
        return link.client as Client | undefined;
      },
      onConnected(fn) {
        const remove = listen(link.connectedListeners, fn as (client: unknown) => void);
        link.start();
        if (link.client !== undefined) fn(link.client as Client);
        return remove;
      },
      onState: (fn) => listen(link.stateListeners, fn),
      open() {
        const status = statusOf(id, link.state);
        if (status) user.status(status);
        link.start();
      },
      release: async () => {
        if (released) return;
        released = true;
        for (const remove of removers) remove();
        if (--entry.users > 0) return;
        this.shared.delete(key);
        await link.close();
      },
    };
  }

  private parse(id: string, type: string, config: unknown): { ok: true; config: unknown } | { ok: false; errors: AiotError[] } {
    const definition = this.options.types.get(type);
    if (!definition) {
      const known = [...this.options.types.keys()].join(", ") || "none";
      return { ok: false, errors: [new AiotError("CONNECTION_TYPE_UNKNOWN", `unknown connection type "${type}"; known: ${known}`, { path: `connections.${id}.type` })] };
    }
    const parsed = parseConfig({ type, config: definition.config }, config, `connections.${id}.config`);
    if (parsed.ok) return parsed;
    const recode = (code: ErrorCode): ErrorCode => (code === "NODE_CONFIG_INVALID" ? "CONNECTION_CONFIG_INVALID" : code);
    return { ok: false, errors: parsed.errors.map((e) => new AiotError(recode(e.code), e.message, { ...e.details, connection: id, connectionType: type })) };
  }

  private secret(name: string, connection: string): string {
    const value = this.options.secrets?.(name);
    if (value === undefined) throw new AiotError("SECRET_MISSING", `connection "${connection}": no secret named "${name}" in the secret store`, { connection });
    return value;
  }
}

/** What a node shows while it uses the connection. */
function statusOf(id: string, state: ConnectionState): NodeStatus | undefined {
  switch (state.state) {
    case "connecting":
      return { state: "waiting", text: `${id}: connecting` };
    case "connected":
      return { state: "running", text: `${id}: connected${state.reason ? ` to ${state.reason}` : ""}` };
    case "reconnecting":
      return { state: "reconnecting", text: `${id}: ${state.reason ?? "reconnecting"}` };
    case "failed":
      return { state: "error", text: `${id}: ${state.reason ?? "failed"}` };
    case "closed":
      return undefined;
  }
}

function secretNames(value: unknown): string[] {
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (typeof record["$secret"] === "string") return [record["$secret"]];
  return Object.values(record).flatMap(secretNames);
}

function hashOf(type: string, config: unknown): string {
  return createHash("sha256").update(`${type}\u0000${JSON.stringify(config)}`).digest("hex");
}
