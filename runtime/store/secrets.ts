import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Clock } from "../sdk/clock.ts";
import { AiotError } from "../sdk/errors.ts";
import { Type } from "../sdk/schema.ts";
import { createKeyFile, loadSecretKey, SECRET_KEY_ENV, type SecretKey } from "./secret-key.ts";
import { StoreDocument } from "./store-file.ts";

export interface SecretStore {
  set(name: string, value: string): Promise<void>;
  /** Clear text, for the runtime only: the API never returns it. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  list(): Array<{ name: string; updatedAt: string }>;
  delete(name: string): Promise<boolean>;
}

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const Base64 = Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$" });

const SecretsFileSchema = Type.Object(
  {
    format: Type.Literal("aiotflow/secrets@1"),
    secrets: Type.Array(
      Type.Object(
        { name: Type.String({ pattern: NAME.source }), keyId: Type.String(), iv: Base64, tag: Base64, ciphertext: Base64, updatedAt: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

interface StoredSecret {
  readonly name: string;
  /** Fingerprint of the key it was encrypted with. */
  readonly keyId: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
  readonly updatedAt: string;
}
interface SecretsFile {
  readonly format: "aiotflow/secrets@1";
  readonly secrets: readonly StoredSecret[];
}

const EMPTY: SecretsFile = { format: "aiotflow/secrets@1", secrets: [] };

export interface SecretStoreOptions {
  /** Where `AIOTFLOW_SECRET_KEY` is read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Pick<Clock, "now">;
}

/**
 * Secrets (broker passwords, database URLs) in `<dataDir>/secrets.json`, each encrypted with
 * AES-256-GCM under a fresh 12-byte IV, its name bound in as associated data (so ciphertexts
 * cannot be swapped between names). The key is `$AIOTFLOW_SECRET_KEY` or `<dataDir>/secret.key`,
 * created (0600) on the first `set`. A wrong key or an altered ciphertext is SECRET_DECRYPT_FAILED
 * naming the secret: never garbage.
 *
 * @example
 * const secrets = await EncryptedSecretStore.open("data");
 * await secrets.set("broker-password", "s3cret");
 * secrets.get("broker-password"); // "s3cret"
 */
export class EncryptedSecretStore implements SecretStore {
  private constructor(
    private readonly store: StoreDocument<SecretsFile>,
    private key: SecretKey | undefined,
    private readonly keyFile: string,
    private readonly clock: Pick<Clock, "now">,
  ) {}

  /**
   * Opens the store and loads the key. Throws SECRET_KEY_INSECURE / SECRET_KEY_INVALID for an
   * unusable key, SECRET_KEY_MISSING when secrets exist but no key does, STORE_CORRUPT for a
   * damaged file.
   */
  static async open(dataDir: string, options: SecretStoreOptions = {}): Promise<EncryptedSecretStore> {
    const keyFile = join(dataDir, "secret.key");
    const store = await StoreDocument.open({ file: join(dataDir, "secrets.json"), schema: SecretsFileSchema }, EMPTY);
    const key = loadSecretKey(keyFile, options.env);
    if (!key && store.data.secrets.length > 0) {
      throw new AiotError("SECRET_KEY_MISSING", `${store.data.secrets.length} secrets are stored but there is no key: set ${SECRET_KEY_ENV} or restore ${keyFile}`, { file: keyFile });
    }
    return new EncryptedSecretStore(store, key, keyFile, options.clock ?? { now: () => Date.now() });
  }

  async set(name: string, value: string): Promise<void> {
    checkName(name);
    const key = (this.key ??= createKeyFile(this.keyFile));
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key.key, iv, { authTagLength: 16 });
    cipher.setAAD(associatedData(name));
    const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    const secret: StoredSecret = {
      name,
      keyId: key.id,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      ciphertext: ciphertext.toString("base64"),
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
    await this.store.update((data) => ({ next: { ...data, secrets: [...data.secrets.filter((s) => s.name !== name), secret] }, result: undefined }));
  }

  /** The clear value, for the runtime only; SECRET_DECRYPT_FAILED when the key is wrong or the value altered. */
  get(name: string): string | undefined {
    const secret = this.store.data.secrets.find((s) => s.name === name);
    if (!secret) return undefined;
    const key = this.key;
    if (!key) throw new AiotError("SECRET_KEY_MISSING", `cannot read secret "${name}": there is no key`, { file: this.keyFile, secret: name });
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(secret.iv, "base64"), { authTagLength: 16 });
      decipher.setAAD(associatedData(name));
      decipher.setAuthTag(Buffer.from(secret.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(secret.ciphertext, "base64")), decipher.final()]).toString("utf8");
    } catch (error) {
      const why =
        secret.keyId === key.id
          ? "its ciphertext or tag was altered"
          : `it was written with key ${secret.keyId} but the key in use (${key.source}) is ${key.id}`;
      throw new AiotError("SECRET_DECRYPT_FAILED", `cannot decrypt secret "${name}": ${why}`, { secret: name, file: this.store.file }, { cause: error });
    }
  }

  has(name: string): boolean {
    return this.store.data.secrets.some((s) => s.name === name);
  }

  list(): Array<{ name: string; updatedAt: string }> {
    return this.store.data.secrets.map(({ name, updatedAt }) => ({ name, updatedAt }));
  }

  async delete(name: string): Promise<boolean> {
    return this.store.update((data) => {
      if (!data.secrets.some((s) => s.name === name)) return { next: data, result: false };
      return { next: { ...data, secrets: data.secrets.filter((s) => s.name !== name) }, result: true };
    });
  }
}

function associatedData(name: string): Buffer {
  return Buffer.from(`aiotflow-secret:${name}`, "utf8");
}

function checkName(name: unknown): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new AiotError("SECRET_NAME_INVALID", `invalid secret name ${JSON.stringify(String(name).slice(0, 64))}: use 1-128 letters, digits, _ . : -`, { path: "name" });
  }
}
