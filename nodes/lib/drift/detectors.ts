/**
 * Change detectors on a stream of numbers, O(1) amortised per value: Page-Hinkley and ADWIN for a
 * model's scores (output drift), DDM for its error rate (performance decay). Not a node; the drift and
 * performance monitors share them. Each `add` returns true on the value that raises the alarm, and
 * the detector starts afresh after it, so one shift gives one alarm.
 */

export interface ChangeDetector {
  add(value: number): boolean;
  reset(): void;
  /** Values since the last reset (ADWIN: the current window's width). */
  readonly count: number;
}

export interface PageHinkleyOptions {
  /** Change smaller than this is tolerated (in score units). */
  readonly delta: number;
  /** Alarm when the cumulative deviation passes this. */
  readonly threshold: number;
  /** No alarm before this many values: the running mean needs them to settle. */
  readonly minInstances: number;
}

/**
 * Page-Hinkley test, two-sided: the cumulative deviation of each value from the running mean (less
 * `delta`) is compared with its historic minimum (increase) and maximum (decrease).
 */
export class PageHinkley implements ChangeDetector {
  count = 0;
  private mean = 0;
  private upSum = 0;
  private upMin = 0;
  private downSum = 0;
  private downMax = 0;

  constructor(readonly options: PageHinkleyOptions = { delta: 0.005, threshold: 50, minInstances: 30 }) {}

  add(value: number): boolean {
    this.count += 1;
    this.mean += (value - this.mean) / this.count;
    const deviation = value - this.mean;
    this.upSum += deviation - this.options.delta;
    this.downSum += deviation + this.options.delta;
    if (this.upSum < this.upMin) this.upMin = this.upSum;
    if (this.downSum > this.downMax) this.downMax = this.downSum;
    if (this.count < this.options.minInstances) return false;
    if (this.upSum - this.upMin > this.options.threshold || this.downMax - this.downSum > this.options.threshold) {
      this.reset();
      return true;
    }
    return false;
  }

  reset(): void {
    this.count = 0;
    this.mean = 0;
    this.upSum = this.upMin = this.downSum = this.downMax = 0;
  }
}

export interface AdwinOptions {
  /** Confidence: a smaller delta needs stronger evidence before a cut. */
  readonly delta: number;
  /** Cuts are searched every `clock` values (the amortisation of ADWIN2). */
  readonly clock: number;
  /** Buckets kept per size before two merge (M in the paper). */
  readonly maxBuckets: number;
  /** Both sub-windows need at least this many values. */
  readonly minWindow: number;
}

/** One row of ADWIN's exponential histogram: buckets of 2^row values, oldest first. */
interface BucketRow {
  totals: number[];
  variances: number[];
}

/**
 * ADWIN2 (Bifet & Gavaldà 2007): an adaptive window over an exponential histogram of buckets. The
 * oldest values are dropped while two sub-windows have means further apart than the Hoeffding-style
 * bound allows; a drop is a detected change. Memory and check cost are O(M log W).
 */
export class Adwin implements ChangeDetector {
  private rows: BucketRow[] = [];
  private width = 0;
  private total = 0;
  private variance = 0;
  private sinceCheck = 0;

  constructor(readonly options: AdwinOptions = { delta: 0.002, clock: 32, maxBuckets: 5, minWindow: 5 }) {}

  get count(): number {
    return this.width;
  }

  get mean(): number {
    return this.width === 0 ? 0 : this.total / this.width;
  }

  add(value: number): boolean {
    this.width += 1;
    if (this.width > 1) this.variance += ((this.width - 1) * (value - this.total / (this.width - 1)) ** 2) / this.width;
    this.total += value;
    this.pushBucket(0, value, 0);
    this.sinceCheck += 1;
    if (this.sinceCheck < this.options.clock || this.width < 2 * this.options.minWindow) return false;
    this.sinceCheck = 0;
    let changed = false;
    for (let cut = this.cutAt(); cut > 0; cut = this.cutAt()) {
      // Drop the whole older sub-window, not one bucket per check: one shift then gives one alarm.
      for (let dropped = 0; dropped < cut && this.rows.length > 0; ) dropped += this.dropOldest();
      changed = true;
    }
    return changed;
  }

  reset(): void {
    this.rows = [];
    this.width = this.total = this.variance = this.sinceCheck = 0;
  }

