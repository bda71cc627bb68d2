/**
 * A growable FIFO of (target, port, message) triples in three parallel arrays: no object per
 * queued message, amortised O(1) push and shift.
 */
export class TripleRing<A, B, C> {
  private a: Array<A | undefined>;
  private b: Array<B | undefined>;
  private c: Array<C | undefined>;
  private head = 0;
  private tail = 0;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity <<= 1;
    this.a = new Array<A | undefined>(capacity);
    this.b = new Array<B | undefined>(capacity);
    this.c = new Array<C | undefined>(capacity);
    this.mask = capacity - 1;
  }

  push(a: A, b: B, c: C): void {
    if (this.size > this.mask) this.grow();
    const at = this.tail;
    this.a[at] = a;
    this.b[at] = b;
    this.c[at] = c;
    this.tail = (at + 1) & this.mask;
    this.size++;
  }

  /** Removes the oldest triple and hands it to `visit` (avoids returning a tuple object). */
  shift(visit: (a: A, b: B, c: C) => void): void {
    const at = this.head;
    const a = this.a[at] as A;
    const b = this.b[at] as B;
    const c = this.c[at] as C;
    // All three slots are cleared: a delivered message must not stay reachable until its slot is reused.
    this.a[at] = undefined;
    this.b[at] = undefined;
    this.c[at] = undefined;
    this.head = (at + 1) & this.mask;
    this.size--;
    visit(a, b, c);
  }

  /** The first element of the oldest triple, without removing it; undefined when empty. */
  peekFirst(): A | undefined {
    return this.size > 0 ? this.a[this.head] : undefined;
  }

  /** Removes the oldest triple and returns its second element (batch delivery: the message). */
  shiftSecond(): B {
    const at = this.head;
    const b = this.b[at] as B;
    this.a[at] = undefined;
    this.b[at] = undefined;
    this.c[at] = undefined;
    this.head = (at + 1) & this.mask;
    this.size--;
    return b;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const reorder = <T>(from: Array<T | undefined>) => {
      const to = new Array<T | undefined>(capacity);
      for (let i = 0; i < this.size; i++) to[i] = from[(this.head + i) & this.mask];
      return to;
    };
    this.a = reorder(this.a);
    this.b = reorder(this.b);
    this.c = reorder(this.c);
    this.head = 0;
    this.tail = this.size;
    this.mask = capacity - 1;
  }
}
