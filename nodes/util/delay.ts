import { Config, defineNode, Type, type Message, type TimerHandle } from "../../runtime/sdk/index.ts";

const fixed = Type.Object({
  type: Type.Literal("fixed", { description: "Hold every message for `delayMs`, then send it on." }),
  delayMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 1000, unit: "ms", description: "How long each message is held, in ms (1 ms to 24 h)." }),
}, { additionalProperties: false, description: "A fixed delay." });

const rate = Type.Object({
  type: Type.Literal("rate", { description: "Let at most `messages` through in any `intervalMs`." }),
  messages: Type.Integer({ minimum: 1, maximum: 10_000, default: 1, description: "Messages allowed per interval (a count)." }),
  intervalMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 1000, unit: "ms", description: "Length of the sliding interval, in ms." }),
  perKey: Type.Boolean({ default: false, description: "Limit every key (device) on its own instead of all messages together." }),
  whenOver: Type.Enum(["queue", "drop"], { default: "queue", description: "queue: hold a message over the limit until its turn; drop: discard it (counted: dropped_rate)." }),
  maxKeys: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: "With perKey: most keys tracked at once (a count); a message of one more key is dropped (counted: dropped_keys)." }),
}, { additionalProperties: false, description: "A rate limit." });

/** First in, first out, with an O(1) shift: an array with a moving head, compacted as it empties. */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  first(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the items `keep` accepts, in order. */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter((item): item is T => item !== undefined && keep(item));
    this.head = 0;
  }
}

/** A message waiting in a bucket. `gone` once sent or dropped, so the flow-wide order can skip it. */
interface Held {
  readonly msg: Message;
  readonly due: number;
  readonly bucket: Bucket;
  gone: boolean;
}

/** The messages of one key (or of all, without perKey) and, for a rate, when its last ones went out. */
interface Bucket {
  readonly key: string;
  readonly waiting: Fifo<Held>;
  /** Send times (ms) within the current interval, oldest first. */
  readonly sent: Fifo<number>;
  timer: TimerHandle | undefined;
}

