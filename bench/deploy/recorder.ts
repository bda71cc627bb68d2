// The harness's view of one deploy-benchmark run, shared by both systems so that both are measured by
// the same code: the source's clock (how many messages are due), every arrival at the sink per branch,
// the deploys, and the analysis (latency to effect, loss, duplicates, pause).
//
// Sequence numbers are 0-based. Message `seq` is due at `startAt + seq * 1000 / rate`; a source emits
// every message that is due (catching up after a stall, never skipping one), so a stall shows as latency
// and as a pause at the sinks, never as a gap in the sequence. A message a system drops shows as a
// sequence number that never reached a branch's sink; one it delivers twice, as a count above one.
import { performance } from "node:perf_hooks";
import { percentile } from "../chain/stats.ts";

export interface RecorderOptions {
  /** Messages per second the source emits. */
  readonly rate: number;
  /** Parallel branches, each ending at the sink (on port/branch 0..branches-1). */
  readonly branches: number;
  /** Upper bound on messages for the whole run (arrays are preallocated). */
  readonly capacity: number;
  /** A count window of this size sits in every branch: the first `window - 1` messages reach no sink. */
  readonly window: number;
}

export interface DeployMark {
  /** Flow version deployed (1 or 2); the version marker the changed nodes stamp on messages. */
  readonly version: number;
  /** performance.now() just before the deploy call. */
  readonly call: number;
  /** When the call returned (aiotflow: deploy resolved; HTTP: response received). */
  returned: number;
  /** Node-RED: the `flows:started` event after the call. */
  started: number;
  /** Per branch: arrival of the first message stamped with `version`. */
  readonly firstNew: Float64Array;
  /** Extra figures the harness attaches (durationMs the system reports, diff sizes, HTTP status …). */
  extra: Record<string, unknown>;
}

const round3 = (n: number) => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null);

export class DeployRecorder {
  readonly rate: number;
  readonly branches: number;
  readonly capacity: number;
  readonly window: number;
  /** performance.now() of the source's start (message 0 is due then); NaN until started. */
  startAt = Number.NaN;
  /** Messages emitted so far (sequence numbers 0 .. emitted-1). */
  emitted = 0;
  /** The source stops claiming once set (end of run, or capacity reached). */
  stopped = false;
  capacityReached = false;
  /** When each message was actually emitted. */
  readonly emitAt: Float64Array;
  /** Per branch: how many times each sequence number arrived. */
  private readonly counts: Uint8Array[];
  /** Per branch, in arrival order: arrival time, sequence number, version stamped. */
  private readonly arrivalTime: Float64Array[];
  private readonly arrivalSeq: Int32Array[];
  private readonly arrivalVer: Uint8Array[];
  private readonly arrivals: number[];
  /** Per branch: sequence number of the last arrival (for in-order checks). */
  private readonly lastSeq: Int32Array;
  outOfOrder = 0;
  /** Arrivals carrying an older version after the branch had seen the newer one (non-atomic switch). */
  versionRegressions = 0;
  private readonly branchVersion: Uint8Array;
  readonly deploys: DeployMark[] = [];
  private current: DeployMark | undefined;
  private waiter: (() => void) | undefined;
  private drainWaiter: (() => void) | undefined;

  constructor(options: RecorderOptions) {
    this.rate = options.rate;
    this.branches = options.branches;
    this.capacity = options.capacity;
    this.window = options.window;
    this.emitAt = new Float64Array(options.capacity);
    this.counts = Array.from({ length: options.branches }, () => new Uint8Array(options.capacity));
    this.arrivalTime = Array.from({ length: options.branches }, () => new Float64Array(options.capacity));
    this.arrivalSeq = Array.from({ length: options.branches }, () => new Int32Array(options.capacity));
    this.arrivalVer = Array.from({ length: options.branches }, () => new Uint8Array(options.capacity));
    this.arrivals = new Array<number>(options.branches).fill(0);
    this.lastSeq = new Int32Array(options.branches).fill(-1);
    this.branchVersion = new Uint8Array(options.branches);
  }

  /** The source begins now: message 0 is due at once. */
  start(): void {
    this.startAt = performance.now();
  }

  dueAt(seq: number): number {
    return this.startAt + (seq * 1000) / this.rate;
  }

