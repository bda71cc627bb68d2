import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AiotError } from "../sdk/errors.ts";

/**
 * One server per data directory: two would both write flows.json and fork the audit log's hash
 * chain. The lock is a file holding the owner's PID, created exclusively; a lock left by a process
 * that no longer runs (a crash, a kill -9) is taken over.
 */
/** Lock files this process holds: a second server in the same process is refused too. */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(file);
      return {
        release() {
          heldHere.delete(file);
          try {
            if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(file, "utf8"));
      const mine = owner === process.pid;
      if (Number.isInteger(owner) && owner > 0 && (mine ? heldHere.has(file) : isAlive(owner))) {
        throw new AiotError("STORE_LOCKED", `another aiotflow (PID ${owner}) is using this data directory`, { file });
      }
      unlinkSync(file); // stale: its owner is gone
    }
  }
  throw new AiotError("STORE_LOCKED", "could not take the data directory's lock", { file });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
