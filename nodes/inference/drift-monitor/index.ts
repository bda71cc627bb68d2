import { Config, defineNode, isRecord, Type, type Message } from "../../../runtime/sdk/index.ts";
import { MODELS } from "../../../runtime/sdk/models.ts";
import { Adwin, PageHinkley, type ChangeDetector } from "../../lib/drift/detectors.ts";
import { WindowHistogram } from "../../../runtime/sdk/drift-histogram.ts";
import { inlineReference, modelReference, type DriftReference } from "./reference.ts";

const histogramSchema = Type.Object(
  {
    edges: Type.Array(Type.Number(), { minItems: 3, description: "Ascending bin edges, one more than the bins." }),
    proportions: Type.Array(Type.Number({ minimum: 0 }), { minItems: 2, description: "Share of training values in each bin (sums to 1)." }),
  },
  { additionalProperties: false, description: "A feature's training histogram." },
);

const fromModel = Type.Object(
  {
    from: Type.Literal("model", { description: "Reference statistics registered with the model." }),
    model: Type.String({ minLength: 1, description: "Model name in the registry." }),
    version: Type.Union([Type.Integer({ minimum: 1 }), Type.Enum(["production", "candidate"])], {
      default: "production",
      description: "Version number, or the stage whose current version is used.",
    }),
  },
  { additionalProperties: false },
);

const inline = Type.Object(
  {
    from: Type.Literal("inline", { description: "Histograms given here (for models outside the registry)." }),
    histograms: Type.Record(Type.String(), histogramSchema, { description: "Feature name -> training histogram." }),
  },
  { additionalProperties: false },
);

const scoreDrift = Type.Object(
  {
    field: Type.String({ minLength: 1, default: "score", description: "Numeric payload field holding the model's score." }),
    detector: Type.Enum(["page-hinkley", "adwin"], { default: "page-hinkley", description: "page-hinkley: mean shifts, tuned by delta/threshold; adwin: parameter-light adaptive window." }),
    delta: Type.Number({ exclusiveMinimum: 0, default: 0.005, description: "Page-Hinkley: tolerated change (score units); ADWIN: confidence (smaller = fewer false alarms)." }),
    threshold: Type.Number({ exclusiveMinimum: 0, default: 50, description: "Page-Hinkley: alarm when the cumulative deviation passes this (ignored by ADWIN)." }),
  },
  { additionalProperties: false, description: "Output drift on the score stream; omit to check inputs only." },
);

