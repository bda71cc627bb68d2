/**
 * The onnx-inference node at run time: a batch of messages in, their rows to the model slots (one
 * per A/B variant, plus the shadow), predictions out in message order. One promise per batch and no
 * per-message closure, promise or template string: at 64 rows per run, per-message JS work, not the
 * model, set the node's throughput.
 */
import { isRecord, type Message, type NodeContext } from "../../../runtime/sdk/index.ts";
import { FieldCopier, featureReader } from "./generated-access.ts";
import { featureError, inputsOf, outputsOf, type ModelSlot, type RowSink, type ScoredChunk } from "./model-slot.ts";
import { attributions, baselineKindOf, baselinesOf, occlusionRows, RateSampler, type Explanation } from "./occlusion.ts";
import { feedbackDecision, predictionOf, predictionOfScore, RecentDecisions, variantFor, VariantStats, type OutputMapping, type Prediction, type ScoreTally } from "./prediction.ts";

export interface Variant {
  readonly id: string;
  readonly percent: number;
  readonly slot: ModelSlot;
}

export interface InferenceSetup {
  readonly variants: readonly Variant[];
  readonly shadow: { readonly slot: ModelSlot; readonly tolerance: number } | undefined;
  readonly mapping: OutputMapping;
  readonly explain: { readonly rate: number; readonly top: number };
}

type Fail = (msg: Message, error: unknown) => void;
const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});
const PENDING = 0;
const READY = 1;
const FAILED = 2;

export class InferenceHandler {
  readonly stats: VariantStats;
  readonly decisions = new RecentDecisions();
  readonly sampler: RateSampler;
  readonly tallies: ScoreTally[];
  /** Payload copiers by what the prediction adds: score, + label (1), + probabilities (2). */
  private readonly payloads = [new FieldCopier(["score"]), new FieldCopier(["score", "label"]), new FieldCopier(["score", "probabilities"]), new FieldCopier(["score", "label", "probabilities"])];
  private readonly meta: FieldCopier;
  private readonly explainedMeta: FieldCopier;

  constructor(readonly setup: InferenceSetup, readonly ctx: NodeContext<"out">) {
    this.stats = new VariantStats(ctx.metrics);
    this.sampler = new RateSampler(setup.explain.rate);
    this.tallies = setup.variants.map((v) => this.stats.tally(v.id));
    const metaFields = setup.variants.length > 1 ? ["model", "variant"] : ["model"];
    this.meta = new FieldCopier(metaFields);
    this.explainedMeta = new FieldCopier([...metaFields, "explanation"]);
  }

  onBatch(msgs: readonly Message[], port: string, fail: Fail): Promise<void> | undefined {
    if (port === "feedback") {
      for (const msg of msgs) this.feedback(msg);
      return undefined;
    }
    return new Job(this, msgs, fail).start();
  }

  async close(): Promise<void> {
    await Promise.all([...this.setup.variants.map((v) => v.slot.close()), this.setup.shadow?.slot.close()]);
  }

  predict(chunk: ScoredChunk, row: number): Prediction {
    return chunk.columns === 1 && this.setup.mapping.score !== "reconstruction-error"
      ? predictionOfScore(chunk.outputs[row]!, this.setup.mapping)
      : predictionOf(outputsOf(chunk, row), inputsOf(chunk, row), this.setup.mapping);
  }

  /** Occlusion against the training means: the row and its M occluded copies in one run. */
  async explain(chunk: ScoredChunk, row: number): Promise<Explanation> {
    const baselines = baselinesOf(chunk.model);
    const width = chunk.width;
    const inputs = inputsOf(chunk, row);
    const rows = occlusionRows(inputs, baselines);
    const out = await chunk.runner.run(rows, width + 1);
    const first = out[chunk.model.outputs[0]?.name ?? ""] ?? Object.values(out)[0]!;
    const columns = first.data.length / (width + 1);
    const scores = Array.from({ length: width + 1 }, (_, r) =>
      predictionOf(first.data.subarray(r * columns, (r + 1) * columns), rows.subarray(r * width, (r + 1) * width), this.setup.mapping).score,
    );
    return attributions(chunk.model.featureNames, inputs, baselines, scores, this.setup.explain.top, baselineKindOf(chunk.model));
  }

