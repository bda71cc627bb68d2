import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** scrypt cost: N=2^14, r=8, p=1 (16 MiB, ~50 ms), 16-byte random salt, 64-byte key. */
const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
const SALT_LENGTH = 16;
/** Limits on costs read back from the file, so a hand-edited hash cannot make a check eat the memory or CPU. */
const MAX_MEMORY = 64 * 1024 * 1024;
const MAX_PARALLEL = 4;
const STORED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** The shape of a stored password hash: `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
export const PASSWORD_HASH_PATTERN = STORED.source;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 2 * 128 * cost.N * cost.r };
  return new Promise((resolve, reject) => {
    // NFKC: the same password typed on another keyboard or OS gives the same bytes.
    scrypt(password.normalize("NFKC"), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt and a fresh salt.
 *
 * @example await hashPassword("correct horse") // "scrypt$16384$8$1$<salt>$<hash>"
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, COST, KEY_LENGTH);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** Checks `password` against a stored hash in constant time; false for a malformed hash too. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = STORED.exec(stored);
  if (!parts) return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (N < 2 || r < 1 || p < 1 || p > MAX_PARALLEL || 128 * N * r > MAX_MEMORY) return false;
  const expected = Buffer.from(parts[5]!, "base64");
  if (expected.length === 0) return false;
  const actual = await derive(password, Buffer.from(parts[4]!, "base64"), { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/** A hash no password matches: checked for unknown users so they take as long as known ones. */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(32).toString("base64"));
  return decoy;
}