export default defineNode({
  type: "drift-monitor",
  version: 1,
  family: "inference",
  title: "Drift monitor",
  summary: "Detects input drift per feature (PSI or Jensen-Shannon against the model's training histograms) and output drift on scores.",
  docs: `
Watches what a model sees and says, and emits an event when it no longer looks like training.

- **Input drift**: for every feature in \`features\`, the values of a window are binned into the
  reference histogram (the model's registered reference statistics, or \`inline\` histograms) and
  compared with it by PSI (> 0.25 is the textbook "significant shift") or Jensen-Shannon divergence
  in bits (0..1; 0.1 is a reasonable threshold). Windows close every \`count\` messages or, by
  time, when a message crosses the end of the current \`sizeMs\` event-time window (a message older
  than the open window is counted as \`late\` and skipped). Windows with fewer than \`minCount\`
  usable values are not judged.
- **Output drift**: the \`score\` field goes through Page-Hinkley or ADWIN; an alarm is an event.

Events (on \`events\`): \`{ topic: "drift", ts, payload: { kind: "input-drift", statistic, threshold,
features: [{ name, value }], window: { start, end, count }, model } }\` naming only the drifted
features, and \`{ kind: "output-drift", detector, field, count, model }\`. \`model\` is the
reference model (\`name@version\`) or the message's \`meta.model\`.

A value that is missing or not a finite number (NaN) is skipped for that feature and counted
(metric \`invalid_features\`); the message still counts for the others. A reference without a
histogram for a configured feature fails the deploy with DRIFT_REFERENCE_MISSING naming it.

With \`from: "model"\` and a stage (\`production\`, \`candidate\`), the monitor follows the alias: when
a promotion moves it, windows and detectors start afresh against the new version's histograms (logged).
A version registered **without reference statistics** (the raw upload route, \`aiotflow models
register\`) does not stop the flow: input drift is not checked (status "no reference statistics for
pump@2: drift not checked", metric \`unchecked\` per message, one DRIFT_REFERENCE_MISSING warning in
the log), score drift still is, and checking resumes when a version with statistics holds the alias.

Windows and detectors start afresh on a redeploy: they describe the model deployed with the flow.`,
  config: Config({
    features: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "Payload fields to check for input drift." }),
    reference: Type.Union([fromModel, inline], { description: "Where the training histograms come from." }),
    statistic: Type.Enum(["psi", "js"], { default: "psi", description: "psi: population stability index; js: Jensen-Shannon divergence (bits)." }),
    threshold: Type.Number({ exclusiveMinimum: 0, default: 0.25, description: "A feature drifts when its window statistic is above this." }),
    window: Type.Union(
      [
        Type.Object({ by: Type.Literal("count", { description: "Every `count` messages." }), count: Type.Integer({ minimum: 10, default: 500, description: "Messages per window." }) }, { additionalProperties: false }),
        Type.Object({ by: Type.Literal("time", { description: "Tumbling event-time windows." }), sizeMs: Type.Integer({ minimum: 1, default: 60_000, unit: "ms", description: "Window length." }) }, { additionalProperties: false }),
      ],
      { default: { by: "count", count: 500 }, description: "When a window closes and is judged." },
    ),
    minCount: Type.Integer({
      minimum: 1,
      default: 200,
      description: "Fewest values of a feature for its window to be judged. PSI of a small window is biased up by about (bins - 1) / count, so keep it in the hundreds.",
    }),
    score: Type.Optional(scoreDrift),
  }),
  inputs: { in: { kind: "any", description: "Feature vectors or predictions with the features (and score) in the payload." } },
  outputs: { events: { kind: "event", description: "One event per drifted window and per output-drift alarm." } },
  examples: [
    { title: "PSI against the production model", config: { features: ["vibration_rms", "temperature_mean"], reference: { from: "model", model: "pump-anomaly" } } },
    {
      title: "Inline reference, hourly windows, score drift by ADWIN",
      config: {
        features: ["vibration"],
        reference: { from: "inline", histograms: { vibration: { edges: [0, 1, 2, 4, 8], proportions: [0.2, 0.4, 0.3, 0.1] } } },
        statistic: "js",
        threshold: 0.1,
        window: { by: "time", sizeMs: 3_600_000 },
        score: { field: "score", detector: "adwin", delta: 0.002 },
      },
    },
  ],
  create(config, ctx) {
    const reference = config.reference;
    const models = reference.from === "model" ? ctx.use(MODELS) : undefined;
    let current: DriftReference =
      reference.from === "inline" ? inlineReference(reference.histograms, config.features) : modelReference(models!.resolve(reference.model, reference.version), config.features, true);
    let windows: WindowHistogram[] = [];
    const scoreField = config.score?.field;
    let detector = config.score ? makeDetector(config.score) : undefined;
    const windowBy = config.window;
    let windowStart = Number.NaN;
    let windowCount = 0;
    const warned = new Set<string>();

    /** Windows and detectors describe one model version: a new reference starts them afresh. */
    function adopt(next: DriftReference): void {
      current = next;
      windows = next.kind === "checked" ? config.features.map((name) => new WindowHistogram(next.histograms[name]!)) : [];
      detector = config.score ? makeDetector(config.score) : undefined;
      windowStart = Number.NaN;
      windowCount = 0;
      if (next.kind === "unchecked") {
        ctx.status({ state: "waiting", text: next.reason });
        // Once per version: a flow restarted on the same version says it again, a busy flow does not repeat it.
        if (!warned.has(next.model)) {
          warned.add(next.model);
          ctx.log.warn(`${next.reason}; messages are counted as "unchecked" until a version with reference statistics holds the alias [DRIFT_REFERENCE_MISSING]`, { code: "DRIFT_REFERENCE_MISSING", model: next.model });
        }
      } else ctx.status({ state: "running", text: next.model ? `checking drift against ${next.model}` : "checking drift" });
    }
    adopt(current);

    // An alias (production, candidate) moves with promotions: follow it, as onnx-inference does.
    const follow = reference.from === "model" && typeof reference.version === "string" ? reference : undefined;
    const unsubscribe = follow
      ? models!.subscribe((event) => {
          if (event.name !== follow.model) return;
          let info;
          try {
            info = models!.resolve(follow.model, follow.version);
          } catch {
            return; // no version holds the alias now: keep the last reference
          }
          const next = modelReference(info, config.features, false);
          if (next.model === current.model) return;
          ctx.log.info(`drift reference follows ${follow.model}@${follow.version}: ${current.model ?? "inline"} -> ${next.model ?? "inline"}${next.kind === "unchecked" ? ` (${next.reason})` : ""}`);
          adopt(next);
        })
      : undefined;

    function closeWindow(end: number): void {
      const drifted: Array<{ name: string; value: number }> = [];
      windows.forEach((w, i) => {
        if (w.total >= config.minCount) {
          const value = w.divergence(config.statistic);
          if (value > config.threshold) drifted.push({ name: config.features[i]!, value });
        }
        w.reset();
      });
      ctx.metrics.count("windows");
      if (drifted.length > 0) {
        ctx.metrics.count("input_drift_events");
        const window = { start: windowStart, end, count: windowCount };
        ctx.emit("events", { topic: "drift", ts: end, payload: { kind: "input-drift", statistic: config.statistic, threshold: config.threshold, features: drifted, window, model: current.model } });
      }
      windowCount = 0;
    }

    /** Bins the message's features into the open window; false for a message older than it (skipped). */
    function addToWindow(msg: Message, payload: Readonly<Record<string, unknown>>): boolean {
      if (windowBy.by === "time") {
        const start = msg.ts - (((msg.ts % windowBy.sizeMs) + windowBy.sizeMs) % windowBy.sizeMs);
        if (Number.isNaN(windowStart)) windowStart = start;
        else if (start > windowStart) {
          closeWindow(windowStart + windowBy.sizeMs);
          windowStart = start;
        } else if (start < windowStart) {
          ctx.metrics.count("late");
          return false;
        }
      } else if (windowCount === 0) windowStart = msg.ts;
      for (let i = 0; i < windows.length; i++) {
        const value = payload[config.features[i]!];
        if (typeof value === "number" && Number.isFinite(value)) windows[i]!.add(value);
        else ctx.metrics.count("invalid_features");
      }
      windowCount += 1;
      return true;
    }

    return {
      close() {
        unsubscribe?.();
      },
      onMessage(msg: Message) {
        const payload = isRecord(msg.payload) ? msg.payload : {};
        // Without reference statistics there is nothing to bin against: count, and still watch the score.
        if (current.kind === "unchecked") ctx.metrics.count("unchecked");
        else if (!addToWindow(msg, payload)) return;
        if (detector && scoreField !== undefined) {
          const score = payload[scoreField];
          if (typeof score !== "number" || !Number.isFinite(score)) ctx.metrics.count("invalid_scores");
          else if (detector.add(score)) {
            ctx.metrics.count("output_drift_events");
            const scoreModel = current.model ?? (typeof msg.meta?.["model"] === "string" ? msg.meta["model"] : undefined);
            ctx.emit("events", { topic: "drift", ts: msg.ts, payload: { kind: "output-drift", detector: config.score!.detector, field: scoreField, count: detector.count, model: scoreModel } });
          }
        }
        if (current.kind === "checked" && windowBy.by === "count" && windowCount >= windowBy.count) closeWindow(msg.ts);
      },
    };
  },
});

function makeDetector(score: { detector: "page-hinkley" | "adwin"; delta: number; threshold: number }): ChangeDetector {
  return score.detector === "adwin"
    ? new Adwin({ delta: score.delta, clock: 32, maxBuckets: 5, minWindow: 5 })
    : new PageHinkley({ delta: score.delta, threshold: score.threshold, minInstances: 30 });
}
