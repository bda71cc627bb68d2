/**
 * The feature store: every feature vector a flow fed its model (key, event time, flow id and
 * version, feature-definition hash, model name@version, score, and the label once known) in SQLite
 * (better-sqlite3, WAL) in the data directory, so training uses exactly what serving saw.
 *
 * Writes are buffered and land in batches, one transaction each; retention by age and row count
 * runs after each batch. Nodes reach it through `FEATURE_STORE` (runtime/sdk/feature-store.ts).
 *
 * @example
 * const store = FeatureStore.open(join(dataDir, "features.sqlite"), { flowVersion: (id) => runtime.versionOf(id) });
 * store.record({ flowId: "pumps", key: "pump-1", ts, features: { rms: 2.1 } });
 * const set = store.trainingSet({ from, to, labelled: true });
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../sdk/define.ts";
import { AiotError, errorMessage, isAiotError } from "../sdk/errors.ts";
import type { FeatureEntry, FeatureRecorder } from "../sdk/feature-store.ts";

export interface FeatureStoreOptions {
  /** The deployed version of a flow, recorded with each row. */
  readonly flowVersion?: (flowId: string) => number | undefined;
  /** Rows buffered before a write (default 500). */
  readonly batchSize?: number;
  /** Buffered rows are written at least this often (default 1000 ms; 0 = only on batchSize/flush). */
  readonly flushMs?: number;
  /** Rows whose event time is older than this (relative to `now`) are deleted (default 30 days). */
  readonly maxAgeMs?: number;
  /** At most this many rows are kept, newest first (default 1,000,000). */
  readonly maxRows?: number;
  /** Wall clock for retention (injected in tests). */
  readonly now?: () => number;
}

export interface FeatureQuery {
  readonly from?: number;
  readonly to?: number;
  readonly flowId?: string;
  readonly flowVersion?: number;
  readonly featureHash?: string;
  readonly model?: string;
  /** true: only labelled rows; false: only unlabelled ones. */
  readonly labelled?: boolean;
  readonly limit?: number;
}

export interface StoredFeatureRow {
  readonly id: number;
  readonly key: string;
  readonly ts: number;
  readonly flowId: string;
  readonly flowVersion: number | null;
  readonly featureHash: string;
  readonly features: Record<string, number>;
  readonly model: string | null;
  readonly score: number | null;
  readonly label: number | null;
}

/** Rows of one feature definition as matrices, ready for a trainer. */
export interface TrainingSet {
  readonly featureNames: readonly string[];
  readonly featureHash: string;
  readonly rows: readonly { readonly key: string; readonly ts: number; readonly x: readonly number[]; readonly label: number | null; readonly score: number | null }[];
}