export default defineNode({
  type: "delay",
  version: 1,
  family: "util",
  title: "Delay / rate limit",
  summary: "Holds messages for a fixed time, or lets at most N through per interval (per key optionally); loop-safe.",
  docs: `
Two modes:

- **fixed**: every message goes out \`delayMs\` after it came, in the order it came.
- **rate**: at most \`messages\` go out in any sliding window of \`intervalMs\` (all messages together, or
  every key on its own with \`perKey\`). A message over the limit waits for its turn (\`whenOver: "queue"\`,
  in arrival order per key) or is dropped (\`whenOver: "drop"\`, counted: \`dropped_rate\`).

Messages pass unchanged (topic, key, event time \`ts\`, payload of any kind, meta). Time is the runtime's
clock, so a test's virtual clock drives the node.

**Bounded**: at most \`queue.maxMessages\` messages are held at once, all keys together. When one more
comes, \`queue.whenFull\` drops the oldest held message (counted: \`dropped_oldest\`) or the new one
(\`dropped_newest\`). With \`perKey\`, at most \`maxKeys\` keys are tracked; when a new key needs room, keys
with nothing waiting and nothing sent within the interval are forgotten (looked for at most once per
interval), and if none is, the new key's message is dropped (\`dropped_keys\`). While
the flow is saturated, held messages stay held (and the bounds apply) until it can take more. Messages
still held when the node is closed (a stop, or a redeploy that changes it) are discarded, counted in
\`dropped_on_close\` and logged.

**Loop-safe**: a loop (a cycle of wires) must pass through a loop-safe node. A delay slows each pass, so a
message going round cannot spin the flow; what ends the loop is up to the nodes on it (a \`map\` with a
\`where\` condition, a gate). To re-send what failed, use \`retry\`, which stops after \`maxAttempts\`.

Example: \`{ "mode": { "type": "rate", "messages": 10, "intervalMs": 60000, "perKey": true } }\` lets at most
10 messages per device and minute through, queueing the rest.`,
  config: Config({
    // rate first: TypeBox reports at most 8 errors, and a rate config checked against the fixed branch first would use them all up.
    mode: Type.Union([rate, fixed], { default: { type: "fixed" }, description: "fixed: hold each message for a time; rate: at most N messages per interval." }),
    queue: Type.Object({
      maxMessages: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: "Most messages held at once, all keys together (a count)." }),
      whenFull: Type.Enum(["drop-oldest", "drop-newest"], { default: "drop-oldest", description: "When full: drop the oldest held message, or the one that just came." }),
    }, { additionalProperties: false, default: {}, description: "Bounds on the messages held." }),
  }),
  inputs: { in: { kind: "any", description: "Any message." } },
  outputs: { out: { kind: "any", description: "The same messages, later or fewer." } },
  examples: [
    { title: "Wait 5 s", config: { mode: { type: "fixed", delayMs: 5_000 } } },
    { title: "One alarm mail per device per minute", description: "Drops alarms of a device past one per minute.", config: { mode: { type: "rate", messages: 1, intervalMs: 60_000, perKey: true, whenOver: "drop" } } },
    { title: "Smooth a burst to 100 msg/s", description: "Queues up to 50 000 messages; when full the oldest go first.", config: { mode: { type: "rate", messages: 100, intervalMs: 1_000 }, queue: { maxMessages: 50_000 } } },
  ],
  loopSafe: true,
  fieldsOut: (_config, inputFields) => inputFields,
  create(config, ctx) {
    const mode = config.mode;
    const { maxMessages, whenFull } = config.queue;
    const buckets = new Map<string, Bucket>();
    /** Every held message in arrival order, flow-wide (sent ones skipped lazily): the oldest to drop. */
    const order = new Fifo<Held>();
    let held = 0;
    let paused = false;
    let closed = false;
    let lastSweep = Number.NEGATIVE_INFINITY;

    /** Forgets send times older than the interval; true when the bucket may send one more now. */
    function hasRoom(b: Bucket, now: number): boolean {
      if (mode.type !== "rate") return true;
      while (b.sent.length > 0 && b.sent.first()! <= now - mode.intervalMs) b.sent.shift();
      return b.sent.length < mode.messages;
    }

    /** Drops buckets with nothing waiting and no send inside their interval; at most once per interval. */
    function sweep(now: number): void {
      if (mode.type !== "rate" || now - lastSweep < mode.intervalMs) return;
      lastSweep = now;
      for (const b of buckets.values()) if (b.waiting.length === 0 && hasRoom(b, now) && b.sent.length === 0) buckets.delete(b.key);
    }

    function bucketOf(msg: Message, now: number): Bucket | undefined {
      const key = mode.type === "rate" && mode.perKey ? msg.key ?? "" : "";
      const known = buckets.get(key);
      if (known) return known;
      if (mode.type === "rate" && buckets.size >= mode.maxKeys) sweep(now);
      if (mode.type === "rate" && buckets.size >= mode.maxKeys) return undefined;
      const b: Bucket = { key, waiting: new Fifo(), sent: new Fifo(), timer: undefined };
      buckets.set(key, b);
      return b;
    }

    function send(b: Bucket, msg: Message, now: number): void {
      if (mode.type === "rate") b.sent.push(now);
      if (!ctx.emit("out", msg) && !paused) {
        paused = true; // the flow is saturated: release nothing more until it can take it
        void ctx.writable().then(resume);
      }
    }

    function resume(): void {
      paused = false;
      for (const b of buckets.values()) {
        if (paused || closed) return;
        if (b.waiting.length > 0) release(b);
      }
    }

    /** Sends what is due at the head of `b`, then sets its timer for the next one. */
    function release(b: Bucket): void {
      b.timer = undefined;
      if (closed) return;
      const now = ctx.clock.now();
      while (b.waiting.length > 0 && !paused) {
        const next = b.waiting.first()!;
        if (mode.type === "fixed" ? next.due > now : !hasRoom(b, now)) break;
        b.waiting.shift();
        next.gone = true;
        held--;
        send(b, next.msg, now);
      }
      if (order.length > 2 * held + 64) order.retain((h) => !h.gone);
      arm(b, now);
    }

    function arm(b: Bucket, now: number): void {
      if (b.timer !== undefined || b.waiting.length === 0 || paused || closed) return;
      const at = mode.type === "fixed" ? b.waiting.first()!.due : b.sent.first()! + mode.intervalMs;
      b.timer = ctx.clock.setTimeout(() => release(b), Math.max(0, at - now));
    }

    /** The oldest held message flow-wide is the head of its own bucket: buckets keep arrival order. */
    function dropOldest(): void {
      for (let oldest = order.shift(); oldest !== undefined; oldest = order.shift()) {
        if (oldest.gone) continue;
        oldest.gone = true;
        oldest.bucket.waiting.shift();
        held--;
        ctx.metrics.count("dropped_oldest");
        return;
      }
    }

    return {
      onMessage(msg) {
        const now = ctx.clock.now();
        const b = bucketOf(msg, now);
        if (b === undefined) return void ctx.metrics.count("dropped_keys");
        if (mode.type === "rate" && b.waiting.length === 0 && hasRoom(b, now)) return send(b, msg, now);
        if (mode.type === "rate" && mode.whenOver === "drop") return void ctx.metrics.count("dropped_rate");
        if (held >= maxMessages) {
          if (whenFull === "drop-newest") return void ctx.metrics.count("dropped_newest");
          dropOldest();
        }
        const entry: Held = { msg, due: mode.type === "fixed" ? now + mode.delayMs : now, bucket: b, gone: false };
        b.waiting.push(entry);
        order.push(entry);
        held++;
        arm(b, now);
      },
      close() {
        closed = true;
        for (const b of buckets.values()) b.timer?.cancel();
        if (held > 0) {
          ctx.metrics.count("dropped_on_close", held);
          ctx.log.warn(`${held} held message(s) discarded on close`, { held });
        }
        buckets.clear();
        order.retain(() => false);
        held = 0;
      },
    };
  },
});
