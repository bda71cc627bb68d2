/**
 * The subscriptions a test broker granted, so a test publishes only once a subscriber's SUBSCRIBE
 * has reached the broker (its routing table), instead of sleeping "long enough" after a connect.
 * aedes feeds it from its `subscribe` event, Mosquitto from its `log_type subscribe` lines; both
 * record a subscription after it is in place, before or as the SUBACK goes out.
 */
export interface GrantedSubscription {
  readonly client: string;
  readonly filter: string;
}

interface Waiter {
  readonly filter: string;
  readonly times: number;
  readonly resolve: () => void;
}

export class SubscriptionLog {
  private readonly entries: GrantedSubscription[] = [];
  private waiters: Waiter[] = [];

  /** Every subscription granted since the broker started, oldest first. */
  get all(): readonly GrantedSubscription[] {
    return this.entries;
  }

  record(client: string, filter: string): void {
    this.entries.push({ client, filter });
    const ready = this.waiters.filter((w) => this.count(w.filter) >= w.times);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }

  /** How many times `filter` was granted since the broker started. */
  count(filter: string): number {
    return this.entries.filter((e) => e.filter === filter).length;
  }

  /**
   * Resolves once `filter` has been granted `times` times since the broker started (clients of a
   * broker brought back mid-test may subscribe before the test gets hold of it).
   */
  granted(filter: string, times = 1, timeoutMs = 5_000): Promise<void> {
    if (this.count(filter) >= times) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve, reject) => {
      const waiter = { filter, times, resolve };
      this.waiters.push(waiter);
      timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.entries.map((e) => `${e.client} ${e.filter}`).join(", ") || "none";
        reject(new Error(`the broker granted "${filter}" ${this.count(filter)} of ${times} time(s) within ${timeoutMs} ms (granted: ${seen})`));
      }, timeoutMs);
    }).finally(() => clearTimeout(timer));
    waited.catch(() => undefined); // armed before the action it waits for: a test that fails first must not also leave this unhandled
    return waited;
  }

  /**
   * Resolves once `filter` is granted `times` more times after this call: arm it before deploying
   * the subscriber, await it after.
   *
   * @example
   * const subscribed = broker.subscriptions.next("plant/+/temperature");
   * await engine.deploy(flow);
   * await subscribed;
   */
  next(filter: string, times = 1, timeoutMs = 5_000): Promise<void> {
    return this.granted(filter, this.count(filter) + times, timeoutMs);
  }
}