interface RowRecord {
  id: number;
  key: string;
  ts: number;
  flow_id: string;
  flow_version: number | null;
  feature_hash: string;
  features: string;
  model: string | null;
  score: number | null;
  label: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS feature_definitions (hash TEXT PRIMARY KEY, names TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feature_rows (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  ts INTEGER NOT NULL,
  flow_id TEXT NOT NULL,
  flow_version INTEGER,
  feature_hash TEXT NOT NULL REFERENCES feature_definitions(hash),
  features TEXT NOT NULL,
  model TEXT,
  score REAL,
  label REAL,
  labelled_at INTEGER
);
CREATE INDEX IF NOT EXISTS feature_rows_ts ON feature_rows(ts);
CREATE INDEX IF NOT EXISTS feature_rows_key_ts ON feature_rows(key, ts);
CREATE INDEX IF NOT EXISTS feature_rows_flow ON feature_rows(flow_id, flow_version, ts);`;

/** The hash naming an ordered list of feature names: same names, same order, same hash. */
export function featureHash(names: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(names)).digest("hex").slice(0, 16);
}

export class FeatureStore implements FeatureRecorder {
  private readonly buffer: Array<[string, number, string, number | null, string, string, string | null, number | null, number | null]> = [];
  private readonly knownHashes = new Map<string, readonly string[]>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly statements;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    private readonly options: FeatureStoreOptions,
  ) {
    this.statements = {
      define: db.prepare("INSERT OR IGNORE INTO feature_definitions (hash, names) VALUES (?, ?)"),
      insert: db.prepare("INSERT INTO feature_rows (key, ts, flow_id, flow_version, feature_hash, features, model, score, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      label: db.prepare("UPDATE feature_rows SET label = ?, labelled_at = ? WHERE key = ? AND ts = ?"),
      expire: db.prepare("DELETE FROM feature_rows WHERE ts < ?"),
      trim: db.prepare("DELETE FROM feature_rows WHERE id <= (SELECT id FROM feature_rows ORDER BY id DESC LIMIT 1 OFFSET ?)"),
      names: db.prepare<[string], { names: string }>("SELECT names FROM feature_definitions WHERE hash = ?"),
    };
    for (const { hash, names } of db.prepare<[], { hash: string; names: string }>("SELECT hash, names FROM feature_definitions").all()) {
      this.knownHashes.set(hash, JSON.parse(names) as string[]);
    }
    const flushMs = options.flushMs ?? 1000;
    if (flushMs > 0) {
      this.timer = setInterval(() => this.flush(), flushMs);
      this.timer.unref();
    }
  }

  /** Opens (creating if needed) the store at `file`; FEATURE_STORE_UNREADABLE if it is not a database. */
  static open(file: string, options: FeatureStoreOptions = {}): FeatureStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(SCHEMA);
      return new FeatureStore(db, file, options);
    } catch (error) {
      db?.close();
      throw new AiotError("FEATURE_STORE_UNREADABLE", `feature store ${file}: ${errorMessage(error)}`, { file }, { cause: error });
    }
  }

  record(entry: FeatureEntry): void {
    if (this.closed) throw new AiotError("FEATURE_STORE_UNREADABLE", `feature store ${this.file} is closed`, { file: this.file });
    const names = Object.keys(entry.features);
    const hash = this.define(names);
    const version = this.options.flowVersion?.(entry.flowId) ?? null;
    const values = JSON.stringify(names.map((n) => entry.features[n]));
    this.buffer.push([entry.key, entry.ts, entry.flowId, version, hash, values, entry.model ?? null, finiteOrNull(entry.score), finiteOrNull(entry.label)]);
    if (this.buffer.length >= (this.options.batchSize ?? 500)) this.flush();
  }

  label(key: string, ts: number, label: number): number {
    this.flush(); // the row may still be in the buffer
    return this.statements.label.run(label, Date.now(), key, ts).changes;
  }

  /** Writes buffered rows in one transaction, then applies retention. */
  flush(): void {
    if (this.buffer.length === 0 || this.closed) return;
    const rows = this.buffer.splice(0);
    const { insert, expire, trim } = this.statements;
    const now = this.options.now?.() ?? Date.now();
    this.db.transaction(() => {
      for (const row of rows) insert.run(...row);
      expire.run(now - (this.options.maxAgeMs ?? 30 * 86_400_000));
      trim.run(this.options.maxRows ?? 1_000_000);
    })();
  }

  query(query: FeatureQuery = {}): StoredFeatureRow[] {
    this.flush();
    const where: string[] = [];
    const params: Array<string | number> = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add("ts >= ?", query.from);
    add("ts < ?", query.to);
    add("flow_id = ?", query.flowId);
    add("flow_version = ?", query.flowVersion);
    add("feature_hash = ?", query.featureHash);
    add("model = ?", query.model);
    if (query.labelled !== undefined) where.push(query.labelled ? "label IS NOT NULL" : "label IS NULL");
    const sql = `SELECT * FROM feature_rows${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ts, id${query.limit ? ` LIMIT ${Math.floor(query.limit)}` : ""}`;
    return this.db
      .prepare<Array<string | number>, RowRecord>(sql)
      .all(...params)
      .map((r) => {
        const names = this.namesOf(r.feature_hash);
        const values = JSON.parse(r.features) as number[];
        const features = Object.fromEntries(names.map((n, i) => [n, values[i] ?? Number.NaN]));
        return { id: r.id, key: r.key, ts: r.ts, flowId: r.flow_id, flowVersion: r.flow_version, featureHash: r.feature_hash, features, model: r.model, score: r.score, label: r.label };
      });
  }

  /**
   * The rows of one feature definition (`featureHash`, else the newest row's) as a training set.
   * Rows of other definitions in the range are left out: a model is trained on one column layout.
   */
  trainingSet(query: FeatureQuery = {}): TrainingSet {
    const rows = this.query(query);
    const hash = query.featureHash ?? rows.at(-1)?.featureHash;
    if (hash === undefined) return { featureNames: [], featureHash: "", rows: [] };
    const featureNames = this.namesOf(hash);
    const chosen = rows.filter((r) => r.featureHash === hash);
    return { featureNames, featureHash: hash, rows: chosen.map((r) => ({ key: r.key, ts: r.ts, x: featureNames.map((n) => r.features[n]!), label: r.label, score: r.score })) };
  }

  count(): number {
    this.flush();
    return this.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM feature_rows").get()!.n;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.db.close();
  }

  private define(names: readonly string[]): string {
    const hash = featureHash(names);
    if (!this.knownHashes.has(hash)) {
      this.statements.define.run(hash, JSON.stringify(names));
      this.knownHashes.set(hash, names);
    }
    return hash;
  }

  private namesOf(hash: string): readonly string[] {
    let names = this.knownHashes.get(hash);
    if (!names) {
      const row = this.statements.names.get(hash);
      names = row ? (JSON.parse(row.names) as string[]) : [];
      this.knownHashes.set(hash, names);
    }
    return names;
  }
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** CSV of a training set: key, ts, the features in order, label, score. */
export function trainingSetCsv(set: TrainingSet): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = [["key", "ts", ...set.featureNames, "label", "score"].map(quote).join(",")];
  for (const r of set.rows) lines.push([quote(r.key), r.ts, ...r.x, r.label ?? "", r.score ?? ""].join(","));
  return `${lines.join("\n")}\n`;
}

/**
 * The runtime's feature store at `<dataDir>/features.sqlite`, or undefined (logged) when the file is
 * not a database: the runtime still starts, flows needing the store fail their deploy with
 * SERVICE_UNAVAILABLE, and the file is left for the operator to inspect.
 */
export function openFeatureStore(dataDir: string, logger: Logger, flowVersion: (flowId: string) => number | undefined): FeatureStore | undefined {
  try {
    return FeatureStore.open(join(dataDir, "features.sqlite"), { flowVersion });
  } catch (error) {
    logger.error(`feature store not opened: ${errorMessage(error)}`, { code: isAiotError(error) ? error.code : "FEATURE_STORE_UNREADABLE" });
    return undefined;
  }
}
