import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { AiotError, errorMessage } from "../sdk/errors.ts";

/** The environment variable holding the secret store's key. */
export const SECRET_KEY_ENV = "AIOTFLOW_SECRET_KEY";

export interface SecretKey {
  readonly key: Buffer;
  /** A fingerprint (not the key): tells "written with another key" apart from "altered". */
  readonly id: string;
  /** Where the key came from, for messages: the env variable or the key file. */
  readonly source: string;
}

/** 32 bytes as 64 hex characters or base64 (base64url too, padding optional); undefined otherwise. */
export function parseKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return undefined;
}

function secretKey(key: Buffer, source: string): SecretKey {
  return { key, id: createHash("sha256").update(key).digest("hex").slice(0, 16), source };
}

/**
 * The key from `$AIOTFLOW_SECRET_KEY`, else from `keyFile`; undefined when there is neither.
 * A key file that group or others can read is refused (SECRET_KEY_INSECURE); a malformed key is
 * SECRET_KEY_INVALID.
 */
export function loadSecretKey(keyFile: string, env: Readonly<Record<string, string | undefined>> = process.env): SecretKey | undefined {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    const key = parseKey(fromEnv);
    if (!key) throw new AiotError("SECRET_KEY_INVALID", `${SECRET_KEY_ENV} is not a 32-byte key (64 hex characters or base64)`, { variable: SECRET_KEY_ENV });
    return secretKey(key, `$${SECRET_KEY_ENV}`);
  }
  let mode: number;
  try {
    mode = statSync(keyFile).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AiotError("STORE_UNREADABLE", `cannot read the secret key: ${errorMessage(error)}`, { file: keyFile }, { cause: error });
  }
  if ((mode & 0o077) !== 0) {
    const shown = (mode & 0o777).toString(8).padStart(4, "0");
    throw new AiotError("SECRET_KEY_INSECURE", `the secret key file can be read by others (mode ${shown}): run \`chmod 600 ${keyFile}\``, { file: keyFile, chmod: `chmod 600 ${keyFile}` });
  }
  const key = parseKey(readFileSync(keyFile, "utf8"));
  if (!key) throw new AiotError("SECRET_KEY_INVALID", "the secret key file does not hold a 32-byte key (64 hex characters)", { file: keyFile });
  return secretKey(key, keyFile);
}

/** Writes a fresh random key to `keyFile` (mode 0600, synced to disk: losing it loses every secret). */
export function createKeyFile(keyFile: string): SecretKey {
  const key = randomBytes(32);
  try {
    const fd = openSync(keyFile, "wx", 0o600);
    try {
      writeSync(fd, `${key.toString("hex")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncDirectory(dirname(keyFile));
  } catch (error) {
    throw new AiotError("STORE_WRITE_FAILED", `cannot create the secret key file: ${errorMessage(error)}`, { file: keyFile }, { cause: error });
  }
  return secretKey(key, keyFile);
}

function syncDirectory(directory: string): void {
  if (process.platform === "win32") return;
  try {
    const fd = openSync(directory, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the key file itself is synced.
  }
}
