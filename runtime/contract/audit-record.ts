/** One record of the hash-chained audit log, as stored and as GET /api/audit returns it. */

export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: "ok" | "refused" | "failed";
  readonly before?: string;
  readonly after?: string;
  readonly detail?: Record<string, unknown>;
  /** Hash of the previous record ("" for the first): editing or deleting a line breaks the chain. */
  readonly prev: string;
  readonly hash: string;
}
