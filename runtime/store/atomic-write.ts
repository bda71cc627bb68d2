/**
 * The one durable file replacement of the data directory (store files, model files). A crash or
 * power cut at any point leaves either the old file or the new one, never a half-written file:
 * the data goes to a temp file in the same directory (a rename is atomic only within one file
 * system), is fsync'd, renamed over the target, and the directory is fsync'd so the rename lasts.
 */
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AiotError, errorMessage } from "../sdk/errors.ts";

export interface AtomicWriteOptions {
  /** What failed, the start of the error message ("cannot store the model file"). */
  readonly failure?: string;
}

// Each write gets its own temp file, so concurrent writes of one file never share one.
let temporaryCounter = 0;

/**
 * Replaces `file` with `data` so that a crash at any point leaves either the old or the new file.
 * The new file is owner-only (0600): the data directory holds secrets. A failure removes the temp
 * file, leaves the old file untouched and throws STORE_WRITE_FAILED naming `file`.
 *
 * @example
 * await writeFileAtomic(join(dataDir, "flows.json"), `${JSON.stringify(flows, null, 2)}\n`);
 * await writeFileAtomic(modelFile, bytes, { failure: "cannot store the model file" });
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${++temporaryCounter}.tmp`);
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new AiotError("STORE_WRITE_FAILED", `${options.failure ?? "cannot write"}: ${errorMessage(error)}`, { file }, { cause: error });
  }
  await syncDirectory(dirname(file));
}

/** Makes the rename itself durable. Best effort: the new file is already in place when this runs. */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === "win32") return;
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the data itself was synced above.
  }
}
