/**
 * Backpressure as one node sees it. `backpressureProbe(definition)` wraps a node definition so that
 * every `ctx.emit` and `ctx.writable()` of its instances is watched: an emit that returned false
 * pauses the node until a `writable()` it asked for resolves, and an emit made while paused is
 * counted as a violation (the node did not honour backpressure). The probe can also saturate the
 * flow itself: after `saturate()` every emit returns false and `writable()` waits for `drain()`.
 * Run the wrapped definition in the harness or in a real engine; the rest of the flow is real.
 *
 * @example
 * const probe = backpressureProbe(simulatedSensor);
 * probe.saturate();
 * const h = harness(probe.definition, { intervalMs: 0, count: 100 });
 * await h.node.start?.();
 * await until(() => probe.waits > 0, "the sensor waiting");
 * assert.equal(probe.emitted, 1);
 * probe.drain();
 */
import type { AnyNodeDefinition, NodeContext, NodeDefinition } from "../../runtime/sdk/define.ts";
import type { TObject } from "../../runtime/sdk/schema.ts";

export interface BackpressureProbe<D> {
  /** The definition to deploy in place of the original (same type, config and ports). */
  readonly definition: D;
  /** From now on every emit reports a saturated flow and `writable()` waits for `drain()`. */
  saturate(): void;
  /** Ends `saturate()`: the waiting `writable()` calls resolve (once the real flow can take more). */
  drain(): void;
  /** Emits made, on any port. */
  readonly emitted: number;
  /** Emits that returned false. */
  readonly refused: number;
  /** Emits made while paused: after one returned false and before a `writable()` resolved. */
  readonly violations: number;
  /** `writable()` calls made by the node. */
  readonly waits: number;
}

export function backpressureProbe<C extends TObject, In extends string, Out extends string>(
  original: NodeDefinition<C, In, Out>,
): BackpressureProbe<NodeDefinition<C, In, Out>>;
export function backpressureProbe(original: AnyNodeDefinition): BackpressureProbe<NodeDefinition>;
export function backpressureProbe(original: AnyNodeDefinition): BackpressureProbe<NodeDefinition> {
  let saturated = false;
  let drained: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  const counts = { emitted: 0, refused: 0, violations: 0, waits: 0 };

  function watch(ctx: NodeContext<string>): NodeContext<string> {
    let paused = false;
    return {
      ...ctx,
      emit(port, msg) {
        counts.emitted++;
        if (paused) counts.violations++;
        const taken = ctx.emit(port, msg) && !saturated;
        if (!taken) {
          counts.refused++;
          paused = true;
        }
        return taken;
      },
      async writable() {
        counts.waits++;
        await Promise.all([ctx.writable(), drained]);
        paused = false;
      },
    };
  }

  // Examples are documentation, typed per node and erased in a catalog: the probe's copy only runs the node.
  const definition: NodeDefinition = { ...original, examples: [], create: (config, ctx) => original.create(config, watch(ctx)) };
  return {
    definition,
    saturate() {
      if (saturated) return;
      saturated = true;
      drained = new Promise((resolve) => (open = resolve));
    },
    drain() {
      saturated = false;
      open();
    },
    get emitted() {
      return counts.emitted;
    },
    get refused() {
      return counts.refused;
    },
    get violations() {
      return counts.violations;
    },
    get waits() {
      return counts.waits;
    },
  };
}
