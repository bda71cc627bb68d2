/**
 * Runtime services a node may use without importing the runtime: the model registry, shared
 * connections, an HTTP ingress. A service is named by a typed key declared next to its interface, so
 * `ctx.use(key)` is typed with no cast; the runtime (serve, run, a test) decides what it provides.
 *
 * @example
 * export const MODELS = serviceKey<ModelResolver>("models");
 * // in a node's create(): const models = ctx.use(MODELS);   // SERVICE_UNAVAILABLE if not provided
 */
export interface ServiceKey<T> {
  readonly name: string;
  /** Carries T for inference only; never read. */
  readonly __type?: (value: T) => T;
}

export function serviceKey<T>(name: string): ServiceKey<T> {
  return { name };
}

/** What a runtime provides: key name -> implementation. Build one with `provide`. */
export type Services = ReadonlyMap<string, unknown>;

/** One service, typed when made: `provide(MODELS, registry)` fails to compile on a wrong type. */
export interface ServiceBinding {
  readonly name: string;
  readonly value: unknown;
}

export function provide<T>(key: ServiceKey<T>, value: T): ServiceBinding {
  return { name: key.name, value };
}

export function services(...bindings: ServiceBinding[]): Services {
  return new Map(bindings.map((b) => [b.name, b.value]));
}

/** The value behind `key`, or undefined: the engine turns undefined into SERVICE_UNAVAILABLE. */
export function lookup<T>(provided: Services | undefined, key: ServiceKey<T>): T | undefined {
  // The map is only filled through provide(), which ties each name to its key's type.
  return provided?.get(key.name) as T | undefined;
}
