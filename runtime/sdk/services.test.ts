import assert from "node:assert/strict";
import { test } from "node:test";
import { Type } from "./schema.ts";
import { defineNode } from "./define.ts";
import { harness } from "./testing.ts";
import { provide, serviceKey, services } from "./services.ts";
import { isAiotError } from "./errors.ts";

interface Greeter {
  greet(name: string): string;
}
const GREETER = serviceKey<Greeter>("greeter");

const greeting = defineNode({
  type: "test-greeting",
  version: 1,
  family: "util",
  title: "Greeting",
  summary: "Greets the key through the greeter service.",
  config: Type.Object({}),
  inputs: { in: { kind: "any", description: "Any message." } },
  outputs: { out: { kind: "any", description: "The greeting." } },
  examples: [],
  create(_config, ctx) {
    const greeter = ctx.use(GREETER);
    return { onMessage: (msg) => void ctx.emit("out", { ...msg, payload: greeter.greet(msg.key ?? "?") }) };
  },
});

test("a node reaches a provided service through its typed key", () => {
  const h = harness(greeting, {}, { services: services(provide(GREETER, { greet: (n) => `hello ${n}` })) });
  h.send({ topic: "t", key: "pump-1", ts: 0, payload: null });
  assert.equal(h.out("out")[0]?.payload, "hello pump-1");
});

test("a service the runtime does not provide fails creation with SERVICE_UNAVAILABLE naming it", () => {
  assert.throws(() => harness(greeting, {}), (error) => isAiotError(error) && error.code === "SERVICE_UNAVAILABLE" && /greeter/.test(error.message));
});
