import type { Static, TObject, TSchema } from "typebox";
import Compile from "typebox/compile";
import Value from "typebox/value";
import type { AnyNodeDefinition } from "./define.ts";
import { AiotError } from "./errors.ts";
import { closest } from "./suggest.ts";

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();
function validatorFor(schema: TSchema): ReturnType<typeof Compile> {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = Compile(schema)));
  return validator;
}

/** `/set/alarm` -> `.set.alarm`, `/fields/0` -> `.fields[0]`, appended to `base`. */
export function jsonPointerToPath(base: string, pointer: string): string {
  if (!pointer) return base;
  const parts = pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}${path ? "." : ""}${part}`), base);
}

/**
 * Turns TypeBox's Ajv-style errors into one readable line per problem. Branches of a discriminated
 * union whose discriminant did not match are dropped, so the user sees only the branch they meant.
 */
export function schemaProblems(schema: TSchema, value: unknown, basePath: string): Array<{ path: string; message: string }> {
  const errors = [...validatorFor(schema).Errors(value)] as SchemaError[];
  const deadBranches = errors
    .filter((e) => e.keyword === "const" && /\/anyOf\/\d+\/properties\/[^/]+$/.test(e.schemaPath))
    .map((e) => e.schemaPath.replace(/\/properties\/[^/]+$/, "/"));
  const live = errors.filter((e) => !deadBranches.some((branch) => `${e.schemaPath}/`.startsWith(branch)));
  const problems: Array<{ path: string; message: string }> = [];
  // A discriminated union whose discriminant is absent (`window: { sizeMs: 1000 }`): ask for it.
  for (const union of errors.filter((e) => e.keyword === "anyOf")) {
    const branches = (schemaAt(schema, union.schemaPath)?.anyOf ?? []) as Array<{ properties?: Record<string, { const?: unknown }> }>;
    const tag = Object.keys(branches[0]?.properties ?? {}).find((name) => branches.every((b) => b.properties?.[name]?.const !== undefined));
    const at = valueAt(value, union.instancePath);
    if (!tag || !at || typeof at !== "object" || Object.hasOwn(at, tag)) continue;
    const allowed = branches.map((b) => b.properties![tag]!.const);
    problems.push({ path: jsonPointerToPath(basePath, `${union.instancePath}/${tag}`), message: `is missing: one of ${JSON.stringify(allowed)}` });
    for (let i = live.length - 1; i >= 0; i--) if (live[i]!.schemaPath.startsWith(union.schemaPath)) live.splice(i, 1);
  }
  // Every branch refused the discriminant (`by: "hours"`): say which values it may take.
  for (const union of errors.filter((e) => e.keyword === "anyOf")) {
    const tags = errors.filter((e) => e.keyword === "const" && e.schemaPath.startsWith(`${union.schemaPath}/anyOf/`) && e.instancePath.startsWith(union.instancePath));
    // A union of plain literals ("production" | "candidate") has its const right at the branch (`/anyOf/1`).
    const branches = new Set(tags.map((e) => /\/anyOf\/(\d+)(?:\/|$)/.exec(e.schemaPath.slice(union.schemaPath.length))?.[1]));
    const width = schemaAt(schema, union.schemaPath)?.anyOf?.length ?? -1;
    if (tags.length > 0 && branches.size === width) {
      problems.push({ path: jsonPointerToPath(basePath, tags[0]!.instancePath), message: `must be one of ${JSON.stringify(tags.map((e) => e.params["allowedValue"]))}` });
      for (const reported of [union, ...tags]) if (live.includes(reported)) live.splice(live.indexOf(reported), 1);
    }
  }
  const seen = new Set<string>();
  for (const error of live) {
    if (error.keyword === "boolean") continue; // duplicate of the additionalProperties error
    if (error.keyword === "anyOf" && live.some((e) => e !== error && e.instancePath.startsWith(error.instancePath))) continue;
    const { path, message } = describe(error, basePath, schema);
    const id = `${path}\u0000${message}`;
    if (!seen.has(id)) problems.push({ path, message }), seen.add(id);
  }
  // TypeBox reports a bounded number of errors: a union branch that does not apply can use them all
  // up and hide the real one. A value that fails the check is never passed as valid for lack of words.
  if (problems.length === 0 && errors.length > 0 && !validatorFor(schema).Check(value)) {
    const deepest = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
    problems.push({ path: jsonPointerToPath(basePath, deepest.instancePath), message: "does not match any allowed form of this field; check it against the node's docs" });
  }
  return problems;
}

function valueAt(value: unknown, pointer: string): unknown {
  for (const part of pointer.split("/").slice(1)) value = (value as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return value;
}

function schemaAt(schema: TSchema, pointer: string): { anyOf?: unknown[] } | undefined {
  let node: unknown = schema;
  for (const part of pointer.replace(/^#\/?/, "").split("/").filter(Boolean)) node = (node as Record<string, unknown> | undefined)?.[part];
  return node as { anyOf?: unknown[] } | undefined;
}

function describe(error: SchemaError, basePath: string, schema: TSchema): { path: string; message: string } {
  const path = jsonPointerToPath(basePath, error.instancePath);
  switch (error.keyword) {
    case "additionalProperties": {
      const names = (error.params["additionalProperties"] as string[] | undefined) ?? [];
      const known = Object.keys((schemaAt(schema, error.schemaPath) as { properties?: object } | undefined)?.properties ?? {});
      const described = names.map((n) => {
        const hint = closest(n, known);
        return `"${n}"${hint ? ` (did you mean "${hint}"?)` : ""}`;
      });
      return { path, message: `unknown field${names.length > 1 ? "s" : ""} ${described.join(", ")}` };
    }
    case "required": {
      const names = (error.params["requiredProperties"] as string[] | undefined) ?? [];
      return { path, message: `missing required field${names.length > 1 ? "s" : ""} ${names.map((n) => `"${n}"`).join(", ")}` };
    }
    case "enum":
      return { path, message: `must be one of ${JSON.stringify(error.params["allowedValues"])}` };
    case "const":
      return { path, message: `must be ${JSON.stringify(error.params["allowedValue"])}` };
    case "anyOf":
      return { path, message: "does not match any of the allowed shapes" };
    default:
      return { path, message: error.message };
  }
}

/** Fields whose schema says `secret: true` must hold `{ "$secret": name }`, never the value itself. */
function inlineSecrets(schema: TSchema, value: unknown, path: string): string[] {
  const s = schema as TSchema & { secret?: boolean; properties?: Record<string, TSchema>; items?: TSchema };
  if (s.secret && value !== undefined && (value === null || typeof value !== "object")) return [path];
  if (s.properties && value && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(s.properties).flatMap(([name, child]) =>
      inlineSecrets(child, (value as Record<string, unknown>)[name], `${path}${path ? "." : ""}${name}`),
    );
  }
  if (s.items && Array.isArray(value)) return value.flatMap((item, i) => inlineSecrets(s.items!, item, `${path}[${i}]`));
  return [];
}

/** `__proto__` and friends as own keys (JSON.parse makes them): a copy would silently drop them. */
function reservedKeys(value: unknown, path: string): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.keys(value).flatMap((key) => {
    const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (key === "__proto__" || key === "constructor" || key === "prototype") return [at];
    return reservedKeys((value as Record<string, unknown>)[key], at);
  });
}

type DefaultsSchema = TSchema & { default?: unknown; properties?: Record<string, DefaultsSchema>; items?: DefaultsSchema; anyOf?: DefaultsSchema[]; const?: unknown };

/**
 * Fills in defaults. Unlike TypeBox's `Value.Default`, a discriminated union applies the defaults of
 * the branch named by its discriminant even when the rest of that branch is invalid, so the user is
 * told about their actual mistake rather than about fields they left to their defaults.
 */
export function applyDefaults(schema: DefaultsSchema, value: unknown): unknown {
  if (value === undefined && schema.default !== undefined) value = Value.Clone(schema.default);
  if (schema.anyOf && value && typeof value === "object") {
    const branch = schema.anyOf.find((b) =>
      Object.entries(b.properties ?? {}).some(([name, p]) => p.const !== undefined && (value as Record<string, unknown>)[name] === p.const),
    );
    return branch ? applyDefaults(branch, value) : value;
  }
  if (schema.properties && value && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const [name, child] of Object.entries(schema.properties)) {
      const filled = applyDefaults(child, record[name]);
      if (filled !== undefined) record[name] = filled;
    }
  }
  if (schema.items && Array.isArray(value)) value.forEach((item, i) => ((value as unknown[])[i] = applyDefaults(schema.items!, item)));
  return value;
}

export type ConfigResult<C> = { ok: true; config: C } | { ok: false; errors: AiotError[] };

/**
 * Applies defaults and validates a node's config, reporting every problem with its full path
 * (`nodes[3].config.size: must be >= 1`). `basePath` is where the config sits in the flow.
 */
export function parseConfig<C extends TObject>(
  definition: { readonly type: string; readonly config: C; check?(config: Static<C>): Array<{ path: string; message: string }> },
  raw: unknown,
  basePath = "config",
): ConfigResult<Static<C>> {
  const reserved = reservedKeys(raw, basePath);
  if (reserved.length > 0) {
    return {
      ok: false,
      errors: reserved.map((path) => new AiotError("NODE_CONFIG_INVALID", "this field name is reserved; choose another", { path, nodeType: definition.type })),
    };
  }
  const withDefaults = applyDefaults(definition.config, Value.Clone(raw ?? {}));
  const secrets = inlineSecrets(definition.config, withDefaults, "");
  if (secrets.length > 0) {
    return {
      ok: false,
      errors: secrets.map(
        (p) => new AiotError("FLOW_SECRET_INLINE", "holds a secret in clear text", { path: `${basePath}.${p}`, nodeType: definition.type }),
      ),
    };
  }
  const problems = schemaProblems(definition.config, withDefaults, basePath);
  if (problems.length === 0 && definition.check) {
    const config = withDefaults as Static<C>;
    for (const p of definition.check(config)) problems.push({ path: `${basePath}.${p.path}`, message: p.message });
  }
  if (problems.length > 0) {
    return { ok: false, errors: problems.map((p) => new AiotError("NODE_CONFIG_INVALID", p.message, { path: p.path, nodeType: definition.type })) };
  }
  return { ok: true, config: withDefaults as Static<C> };
}

/** Like `parseConfig` but throws the first error; for tests and programmatic use. */
export function configOf<D extends AnyNodeDefinition>(definition: D, raw: unknown): Parameters<D["create"]>[0] {
  const result = parseConfig(definition, raw);
  if (!result.ok) throw result.errors[0];
  return result.config;
}