  /** How many messages are due by now (sequence numbers 0 .. due-1); stops growing once stopped. */
  due(): number {
    if (this.stopped || Number.isNaN(this.startAt)) return this.emitted;
    const due = Math.floor(((performance.now() - this.startAt) * this.rate) / 1000) + 1;
    if (due >= this.capacity) {
      this.capacityReached = true;
      this.stopped = true;
      return this.capacity;
    }
    return due;
  }

  /** The source emitted message `seq` (the next one) just now. */
  sent(seq: number): void {
    this.emitAt[seq] = performance.now();
    this.emitted = seq + 1;
  }

  /**
   * For a source without backpressure (Node-RED's): claims every message due that was not emitted yet
   * and returns the end of the range; the caller emits `emitted-before-the-call .. end-1` at once.
   */
  claim(): number {
    const end = this.due();
    const now = performance.now();
    for (let seq = this.emitted; seq < end; seq++) this.emitAt[seq] = now;
    this.emitted = Math.max(this.emitted, end);
    return this.emitted;
  }

  /** The sink saw message `seq` on `branch`, stamped with flow version `ver`. */
  arrive(branch: number, seq: number, ver: number): void {
    const now = performance.now();
    if (!(branch >= 0 && branch < this.branches) || !(seq >= 0 && seq < this.capacity)) return;
    const counts = this.counts[branch]!;
    if (counts[seq]! < 255) counts[seq]!++;
    const i = this.arrivals[branch]!++;
    this.arrivalTime[branch]![i] = now;
    this.arrivalSeq[branch]![i] = seq;
    this.arrivalVer[branch]![i] = ver;
    if (seq <= this.lastSeq[branch]!) this.outOfOrder++;
    this.lastSeq[branch] = seq;
    const seen = this.branchVersion[branch]!;
    const deploy = this.current;
    if (deploy !== undefined && ver === deploy.version && seen !== ver) {
      deploy.firstNew[branch] = now;
      this.branchVersion[branch] = ver;
      if (this.waiter && deploy.firstNew.every((t) => !Number.isNaN(t))) {
        const resolve = this.waiter;
        this.waiter = undefined;
        resolve();
      }
    } else if (seen !== 0 && ver !== seen) {
      this.versionRegressions++;
    } else if (seen === 0) {
      this.branchVersion[branch] = ver;
    }
    if (this.drainWaiter && this.stopped && this.drained()) {
      const resolve = this.drainWaiter;
      this.drainWaiter = undefined;
      resolve();
    }
  }

  /** Records a deploy about to be called; `returned`/`started` are filled in by the harness. */
  markDeploy(version: number): DeployMark {
    const mark: DeployMark = {
      version,
      call: performance.now(),
      returned: Number.NaN,
      started: Number.NaN,
      firstNew: new Float64Array(this.branches).fill(Number.NaN),
      extra: {},
    };
    this.deploys.push(mark);
    this.current = mark;
    return mark;
  }

