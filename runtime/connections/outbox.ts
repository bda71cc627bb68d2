import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../sdk/clock.ts";
import type { Logger } from "../sdk/define.ts";
import { errorMessage } from "../sdk/errors.ts";
import type { Outbox, Outboxes, OutboxLimits } from "../sdk/outbox.ts";
import { silentLogger } from "../core/logger.ts";

interface Entry<T> {
  readonly at: number;
  readonly record: T;
  /** Bytes of its line in the log, newline included. */
  readonly size: number;
}

const DEFAULTS = { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 24 * 3_600_000 };
/** Rewrite the log once this many bytes at its head have been delivered (and they are half of it). */
const COMPACT_BYTES = 4 * 1024 * 1024;

/**
 * An append-only log `<dir>/<name>.log` of `{"at":ms,"r":record}` lines plus `<name>.head`, the
 * byte offset of the first undelivered line. Appends and the head are written once per tick, so a
 * burst costs one write; delivered bytes are reclaimed by rewriting the log when they dominate it.
 */
export class DiskOutbox<T> implements Outbox<T> {
  private entries: Entry<T>[] = [];
  private first = 0;
  private total = 0;
  private pending = "";
  private headBytes = 0;
  private fileBytes = 0;
  private headDirty = false;
  private scheduled = false;
  private closed = false;
  private writeFailed = false;
  readonly dropped = { overflow: 0, expired: 0 };
  private readonly limits: Required<OutboxLimits>;

  constructor(
    private readonly file: string | undefined,
    private readonly clock: Clock,
    limits: OutboxLimits = {},
    private readonly log: Logger = silentLogger,
  ) {
    this.limits = { ...DEFAULTS, ...limits };
    if (file) this.load(file);
  }

  get length(): number {
    return this.entries.length - this.first;
  }

  get bytes(): number {
    return this.total;
  }

  /**
   * True when what `flush` wrote survives this process dying (a crash, a kill -9; not a power cut:
   * there is no fsync): a disk log whose last write succeeded. An output node may then treat a
   * record as handed off as soon as it is flushed (mqtt-out acknowledges the message it came from).
   */
  get durable(): boolean {
    return this.file !== undefined && !this.writeFailed;
  }

  push(record: T): void {
    const at = this.clock.now();
    const line = `${JSON.stringify({ at, r: record })}\n`;
    const size = Buffer.byteLength(line);
    this.entries.push({ at, record, size });
    this.total += size;
    if (this.file) this.pending += line;
    while (this.length > 0 && (this.length > this.limits.maxMessages || this.total > this.limits.maxBytes)) {
      this.dropped.overflow++;
      this.advance(1);
    }
    this.schedule();
  }

  peek(max: number): readonly T[] {
    this.expire();
    const end = Math.min(this.entries.length, this.first + max);
    const out: T[] = [];
    for (let i = this.first; i < end; i++) out.push(this.entries[i]!.record);
    return out;
  }

  ack(count: number): void {
    this.advance(Math.min(count, this.length));
    this.schedule();
  }

  flush(): void {
    if (!this.file || this.closed) return;
    try {
      if (this.pending) {
        appendFileSync(this.file, this.pending);
        this.fileBytes += Buffer.byteLength(this.pending);
        this.pending = "";
      }
      if (this.headDirty) {
        this.headDirty = false;
        if (this.headBytes >= COMPACT_BYTES && this.headBytes * 2 >= this.fileBytes) this.compact();
        else writeFileSync(`${this.file}.head`, String(this.headBytes));
      }
      this.writeFailed = false;
    } catch (error) {
      this.writeFailed = true;
      this.log.error(`store-and-forward buffer ${this.file} not written: ${errorMessage(error)}`, { code: "STORE_WRITE_FAILED" });
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
  }

  private advance(count: number): void {
    for (let i = 0; i < count; i++) {
      const entry = this.entries[this.first++]!;
      this.total -= entry.size;
      this.headBytes += entry.size;
    }
    this.headDirty = true;
    // Drop delivered entries from memory now and then, not on every ack (that would be O(n²)).
    if (this.first > 1024 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }

  private expire(): void {
    if (this.limits.maxAgeMs <= 0) return;
    const oldest = this.clock.now() - this.limits.maxAgeMs;
    let stale = 0;
    while (this.first + stale < this.entries.length && this.entries[this.first + stale]!.at < oldest) stale++;
    if (stale === 0) return;
    this.dropped.expired += stale;
    this.advance(stale);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.file) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Rewrites the log with the undelivered lines only (pending appends included). */
  private compact(): void {
    const file = this.file!;
    const lines = this.entries.slice(this.first).map((e) => JSON.stringify({ at: e.at, r: e.record })).join("\n");
    const text = lines ? `${lines}\n` : "";
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    writeFileSync(`${file}.head`, "0");
    this.headBytes = 0;
    this.fileBytes = Buffer.byteLength(text);
  }

  private load(file: string): void {
    if (!existsSync(file)) return;
    let text: string;
    let head = 0;
    try {
      text = readFileSync(file, "utf8");
      if (existsSync(`${file}.head`)) head = Number(readFileSync(`${file}.head`, "utf8")) || 0;
    } catch (error) {
      this.log.error(`store-and-forward buffer ${file} unreadable: ${errorMessage(error)}; starting empty`, { code: "BUFFER_UNREADABLE" });
      return;
    }
    const bytes = Buffer.from(text, "utf8");
    this.fileBytes = bytes.length;
    this.headBytes = Math.min(head, bytes.length);
    let bad = 0;
    const rest = bytes.subarray(this.headBytes).toString("utf8");
    const lines = rest.split("\n");
    // A line without its newline is a write cut short by a crash: not a record.
    for (const line of lines.slice(0, -1)) {
      const size = Buffer.byteLength(line) + 1;
      try {
        const parsed = JSON.parse(line) as { at: number; r: T };
        this.entries.push({ at: parsed.at, record: parsed.r, size });
        this.total += size;
      } catch {
        bad++;
      }
    }
    if (bad > 0) this.log.warn(`store-and-forward buffer ${file}: ${bad} damaged record(s) skipped`, { code: "BUFFER_UNREADABLE" });
    // Start from a clean log, so skipped or partial lines never shift the head offsets.
    this.headBytes = this.fileBytes;
    this.headDirty = true;
    this.compact();
  }
}

/** Outboxes under `<dataDir>/outbox/<flow>/<node>.log`, or in memory when there is no data dir. */
export function diskOutboxes(dataDir: string | undefined, log: Logger = silentLogger): Outboxes {
  return {
    open<T>(owner: { flowId: string; nodeId: string; clock: Clock }, limits?: OutboxLimits) {
      if (!dataDir) return new DiskOutbox<T>(undefined, owner.clock, limits, log);
      const dir = join(dataDir, "outbox", encodeURIComponent(owner.flowId));
      mkdirSync(dir, { recursive: true });
      return new DiskOutbox<T>(join(dir, `${encodeURIComponent(owner.nodeId)}.log`), owner.clock, limits, log);
    },
  };
}
