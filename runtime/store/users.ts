import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { Clock } from "../sdk/clock.ts";
import { AiotError } from "../sdk/errors.ts";
import { Type } from "../sdk/schema.ts";
import { decoyHash, hashPassword, PASSWORD_HASH_PATTERN, verifyPassword } from "./password.ts";
import { StoreDocument, type StoreProblem } from "./store-file.ts";
import { ROLES, type Principal, type Role, type TokenInfo, type UserRecord } from "../contract/access.ts";

export interface UserStore {
  /** Creates the first admin when there are no users; returns the one-time password it set (or undefined). */
  ensureAdmin(passwordFromEnv?: string): Promise<{ username: string; password?: string }>;
  createUser(username: string, role: Role, password: string): Promise<UserRecord>;
  /** Disables (or re-enables) a user: its tokens then authenticate as "disabled" and its password is refused. */
  setUserDisabled(username: string, disabled: boolean): Promise<UserRecord>;
  /**
   * Sets a new password (same rules as createUser: USER_INVALID when too short or long) and revokes
   * every session token of the user (API tokens stay). USER_NOT_FOUND for an unknown user.
   */
  setPassword(username: string, password: string): Promise<{ user: UserRecord; revokedSessions: number }>;
  listUsers(): UserRecord[];
  /** scrypt check; undefined on a wrong username or password (same answer for both). */
  checkPassword(username: string, password: string): Promise<UserRecord | undefined>;
  /** Returns the token value once (only its hash is stored). */
  issueToken(input: { username: string; name: string; role?: Role; kind: "session" | "api"; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }>;
  /** Resolves a presented token; a reason when it is unknown, expired or its user disabled. */
  authenticate(token: string): { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "expired" | "disabled" };
  listTokens(username?: string): TokenInfo[];
  revokeToken(id: string): Promise<boolean>;
}

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Expired tokens stay (and answer "expired") this long, then go at the next issue. */
const EXPIRED_KEPT_MS = 24 * 60 * 60 * 1000;
const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const TOKEN = /^aft_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

const RoleSchema = Type.Union(ROLES.map((role) => Type.Literal(role)));
const UsersFileSchema = Type.Object(
  {
    format: Type.Literal("aiotflow/users@1"),
    users: Type.Array(
      Type.Object(
        {
          username: Type.String({ pattern: USERNAME.source }),
          role: RoleSchema,
          createdAt: Type.String(),
          disabled: Type.Optional(Type.Boolean()),
          passwordHash: Type.String({ pattern: PASSWORD_HASH_PATTERN }),
        },
        { additionalProperties: false },
      ),
    ),
    tokens: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: "^[0-9a-f]{12}$" }),
          name: Type.String(),
          username: Type.String(),
          role: RoleSchema,
          createdAt: Type.String(),
          expiresAt: Type.Optional(Type.String()),
          kind: Type.Union([Type.Literal("session"), Type.Literal("api")]),
          /** sha256 (hex) of the token value; the value itself is never stored. */
          hash: Type.String({ pattern: "^[0-9a-f]{64}$" }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

interface StoredUser extends UserRecord {
  readonly passwordHash: string;
}
interface StoredToken extends TokenInfo {
  readonly hash: string;
}
interface UsersFile {
  readonly format: "aiotflow/users@1";
  readonly users: readonly StoredUser[];
  readonly tokens: readonly StoredToken[];
}

const EMPTY: UsersFile = { format: "aiotflow/users@1", users: [], tokens: [] };

export interface UserStoreOptions {
  readonly clock?: Pick<Clock, "now">;
}

/**
 * Users and tokens in `<dataDir>/users.json`. Passwords are kept as scrypt hashes, tokens as the
 * sha256 of their value (`aft_<id>_<secret>`), which is shown once when issued. A token carries at
 * most its user's role, and never more than the user has now.
 *
 * @example
 * const users = await LowdbUserStore.open("data");
 * const { password } = await users.ensureAdmin(process.env.AIOTFLOW_ADMIN_PASSWORD);
 * const { token } = await users.issueToken({ username: "admin", name: "ci", kind: "api" });
 * users.authenticate(token); // { ok: true, principal: { username: "admin", role: "admin", tokenId } }
 */
export class LowdbUserStore implements UserStore {
  private constructor(
    private readonly store: StoreDocument<UsersFile>,
    private readonly clock: Pick<Clock, "now">,
  ) {}

  /** Opens `<dataDir>/users.json` (missing = no users); a damaged file throws STORE_CORRUPT naming it. */
  static async open(dataDir: string, options: UserStoreOptions = {}): Promise<LowdbUserStore> {
    const spec = { file: join(dataDir, "users.json"), schema: UsersFileSchema, check: usersFileProblems };
    return new LowdbUserStore(await StoreDocument.open(spec, EMPTY), options.clock ?? { now: () => Date.now() });
  }

  /**
   * On a store with no users, creates "admin" with `passwordFromEnv`, or with a random password that
   * is returned (once) for the CLI to print. With users present it does nothing.
   */
  async ensureAdmin(passwordFromEnv?: string): Promise<{ username: string; password?: string }> {
    if (this.store.data.users.length > 0) return { username: "admin" };
    const password = passwordFromEnv ?? randomBytes(18).toString("base64url");
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    return this.store.update((data) => {
      if (data.users.length > 0) return { next: data, result: { username: "admin" } };
      const admin: StoredUser = { username: "admin", role: "admin", createdAt: this.timestamp(), passwordHash };
      return { next: { ...data, users: [admin] }, result: passwordFromEnv === undefined ? { username: "admin", password } : { username: "admin" } };
    });
  }

  async createUser(username: string, role: Role, password: string): Promise<UserRecord> {
    checkUsername(username);
    checkRole(role);
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    return this.store.update((data) => {
      if (data.users.some((user) => user.username === username)) throw new AiotError("USER_EXISTS", `user "${username}" already exists`, { path: "username" });
      const user: StoredUser = { username, role, createdAt: this.timestamp(), passwordHash };
      return { next: { ...data, users: [...data.users, user] }, result: publicUser(user) };
    });
  }

  async setUserDisabled(username: string, disabled: boolean): Promise<UserRecord> {
    return this.store.update((data) => {
      const user = data.users.find((u) => u.username === username);
      if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`, { path: "username" });
      const { disabled: _was, ...rest } = user;
      const changed: StoredUser = disabled ? { ...rest, disabled: true } : rest;
      return { next: { ...data, users: data.users.map((u) => (u === user ? changed : u)) }, result: publicUser(changed) };
    });
  }

  async setPassword(username: string, password: string): Promise<{ user: UserRecord; revokedSessions: number }> {
    checkPassword(password);
    if (!this.store.data.users.some((u) => u.username === username)) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`, { path: "username" });
    const passwordHash = await hashPassword(password);
    return this.store.update((data) => {
      const user = data.users.find((u) => u.username === username);
      if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`, { path: "username" });
      const changed: StoredUser = { ...user, passwordHash };
      // Whoever logged in with the old password is logged out; systems' API tokens keep working.
      const tokens = data.tokens.filter((t) => !(t.username === username && t.kind === "session"));
      return {
        next: { ...data, users: data.users.map((u) => (u === user ? changed : u)), tokens },
        result: { user: publicUser(changed), revokedSessions: data.tokens.length - tokens.length },
      };
    });
  }

  listUsers(): UserRecord[] {
    return this.store.data.users.map(publicUser);
  }

  /** The user when the password is right and the user enabled; otherwise undefined, after the same work. */
  async checkPassword(username: string, password: string): Promise<UserRecord | undefined> {
    const user = this.store.data.users.find((u) => u.username === username);
    const matches = await verifyPassword(String(password), user?.passwordHash ?? (await decoyHash()));
    return user && matches && !user.disabled ? publicUser(user) : undefined;
  }

  async issueToken(input: { username: string; name: string; role?: Role; kind: "session" | "api"; ttlMs?: number }): Promise<{ token: string; info: TokenInfo }> {
    const { username, name, kind, ttlMs } = input;
    if (typeof name !== "string" || name.length < 1 || name.length > 100) throw new AiotError("TOKEN_INVALID", "a token needs a name of 1-100 characters", { path: "name" });
    if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) throw new AiotError("TOKEN_INVALID", `ttlMs must be a positive number of milliseconds, not ${String(ttlMs)}`, { path: "ttlMs" });
    if (kind !== "session" && kind !== "api") throw new AiotError("TOKEN_INVALID", `kind must be "session" or "api", not ${JSON.stringify(kind)}`, { path: "kind" });
    if (input.role !== undefined) checkRole(input.role);
    return this.store.update((data) => {
      const user = data.users.find((u) => u.username === username);
      if (!user) throw new AiotError("USER_NOT_FOUND", `no user "${username}"`, { path: "username" });
      if (user.disabled) throw new AiotError("USER_DISABLED", `user "${username}" is disabled`, { path: "username" });
      const role = input.role ?? user.role;
      if (rank(role) > rank(user.role)) throw new AiotError("ROLE_NOT_ALLOWED", `user "${username}" is ${user.role}; a token cannot be ${role}`, { path: "role" });
      const now = this.clock.now();
      const lifetime = ttlMs ?? (kind === "session" ? SESSION_TTL_MS : undefined);
      let id = randomBytes(6).toString("hex");
      while (data.tokens.some((t) => t.id === id)) id = randomBytes(6).toString("hex");
      const token = `aft_${id}_${randomBytes(32).toString("base64url")}`;
      const info: TokenInfo = {
        id,
        name,
        username,
        role,
        kind,
        createdAt: new Date(now).toISOString(),
        ...(lifetime !== undefined ? { expiresAt: new Date(now + lifetime).toISOString() } : {}),
      };
      const kept = data.tokens.filter((t) => t.expiresAt === undefined || Date.parse(t.expiresAt) + EXPIRED_KEPT_MS > now);
      return { next: { ...data, tokens: [...kept, { ...info, hash: sha256(token) }] }, result: { token, info } };
    });
  }

  authenticate(token: string): { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "expired" | "disabled" } {
    const id = typeof token === "string" ? TOKEN.exec(token)?.[1] : undefined;
    const stored = id === undefined ? undefined : this.store.data.tokens.find((t) => t.id === id);
    if (!stored || !timingSafeEqual(Buffer.from(sha256(token), "hex"), Buffer.from(stored.hash, "hex"))) return { ok: false, reason: "unknown" };
    if (stored.expiresAt !== undefined && Date.parse(stored.expiresAt) <= this.clock.now()) return { ok: false, reason: "expired" };
    const user = this.store.data.users.find((u) => u.username === stored.username);
    if (!user || user.disabled) return { ok: false, reason: "disabled" };
    // A user whose role was lowered after the token was issued gets the lower role.
    const role = rank(stored.role) <= rank(user.role) ? stored.role : user.role;
    return { ok: true, principal: { username: user.username, role, tokenId: stored.id } };
  }

  listTokens(username?: string): TokenInfo[] {
    return this.store.data.tokens.filter((t) => username === undefined || t.username === username).map(({ hash: _hash, ...info }) => info);
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.store.update((data) => {
      if (!data.tokens.some((t) => t.id === id)) return { next: data, result: false };
      return { next: { ...data, tokens: data.tokens.filter((t) => t.id !== id) }, result: true };
    });
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function rank(role: Role): number {
  return ROLES.indexOf(role);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function publicUser({ passwordHash: _hash, ...user }: StoredUser): UserRecord {
  return user;
}

function checkUsername(username: unknown): void {
  if (typeof username !== "string" || !USERNAME.test(username)) {
    throw new AiotError("USER_INVALID", `invalid username ${JSON.stringify(String(username).slice(0, 64))}: use 1-64 lower-case letters, digits, _ . -`, { path: "username" });
  }
}

function checkRole(role: unknown): void {
  if (!ROLES.includes(role as Role)) throw new AiotError("USER_INVALID", `unknown role ${JSON.stringify(role)}: use ${ROLES.join(", ")}`, { path: "role" });
}

function checkPassword(password: unknown): void {
  if (typeof password !== "string" || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new AiotError("USER_INVALID", `a password must be ${MIN_PASSWORD}-${MAX_PASSWORD} characters`, { path: "password" });
  }
}

function usersFileProblems(data: UsersFile): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const names = new Set<string>();
  data.users.forEach((user, i) => {
    if (names.has(user.username)) problems.push({ path: `users[${i}].username`, message: `duplicate user "${user.username}"` });
    names.add(user.username);
  });
  const ids = new Set<string>();
  data.tokens.forEach((token, i) => {
    if (ids.has(token.id)) problems.push({ path: `tokens[${i}].id`, message: `duplicate token id "${token.id}"` });
    if (!names.has(token.username)) problems.push({ path: `tokens[${i}].username`, message: `no user "${token.username}"` });
    ids.add(token.id);
  });
  return problems;
}