  private pushBucket(row: number, total: number, variance: number): void {
    const bucketRow = (this.rows[row] ??= { totals: [], variances: [] });
    bucketRow.totals.push(total);
    bucketRow.variances.push(variance);
    if (bucketRow.totals.length <= this.options.maxBuckets) return;
    // Merge the two oldest buckets of size n into one of size 2n in the next row.
    const n = 2 ** row;
    const [t1, t2] = bucketRow.totals.splice(0, 2) as [number, number];
    const [v1, v2] = bucketRow.variances.splice(0, 2) as [number, number];
    const between = (n * n * (t1 / n - t2 / n) ** 2) / (2 * n);
    this.pushBucket(row + 1, t1 + t2, v1 + v2 + between);
  }

  /**
   * Size of the older part of the split, old | recent, whose means differ most beyond the bound (0:
   * none does). The strongest split is the best estimate of where the change happened.
   */
  private cutAt(): number {
    const { minWindow, delta } = this.options;
    if (this.width < 2 * minWindow) return 0;
    const windowVariance = this.variance / this.width;
    const deltaPrime = delta / Math.log(this.width);
    const logTerm = Math.log(2 / deltaPrime);
    let n0 = 0;
    let t0 = 0;
    let best = 0;
    let bestRatio = 1;
    for (let row = this.rows.length - 1; row >= 0; row--) {
      const size = 2 ** row;
      const totals = this.rows[row]!.totals;
      for (let k = 0; k < totals.length; k++) {
        n0 += size;
        t0 += totals[k]!;
        const n1 = this.width - n0;
        if (n1 < minWindow) return best;
        if (n0 < minWindow) continue;
        const m = 1 / (1 / n0 + 1 / n1);
        const bound = Math.sqrt((2 / m) * windowVariance * logTerm) + (2 / (3 * m)) * logTerm;
        const ratio = Math.abs(t0 / n0 - (this.total - t0) / n1) / bound;
        if (ratio > bestRatio) {
          bestRatio = ratio;
          best = n0;
        }
      }
    }
    return best;
  }

  /** Removes the oldest bucket; returns how many values it held. */
  private dropOldest(): number {
    const row = this.rows.length - 1;
    const oldest = this.rows[row]!;
    const n = 2 ** row;
    const t = oldest.totals.shift()!;
    const v = oldest.variances.shift()!;
    this.width -= n;
    this.total -= t;
    const restMean = this.width === 0 ? 0 : this.total / this.width;
    this.variance = Math.max(0, this.variance - v - (n * this.width * (t / n - restMean) ** 2) / (n + this.width));
    if (oldest.totals.length === 0) this.rows.pop();
    return n;
  }
}

export type DdmLevel = "stable" | "warning" | "drift";

/**
 * DDM (Gama et al. 2004) on a stream of 0/1 errors: with p the error rate and s = sqrt(p(1-p)/n),
 * warning when p + s >= p_min + 2 s_min, drift (and a fresh start) when p + s >= p_min + 3 s_min.
 */
export class Ddm {
  count = 0;
  private errors = 0;
  private minPs = Number.POSITIVE_INFINITY;
  private minP = Number.POSITIVE_INFINITY;
  private minS = Number.POSITIVE_INFINITY;

  constructor(readonly minInstances = 30) {}

  /** The error rate since the last reset. */
  get errorRate(): number {
    return this.count === 0 ? 0 : this.errors / this.count;
  }

  /** The error rate after the latest value, kept across the reset a drift causes. */
  lastRate = 0;

  add(error: boolean): DdmLevel {
    this.count += 1;
    if (error) this.errors += 1;
    const p = this.errors / this.count;
    this.lastRate = p;
    const s = Math.sqrt((p * (1 - p)) / this.count);
    if (this.count < this.minInstances) return "stable";
    if (p + s <= this.minPs) {
      this.minPs = p + s;
      this.minP = p;
      this.minS = s;
    }
    if (p + s >= this.minP + 3 * this.minS) {
      this.reset();
      return "drift";
    }
    return p + s >= this.minP + 2 * this.minS ? "warning" : "stable";
  }

  reset(): void {
    this.count = this.errors = 0;
    this.minPs = this.minP = this.minS = Number.POSITIVE_INFINITY;
  }
}