  /** Builds and emits the output of `msg`; returns its prediction. */
  emit(msg: Message, variant: number, chunk: ScoredChunk, row: number, explanation: Explanation | undefined): Prediction {
    const prediction = this.predict(chunk, row);
    const { score, label, probabilities } = prediction;
    this.tallies[variant]!.add(score);
    const variantId = this.setup.variants[variant]!.id;
    // Decisions are kept for feedback only when there is one to judge (labels or a threshold).
    if (prediction.decision !== undefined) this.decisions.remember(msg.key ?? msg.topic, variantId, prediction.decision, true);
    const source = msg.payload as Readonly<Record<string, unknown>>; // checked to be a record when submitted
    const payload = label === undefined
      ? probabilities === undefined ? this.payloads[0]!.copy(source, score) : this.payloads[2]!.copy(source, score, probabilities)
      : probabilities === undefined ? this.payloads[1]!.copy(source, score, label) : this.payloads[3]!.copy(source, score, label, probabilities);
    const before = msg.meta ?? NO_META;
    const ab = this.setup.variants.length > 1;
    const meta = explanation === undefined
      ? ab ? this.meta.copy(before, chunk.modelId, variantId) : this.meta.copy(before, chunk.modelId)
      : ab ? this.explainedMeta.copy(before, chunk.modelId, variantId, explanation) : this.explainedMeta.copy(before, chunk.modelId, explanation);
    this.ctx.emit("out", msg.key === undefined ? { topic: msg.topic, ts: msg.ts, payload, meta } : { topic: msg.topic, key: msg.key, ts: msg.ts, payload, meta });
    return prediction;
  }

  private feedback(msg: Message): void {
    const label = isRecord(msg.payload) ? msg.payload["label"] : undefined;
    const actual = feedbackDecision(label, this.setup.mapping);
    const remembered = this.decisions.take(msg.key ?? msg.topic);
    if (!remembered) return void this.ctx.metrics.count("feedback.unmatched");
    for (const [variant, predicted] of remembered) this.stats.feedback(variant, predicted, actual);
  }
}

/** One batch of messages: collects row results from the slots and emits them in message order. */
class Job implements RowSink {
  // Plain arrays: a typed array per batch costs more to allocate than it saves.
  private readonly state: number[];
  private readonly chunks: Array<ScoredChunk | undefined>;
  private readonly rows: number[];
  /** A/B only: each message's variant. */
  private readonly variantOf: number[] | undefined;
  private errors: Map<number, unknown> | undefined;
  private explanations: Map<number, Explanation | undefined> | undefined;
  private cursor = 0;
  private submitting = false;
  private resolve: (() => void) | undefined;
  /** Shadow work: messages emitted, with the main model's decision and score by message index. */
  private readonly shadowRows: number[] = [];
  private readonly mainDecisions: Array<string | undefined> = [];
  private readonly mainScores: number[] = [];

  constructor(private readonly handler: InferenceHandler, private readonly msgs: readonly Message[], private readonly fail: Fail) {
    this.state = new Array<number>(msgs.length).fill(PENDING);
    this.chunks = new Array<ScoredChunk | undefined>(msgs.length).fill(undefined);
    this.rows = new Array<number>(msgs.length).fill(0);
    this.variantOf = handler.setup.variants.length > 1 ? new Array<number>(msgs.length).fill(0) : undefined;
  }

