import { readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import Compile from "typebox/compile";
import type { Clock } from "../sdk/clock.ts";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import { Type } from "../sdk/schema.ts";
import { contentHash } from "./canonical.ts";
import { SerialQueue } from "./serial-queue.ts";
import type { AuditRecord } from "../contract/audit-record.ts";

export interface AuditLog {
  append(entry: Omit<AuditRecord, "seq" | "at" | "prev" | "hash">): Promise<AuditRecord>;
  list(options?: { since?: number; limit?: number }): AuditRecord[];
  verify(): { ok: true; records: number } | { ok: false; records: number; brokenAt: number; reason: string };
}

const AuditRecordSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    at: Type.String(),
    actor: Type.String(),
    action: Type.String(),
    target: Type.String(),
    outcome: Type.Union([Type.Literal("ok"), Type.Literal("refused"), Type.Literal("failed")]),
    before: Type.Optional(Type.String()),
    after: Type.Optional(Type.String()),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    prev: Type.String(),
    hash: Type.String(),
  },
  { additionalProperties: false },
);
const recordValidator = Compile(AuditRecordSchema);

export type AuditEntry = Parameters<AuditLog["append"]>[0];
export type VerifyResult = ReturnType<AuditLog["verify"]>;

export interface AuditLogOptions {
  readonly clock?: Pick<Clock, "now">;
  /** Newest records kept in memory (default 10 000); older ones are read from the file when asked for. */
  readonly memoryRecords?: number;
}

/**
 * The append-only audit log, `<dataDir>/audit.jsonl`: one JSON record a line, each carrying the
 * hash of the record before it (`prev`) and its own (`hash` = sha256 of its canonical JSON without
 * `hash`). Editing, deleting, inserting or reordering lines breaks the chain, and `verify()` names
 * the first broken line. Appends run one at a time and are fsync'd before they resolve.
 *
 * A broken log still opens (the server must start to report it); new records chain on from the
 * last readable one. The chain shows accidents and careless edits: someone with write access who
 * recomputes every later hash is not detected without a copy of the chain kept elsewhere.
 *
 * @example
 * const audit = await JsonlAuditLog.open("data");
 * await audit.append({ actor: "ana", action: "flow.save", target: "pump", outcome: "ok", after: hash });
 * audit.verify(); // { ok: true, records: 1 }
 */
export class JsonlAuditLog implements AuditLog {
  private readonly queue = new SerialQueue();
  /** The newest `memoryRecords` records, oldest first; the file holds them all. */
  private records: AuditRecord[];
  private readonly memoryRecords: number;
  private lastHash: string;
  private nextSeq: number;
  /** False when the file may end without a newline (a torn write): the next append starts a new line. */
  private endsCleanly: boolean;
  /** Records this process appended: a file holding fewer was cut short while the server ran. */
  private appended = 0;
  /** Hash of the record being written right now, which verify() may or may not see yet. */
  private inFlight: string | undefined;

  private constructor(
    readonly file: string,
    text: string,
    private readonly clock: Pick<Clock, "now">,
    memoryRecords = DEFAULT_MEMORY_RECORDS,
  ) {
    this.memoryRecords = Math.max(1, Math.floor(memoryRecords));
    this.records = parseRecords(text).slice(-this.memoryRecords);
    const last = this.records.at(-1);
    this.lastHash = last?.hash ?? "";
    this.nextSeq = (last?.seq ?? 0) + 1;
    this.endsCleanly = text === "" || text.endsWith("\n");
  }

