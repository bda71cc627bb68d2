import { AiotError, Config, defineNode, isRecord, Type, type Message, type NodeContext } from "../../runtime/sdk/index.ts";
import { MODELS } from "../../runtime/sdk/models.ts";
import { Adwin, PageHinkley, type ChangeDetector } from "./drift-detectors.ts";
import { histogramProblem, WindowHistogram, type FeatureHistogram } from "./drift-histogram.ts";

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
    const { histograms, model } = loadReference(config.reference, config.features, (key) => ctx.use(key));
    const windows = config.features.map((name) => new WindowHistogram(histograms[name]!));
    const scoreField = config.score?.field;
    const detector = config.score ? makeDetector(config.score) : undefined;
    const windowBy = config.window;
    let windowStart = Number.NaN;
    let windowCount = 0;

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
        ctx.emit("events", { topic: "drift", ts: end, payload: { kind: "input-drift", statistic: config.statistic, threshold: config.threshold, features: drifted, window, model } });
      }
      windowCount = 0;
    }

    return {
      onMessage(msg: Message) {
        if (windowBy.by === "time") {
          const start = msg.ts - (((msg.ts % windowBy.sizeMs) + windowBy.sizeMs) % windowBy.sizeMs);
          if (Number.isNaN(windowStart)) windowStart = start;
          else if (start > windowStart) {
            closeWindow(windowStart + windowBy.sizeMs);
            windowStart = start;
          } else if (start < windowStart) return void ctx.metrics.count("late");
        } else if (windowCount === 0) windowStart = msg.ts;
        const payload = isRecord(msg.payload) ? msg.payload : {};
        for (let i = 0; i < windows.length; i++) {
          const value = payload[config.features[i]!];
          if (typeof value === "number" && Number.isFinite(value)) windows[i]!.add(value);
          else ctx.metrics.count("invalid_features");
        }
        windowCount += 1;
        if (detector && scoreField !== undefined) {
          const score = payload[scoreField];
          if (typeof score !== "number" || !Number.isFinite(score)) ctx.metrics.count("invalid_scores");
          else if (detector.add(score)) {
            ctx.metrics.count("output_drift_events");
            const scoreModel = model ?? (typeof msg.meta?.["model"] === "string" ? msg.meta["model"] : undefined);
            ctx.emit("events", { topic: "drift", ts: msg.ts, payload: { kind: "output-drift", detector: config.score!.detector, field: scoreField, count: detector.count, model: scoreModel } });
          }
        }
        if (windowBy.by === "count" && windowCount >= windowBy.count) closeWindow(msg.ts);
      },
    };
  },
});

function makeDetector(score: { detector: "page-hinkley" | "adwin"; delta: number; threshold: number }): ChangeDetector {
  return score.detector === "adwin"
    ? new Adwin({ delta: score.delta, clock: 32, maxBuckets: 5, minWindow: 5 })
    : new PageHinkley({ delta: score.delta, threshold: score.threshold, minInstances: 30 });
}

type ReferenceConfig = { from: "model"; model: string; version: number | "production" | "candidate" } | { from: "inline"; histograms: Record<string, FeatureHistogram> };

/** The histogram of every configured feature, checked now so a gap fails the deploy, not the first window. */
function loadReference(
  reference: ReferenceConfig,
  features: readonly string[],
  use: NodeContext<string>["use"],
): { histograms: Record<string, FeatureHistogram>; model: string | undefined } {
  let histograms: Record<string, FeatureHistogram>;
  let model: string | undefined;
  let where: string;
  if (reference.from === "inline") {
    histograms = reference.histograms;
    where = "config.reference.histograms";
  } else {
    const resolved = use(MODELS).resolve(reference.model, reference.version);
    model = `${resolved.name}@${resolved.version}`;
    histograms = {};
    for (const [name, stats] of Object.entries(resolved.reference)) if (stats.histogram) histograms[name] = stats.histogram;
    where = `model ${model}`;
  }
  features.forEach((name, i) => {
    const histogram = histograms[name];
    if (!histogram) {
      throw new AiotError("DRIFT_REFERENCE_MISSING", `${where} has no reference histogram for feature "${name}" (config.features[${i}])`, { path: `config.features[${i}]`, feature: name });
    }
    const problem = histogramProblem(histogram);
    if (problem) throw new AiotError("DRIFT_REFERENCE_INVALID", `${where}: the histogram of "${name}" ${problem}`, { path: `config.features[${i}]`, feature: name });
  });
  return { histograms, model };
}