  start(): Promise<void> {
    const { variants, shadow } = this.handler.setup;
    const done = new Promise<void>((resolve) => (this.resolve = resolve));
    const msgs = this.msgs;
    this.submitting = true;
    const shadowCheck = shadow ? featureReader(shadow.slot.featureNames) : undefined;
    const scratch = shadow ? new Float32Array(shadow.slot.featureNames.length) : undefined;
    if (variants.length === 1 && !shadowCheck) {
      variants[0]!.slot.submit(msgs, this); // the common case: every message to one model, no index lists
    } else {
      const picks = variants.map((): number[] => []);
      for (let i = 0; i < msgs.length; i++) {
        const payload = msgs[i]!.payload;
        // A message the shadow cannot score is refused as a whole, as the main model's features are.
        if (shadowCheck && (!isRecord(payload) || shadowCheck(payload, scratch!, 0) >= 0)) {
          this.failed(i, featureError(payload, shadow!.slot.featureNames));
          continue;
        }
        const variant = variants.length === 1 ? 0 : variants.indexOf(variantFor(msgs[i]!.key ?? msgs[i]!.topic, variants)!);
        if (this.variantOf) this.variantOf[i] = variant;
        picks[variant]!.push(i);
      }
      for (let v = 0; v < variants.length; v++) if (picks[v]!.length > 0) variants[v]!.slot.submit(msgs, this, picks[v]);
    }
    this.submitting = false;
    this.advance();
    return done; // settled already when every message failed its feature check
  }

  scored(index: number, chunk: ScoredChunk, row: number): void {
    this.chunks[index] = chunk;
    this.rows[index] = row;
    if (!this.handler.sampler.next()) {
      this.state[index] = READY;
      return;
    }
    (this.explanations ??= new Map()).set(index, undefined);
    this.handler.explain(chunk, row).then(
      (explanation) => this.explained(index, explanation),
      () => {
        this.handler.ctx.metrics.count("explain.errors");
        this.explained(index, undefined);
      },
    );
  }

  failed(index: number, error: unknown): void {
    this.state[index] = FAILED;
    (this.errors ??= new Map()).set(index, error);
    // Bad input is the sender's; a failing run or model is the variant's.
    if (!this.submitting) this.handler.stats.failed(this.handler.setup.variants[this.variantOf?.[index] ?? 0]!.id);
  }

  settled(): void {
    this.advance();
  }

  private explained(index: number, explanation: Explanation | undefined): void {
    this.explanations!.set(index, explanation);
    this.state[index] = READY;
    this.advance();
  }

  /** Emits (or fails) the finished prefix of the batch, in message order. */
  private advance(): void {
    const { msgs, state } = this;
    const start = this.cursor;
    let at = start;
    for (; at < msgs.length; at++) {
      const s = state[at];
      if (s === READY) {
        const chunk = this.chunks[at]!;
        const prediction = this.handler.emit(msgs[at]!, this.variantOf?.[at] ?? 0, chunk, this.rows[at]!, this.explanations?.get(at));
        chunk.consumed();
        if (this.handler.setup.shadow) {
          this.shadowRows.push(at);
          this.mainDecisions[at] = prediction.decision;
          this.mainScores[at] = prediction.score;
        }
        this.chunks[at] = undefined;
      } else if (s === FAILED) {
        this.fail(msgs[at]!, this.errors!.get(at));
      } else break;
    }
    this.cursor = at;
    if (at > start) for (const tally of this.handler.tallies) tally.flush();
    if (at === msgs.length && (start < at || msgs.length === 0)) {
      this.runShadow();
      this.resolve!();
    }
  }

  /** The shadow scores what the main model emitted; it never acts, only its agreement is counted. */
  private runShadow(): void {
    const shadow = this.handler.setup.shadow;
    if (!shadow || this.shadowRows.length === 0) return;
    const { handler, msgs, shadowRows, mainDecisions, mainScores } = this;
    const sink: RowSink = {
      scored(index, chunk, row) {
        const prediction = handler.predict(chunk, row);
        handler.stats.scored("shadow", prediction.score);
        const main = mainDecisions[index];
        const agree = main !== undefined ? prediction.decision === main : Math.abs(prediction.score - mainScores[index]!) <= shadow.tolerance;
        handler.stats.compared("shadow", agree);
        chunk.consumed();
        const msg = msgs[index]!;
        if (prediction.decision !== undefined) handler.decisions.remember(msg.key ?? msg.topic, "shadow", prediction.decision, false);
      },
      failed: () => handler.stats.failed("shadow"),
      settled: () => undefined,
    };
    shadow.slot.submit(msgs, sink, shadowRows);
  }
}
