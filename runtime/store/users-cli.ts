import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lockDataDir } from "./data-dir-lock.ts";
import { errorMessage, isAiotError } from "../sdk/errors.ts";
import { JsonlAuditLog } from "./audit-log.ts";
import { LowdbUserStore } from "./users.ts";

/**
 * `aiotflow users reset-password <user> [--data-dir d]`: the way back in when the admin password is
 * lost. It runs on the machine that holds the data directory, with the server stopped (it takes the
 * data-dir lock, so a running server refuses it with STORE_LOCKED), prints a new password once,
 * logs the user's sessions out and appends an audit record.
 */
export async function resetPassword(dataDir: string, username: string, password?: string): Promise<{ code: number; text: string }> {
  if (!existsSync(dataDir)) return { code: 1, text: `no data directory at ${dataDir}: pass the one the server uses with --data-dir` };
  let lock: { release(): void };
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    return { code: 1, text: describe(error) };
  }
  try {
    const users = await LowdbUserStore.open(dataDir);
    const audit = await JsonlAuditLog.open(dataDir);
    const chosen = password ?? randomBytes(18).toString("base64url");
    const { revokedSessions } = await users.setPassword(username, chosen);
    await audit.append({ actor: "cli", action: "user.password.reset", target: `user:${username}`, outcome: "ok", detail: { revokedSessions } });
    const shown = password === undefined ? `new password (shown only now): ${chosen}` : "password set from AIOTFLOW_NEW_PASSWORD";
    return { code: 0, text: `user "${username}": ${shown}\n  ${revokedSessions} session(s) logged out; start the server and log in with it` };
  } catch (error) {
    return { code: 1, text: describe(error) };
  } finally {
    lock.release();
  }
}

function describe(error: unknown): string {
  return isAiotError(error) ? `${error.toString()}\n  what to do: ${error.hint}` : errorMessage(error);
}