  /** Opens (or starts) `<dataDir>/audit.jsonl`. Never throws for a broken chain: see `verify()`. */
  static async open(dataDir: string, options: AuditLogOptions = {}): Promise<JsonlAuditLog> {
    const file = join(dataDir, "audit.jsonl");
    let text = "";
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new AiotError("STORE_UNREADABLE", `cannot read: ${errorMessage(error)}`, { file }, { cause: error });
      }
    }
    return new JsonlAuditLog(file, text, options.clock ?? { now: () => Date.now() }, options.memoryRecords);
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    return this.queue.run(async () => {
      const { actor, action, target, outcome, before, after, detail } = entry;
      // Through JSON first, so the record hashed is exactly the one read back by verify().
      const body = JSON.parse(
        JSON.stringify({ seq: this.nextSeq, at: new Date(this.clock.now()).toISOString(), actor, action, target, outcome, before, after, detail, prev: this.lastHash }),
      ) as Omit<AuditRecord, "hash">;
      const record: AuditRecord = { ...body, hash: contentHash(body) };
      if (!recordValidator.Check(record)) throw new AiotError("STORE_WRITE_FAILED", `refused an audit record that is not valid: ${JSON.stringify(entry).slice(0, 200)}`, { file: this.file });
      this.inFlight = record.hash;
      try {
        await this.write(`${this.endsCleanly ? "" : "\n"}${JSON.stringify(record)}\n`);
      } finally {
        this.inFlight = undefined;
      }
      this.records.push(record);
      // Drop the oldest in batches, so the array is not copied on every append.
      if (this.records.length > this.memoryRecords * 1.1 + 1) this.records = this.records.slice(-this.memoryRecords);
      this.lastHash = record.hash;
      this.nextSeq += 1;
      this.appended += 1;
      return record;
    });
  }

  /**
   * Records oldest first. With `since` (a seq already seen): those after it, at most `limit`.
   * Without: the latest `limit` (all when no limit).
   */
  list(options: { since?: number; limit?: number } = {}): AuditRecord[] {
    const { since, limit } = options;
    const oldestInMemory = this.records[0]?.seq ?? this.nextSeq;
    // What is asked for starts before the records kept in memory: read the file (all of it is there).
    const fromFile =
      oldestInMemory > 1 &&
      (since !== undefined ? since + 1 < oldestInMemory : limit === undefined || limit > this.records.length);
    const records = fromFile ? this.readAll() : this.records;
    if (since !== undefined) {
      const after = records.filter((record) => record.seq > since);
      return limit === undefined ? after : after.slice(0, Math.max(0, limit));
    }
    return limit === undefined ? [...records] : records.slice(Math.max(0, records.length - Math.max(0, limit)));
  }

  /** Every readable record of the file, plus any this process holds that the file does not (yet). */
  private readAll(): AuditRecord[] {
    let text = "";
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new AiotError("STORE_UNREADABLE", `cannot read: ${errorMessage(error)}`, { file: this.file }, { cause: error });
      }
    }
    const records = parseRecords(text);
    const lastSeq = records.at(-1)?.seq ?? 0;
    return [...records, ...this.records.filter((r) => r.seq > lastSeq)];
  }

  /**
   * Re-reads the file and checks every line. When broken: `brokenAt` is the first bad line
   * (1-based), `records` the number of lines before it that verify, `reason` what is wrong there
   * (without the line number, which callers print from `brokenAt`).
   */
  verify(): VerifyResult {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && this.appended === 0) return { ok: true, records: 0 };
      return { ok: false, records: 0, brokenAt: 1, reason: `cannot read ${this.file}: ${errorMessage(error)}` };
    }
    // A line being appended right now may be half there: judge the file without it.
    if (this.inFlight !== undefined && !text.endsWith("\n")) text = text.slice(0, text.lastIndexOf("\n") + 1);
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text === "" ? [] : text.split("\n");
    let prev = "";
    for (const [index, line] of lines.entries()) {
      const problem = lineProblem(line, index + 1, prev);
      if (problem) return { ok: false, records: index, brokenAt: index + 1, reason: problem };
      prev = (JSON.parse(line) as AuditRecord).hash;
    }
    if (this.appended > 0 && prev !== this.lastHash && prev !== this.inFlight) {
      const reason = `missing: the file ends at line ${lines.length} without the last record this server wrote (seq ${this.nextSeq - 1}); it was cut short or replaced`;
      return { ok: false, records: lines.length, brokenAt: lines.length + 1, reason };
    }
    return { ok: true, records: lines.length };
  }

  private async write(text: string): Promise<void> {
    try {
      const handle = await open(this.file, "a", 0o600);
      try {
        await handle.writeFile(text, "utf8");
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.endsCleanly = true;
    } catch (error) {
      this.endsCleanly = false;
      throw new AiotError("STORE_WRITE_FAILED", `cannot append to the audit log: ${errorMessage(error)}`, { file: this.file }, { cause: error });
    }
  }
}

const DEFAULT_MEMORY_RECORDS = 10_000;

function parseRecords(text: string): AuditRecord[] {
  return text.split("\n").flatMap((line) => {
    const record = parseRecord(line);
    return record ? [record] : [];
  });
}

function parseRecord(line: string): AuditRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return recordValidator.Check(value) ? value : undefined;
  } catch {
    return undefined; // verify() reports it; the log must still open
  }
}

/** What is wrong with line `number`, given the hash of the line before it; undefined when sound. */
function lineProblem(line: string, number: number, prev: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line.trim() === "" ? "empty line (a line was removed or blanked)" : "not JSON (edited by hand, or a write cut short)";
  }
  if (!recordValidator.Check(value)) return "not an audit record (edited by hand)";
  const { hash, ...body } = value;
  if (contentHash(body) !== hash) return `record seq ${value.seq} does not match its hash (it was edited)`;
  if (value.seq !== number) return `seq ${value.seq} where ${number} was expected (a record was deleted or inserted, or lines were reordered)`;
  if (value.prev !== prev) return `record seq ${value.seq} does not follow the record before it (a record was replaced or lines were reordered)`;
  return undefined;
}
