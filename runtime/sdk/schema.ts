import Type, { type TObject, type TSchema } from "typebox";

export { Type };
export type { Static, TObject, TSchema } from "typebox";

/**
 * A config field that holds a secret reference, `{ "$secret": "broker-password" }`. The loader
 * refuses a clear-text value here (FLOW_SECRET_INLINE); the runtime resolves the name from its store.
 */
export function Secret(description: string) {
  return Type.Object({ $secret: Type.String({ minLength: 1, description: "Name in the secret store." }) }, {
    description,
    secret: true,
    additionalProperties: false,
  });
}

/** A closed object: unknown fields are reported instead of silently ignored (typos in configs). */
export function Config<P extends Record<string, TSchema>>(properties: P, description?: string): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
}
