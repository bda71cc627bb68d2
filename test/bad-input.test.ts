/**
 * Bad input through real nodes in a running flow: each bad message gets a coded error that names the
 * node and the field, the flow keeps running, and every other message arrives.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../runtime/catalog/catalog.ts";
import { Engine } from "../runtime/core/engine.ts";
import type { Message } from "../runtime/sdk/index.ts";
import { VirtualClock } from "../runtime/sdk/clock.ts";
import { flowOf, probeNodes } from "./support/test-nodes.ts";

const probe = probeNodes();
const catalog = await loadCatalog(probe.definitions);

const reading = (payload: unknown, i: number): Message => ({ topic: "sensors/pump-1", key: "pump-1", ts: i * 1000, payload });

describe("bad messages in a running flow", () => {
  it("routes each wrong-shaped message to the error port with its code and place, and delivers the rest", async () => {
    const engine = new Engine({ catalog, clock: new VirtualClock(), freezeMessages: true });
    await engine.deploy(
      flowOf(
        [
          ["src", "test-source"],
          ["clean", "range-check", { rules: [{ field: "vibration", min: 0, max: 20 }] }],
          ["scale", "map", { set: { vibration_g: "payload.vibration / 9.81", hot: "payload.temperature > 80" } }],
          ["gate", "threshold", { field: "vibration", raise: 7, clear: 6 }],
          ["out", "test-sink"],
          ["errors", "test-sink"],
        ],
        ["src.out->clean.in", "clean.out->scale.in", "scale.out->gate.in", "gate.normal->out.in", "gate.alarm->out.in", "clean.error->errors.in", "scale.error->errors.in", "gate.error->errors.in"],
      ),
    );
    const send = probe.sources.get("src")!;
    const inputs: unknown[] = [
      { vibration: 2, temperature: 60 },
      "vibration=2", // not an object
      { vibration: 3 }, // no temperature for the map expression
      { vibration: 4, temperature: 90 },
      { vibration: 5, temperature: 70 },
    ];
    inputs.forEach((payload, i) => send(reading(payload, i)));
    await engine.idle();
    const delivered = probe.received.get("out")!.map((m) => (m.payload as { vibration: number }).vibration);
    assert.deepEqual(delivered, [2, 4, 5]);
    const errors = probe.received.get("errors")!.map((m) => m.payload as Record<string, unknown>);
    assert.deepEqual(
      errors.map((e) => [e["code"], e["node"], e["path"]]),
      [
        ["MESSAGE_SHAPE_INVALID", "clean", "payload"],
        ["EXPRESSION_FAILED", "scale", "config.set.hot"],
      ],
    );
    assert.deepEqual((errors[1]!["input"] as Message).payload, { vibration: 3 }, "the failed message travels with its error");
    assert.equal(engine.running, true);
    await engine.stop();
  });
});