  /** Resolves when every branch has seen a message of the current deploy's version (or after `ms`). */
  allBranchesNew(ms: number): Promise<boolean> {
    const deploy = this.current;
    if (!deploy || deploy.firstNew.every((t) => !Number.isNaN(t))) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** True when every branch has received the last emitted message (or something after it). */
  drained(): boolean {
    for (let b = 0; b < this.branches; b++) if (this.lastSeq[b]! < this.emitted - 1) return false;
    return true;
  }

  /** Stops the source and resolves once every branch received the last emitted message (or after `ms`). */
  stopAndDrain(ms: number): Promise<boolean> {
    this.stopped = true;
    if (this.drained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiter = undefined;
        resolve(false);
      }, ms);
      this.drainWaiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /**
   * Arrivals (all branches) in `[from, to)`: the largest gap between consecutive arrivals on a branch
   * (a gap counts when it ends in the window or spans its end) and the largest latency (arrival − due).
   */
  private window_(from: number, to: number, spanEnd = true): { gap: number; maxLatency: number; arrivals: number } {
    let gap = 0;
    let maxLatency = 0;
    let count = 0;
    for (let b = 0; b < this.branches; b++) {
      const times = this.arrivalTime[b]!;
      const seqs = this.arrivalSeq[b]!;
      const n = this.arrivals[b]!;
      // first arrival at or after `from`
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid]! < from) lo = mid + 1;
        else hi = mid;
      }
      // Gaps whose later arrival is in the window, plus (spanEnd) the one that spans its end.
      for (let i = lo; i < n && (i === 0 || times[i - 1]! < to); i++) {
        if (times[i]! >= to) {
          if (spanEnd && i > 0) gap = Math.max(gap, times[i]! - times[i - 1]!);
          break;
        }
        if (i > 0) gap = Math.max(gap, times[i]! - times[i - 1]!);
        count++;
        maxLatency = Math.max(maxLatency, times[i]! - this.dueAt(seqs[i]!));
      }
      // Nothing arrived after `from` at all: the pause lasts at least to the end of the window.
      if (spanEnd && n > 0 && lo === n) gap = Math.max(gap, to - Math.max(from, times[n - 1]!));
    }
    return { gap, maxLatency, arrivals: count };
  }

  /** Every figure of the run. `settleMs`: how long after a deploy call its window lasts at most. */
  analyse(settleMs: number) {
    const first = this.window - 1; // the first sequence number a count window lets through
    // A lost message is charged to the first deploy that had not finished when it was emitted (one
    // emitted before a deploy can be lost by it while still in flight); [deploys.length] = after the last.
    const lostBy = new Array<number>(this.deploys.length + 1).fill(0);
    const dupBy = new Array<number>(this.deploys.length + 1).fill(0);
    const lostSeqs: Array<{ branch: number; seq: number }> = [];
    let lost = 0;
    let duplicated = 0;
    const ends = this.deploys.map((d) => Math.max(...[d.returned, d.started, ...d.firstNew].filter(Number.isFinite)));
    const deployIndexOf = (seq: number) => {
      const at = this.emitAt[seq]!;
      let k = 0;
      while (k < ends.length && ends[k]! < at) k++;
      return k;
    };
    for (let b = 0; b < this.branches; b++) {
      const counts = this.counts[b]!;
      for (let seq = first; seq < this.emitted; seq++) {
        const c = counts[seq]!;
        if (c === 1) continue;
        const k = deployIndexOf(seq);
        if (c === 0) {
          lost++;
          lostBy[k]!++;
          if (lostSeqs.length < 20) lostSeqs.push({ branch: b, seq });
        } else {
          duplicated += c - 1;
          dupBy[k]! += c - 1;
        }
      }
    }

    // Baseline: the same measures over the half second before the first deploy (no deploy in it).
    const firstCall = this.deploys[0]?.call ?? performance.now();
    const baselineFrom = Math.max(this.startAt + 200, firstCall - 500);
    const baseline = this.window_(baselineFrom, firstCall, false);
    const baselineLatencies: number[] = [];
    for (let b = 0; b < this.branches; b++) {
      for (let i = 0; i < this.arrivals[b]!; i++) {
        const t = this.arrivalTime[b]![i]!;
        if (t >= baselineFrom && t < firstCall) baselineLatencies.push(t - this.dueAt(this.arrivalSeq[b]![i]!));
      }
    }
    baselineLatencies.sort((x, y) => x - y);

    const deploys = this.deploys.map((d, k) => {
      const next = this.deploys[k + 1]?.call ?? Number.POSITIVE_INFINITY;
      const end = Math.min(next, d.call + settleMs);
      const w = this.window_(d.call, end);
      const firstNew = Math.min(...d.firstNew);
      const allNew = Math.max(...d.firstNew);
      return {
        version: d.version,
        call_ms: round3(d.returned - d.call),
        started_ms: round3(d.started - d.call),
        first_new_ms: round3(firstNew - d.call),
        all_branches_new_ms: round3(allNew - d.call),
        pause_ms: round3(w.gap),
        max_latency_ms: round3(w.maxLatency),
        lost: lostBy[k],
        duplicated: dupBy[k],
        ...d.extra,
      };
    });
    return {
      rate: this.rate,
      branches: this.branches,
      emitted: this.emitted,
      expected_per_branch: Math.max(0, this.emitted - first),
      received: this.arrivals.reduce((s, n) => s + n, 0),
      lost,
      duplicated,
      lost_after_last_deploy: lostBy[this.deploys.length],
      duplicated_after_last_deploy: dupBy[this.deploys.length],
      lost_examples: lostSeqs,
      out_of_order: this.outOfOrder,
      version_regressions: this.versionRegressions,
      capacity_reached: this.capacityReached,
      baseline: {
        pause_ms: round3(baseline.gap),
        max_latency_ms: round3(baseline.maxLatency),
        p50_latency_ms: round3(percentile(baselineLatencies, 50)),
        p99_latency_ms: round3(percentile(baselineLatencies, 99)),
        arrivals: baseline.arrivals,
      },
      deploys,
    };
  }
}

export type Analysis = ReturnType<DeployRecorder["analyse"]>;
