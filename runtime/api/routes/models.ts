import { Type } from "typebox";
import type { ModelRegistry } from "../../ml/model-registry.ts";
import { promotionWarnings } from "../../ml/promotion-warnings.ts";
import { AiotError, isAiotError, type ErrorCode } from "../../sdk/errors.ts";
import { MODEL_STAGES } from "../../sdk/models.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../http-errors.ts";
import { defineRoute, type Route } from "../route.ts";

const STATUS: Partial<Record<ErrorCode, number>> = {
  MODEL_NOT_FOUND: 404,
  MODEL_NOT_ONNX: 400,
  MODEL_INVALID: 400,
  MODEL_STAGE_INVALID: 400,
  MODEL_EVALUATION_FAILED: 409,
  MODEL_HASH_MISMATCH: 409,
};

const Tensor = Type.Object({ name: Type.String(), type: Type.String(), shape: Type.Array(Type.Union([Type.Number(), Type.String(), Type.Null()])) });
const Stage = Type.Union(MODEL_STAGES.map((s) => Type.Literal(s)), { description: "candidate, production or archived." });
const ModelVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  stage: Stage,
  sha256: Type.String(),
  size: Type.Integer(),
  featureNames: Type.Array(Type.String()),
  outputMeaning: Type.Array(Type.String()),
  inputs: Type.Array(Tensor),
  outputs: Type.Array(Tensor),
  reference: Type.Record(Type.String(), Type.Unknown()),
  metrics: Type.Record(Type.String(), Type.Unknown()),
  card: Type.String(),
  registeredAt: Type.String(),
  registeredBy: Type.String(),
});
const ModelSummary = Type.Object({
  name: Type.String(),
  production: Type.Optional(Type.Integer()),
  candidate: Type.Optional(Type.Integer()),
  versions: Type.Array(ModelVersion),
});
const FeatureReference = Type.Object(
  {
    mean: Type.Number(),
    std: Type.Number({ minimum: 0 }),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    count: Type.Optional(Type.Integer({ minimum: 0 })),
    histogram: Type.Optional(Type.Object({ edges: Type.Array(Type.Number()), proportions: Type.Array(Type.Number({ minimum: 0 })) })),
  },
  { description: "Training statistics of one feature (drift reference, explanation baseline)." },
);
const RegisterBody = Type.Object(
  {
    onnx: Type.String({ minLength: 1, description: "The ONNX file, base64-encoded." }),
    featureNames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, description: "Input columns in order (default: the model's aiotflow.features metadata)." })),
    outputMeaning: Type.Optional(Type.Array(Type.String(), { description: "What each output column means." })),
    reference: Type.Optional(Type.Record(Type.String(), FeatureReference, { description: "Feature name -> training statistics." })),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "Evaluation figures; `evaluation.passed: false` blocks promotion." })),
    card: Type.Optional(Type.String({ maxLength: 20_000, description: "Free text: purpose, training data, limits." })),
  },
  { additionalProperties: false },
);
const params = { name: "Model name (letters, digits, _ . : -).", v: "Model version: 1, 2, 3 ..." };
/** Raw uploads are not held to the JSON body limit: models are often a few MB. */
export const DEFAULT_MODEL_UPLOAD_BYTES = 64 * 1024 * 1024;
const UploadQuery = Type.Object(
  {
    features: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: "Input columns in order, comma-separated (default: the model's aiotflow.features metadata)." })),
    card: Type.Optional(Type.String({ maxLength: 2000, description: "Free text: purpose, training data, limits." })),
  },
  { additionalProperties: false },
);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The model registry: list, inspect, register (ONNX as base64 JSON), promote and archive. Every
 * registration and promotion, refused ones included, lands in the audit log.
 */
export function modelRoutes(deps: ApiDeps): Route[] {
  const registry = (): ModelRegistry => {
    if (!deps.models) throw new ApiError("SERVICE_UNAVAILABLE", "this server runs without a model registry", {}, 503);
    return deps.models;
  };
  const target = (param: (name: string) => string) => `model:${param("name")}`;
  const versionTarget = (param: (name: string) => string) => `model:${param("name")}@${param("v")}`;
  return [
    defineRoute({
      method: "get", path: "/api/models", operationId: "model.list", tag: "models", access: "viewer",
      summary: "Registered models with their versions and stage aliases",
      responses: { 200: { description: "Models by name.", schema: Type.Object({ models: Type.Array(ModelSummary) }) } },
      handler: () => ({ body: { models: registry().list() } }),
    }),
    defineRoute({
      method: "get", path: "/api/models/:name", operationId: "model.get", tag: "models", access: "viewer", params,
      summary: "One model: every version, its inputs, outputs, features, reference statistics, metrics and card",
      responses: { 200: { description: "The model.", schema: Type.Object({ model: ModelSummary }) } },
      handler: (ctx) => mapped(() => ({ body: { model: registry().get(ctx.param("name")) } })),
    }),
    defineRoute({
      method: "post", path: "/api/models/:name/versions", operationId: "model.register", tag: "models", access: "operator", params, target,
      summary: "Register an ONNX file as the next version (stage candidate)",
      description: "The file is checked to be ONNX; inputs, outputs, types and shapes are read from it and its sha256 is kept. Bodies are limited by the server's body limit (1 MiB by default).",
      body: RegisterBody,
      responses: { 201: { description: "Registered.", schema: Type.Object({ model: ModelVersion }) } },
      handler: (ctx) =>
        mapped(async () => {
          if (!BASE64.test(ctx.body.onnx)) throw new ApiError("API_BODY_INVALID", "onnx is not base64", { path: "body.onnx" });
          const { onnx, ...rest } = ctx.body;
          const model = await registry().register({ name: ctx.param("name"), bytes: Buffer.from(onnx, "base64"), ...rest, actor: ctx.principal.username });
          return { status: 201, body: { model } };
        }),
    }),
    defineRoute({
      method: "post", path: "/api/models/:name/upload", operationId: "model.upload", tag: "models", access: "operator", params, target,
      summary: "Register an ONNX file sent as raw bytes as the next version (stage candidate)",
      description: "`curl --data-binary @pump.onnx -H 'Content-Type: application/octet-stream' '/api/models/pump/upload?features=temp,vib'`. For reference statistics and metrics, use the JSON route.",
      query: UploadQuery,
      binaryBody: { types: ["application/octet-stream"], maxBytes: deps.limits?.modelBytes ?? DEFAULT_MODEL_UPLOAD_BYTES, description: "The ONNX file." },
      responses: { 201: { description: "Registered.", schema: Type.Object({ model: ModelVersion }) } },
      handler: (ctx) =>
        mapped(async () => {
          const featureNames = ctx.query.features?.split(",").map((f) => f.trim());
          if (featureNames?.some((f) => f === "")) throw new ApiError("API_QUERY_INVALID", "features has an empty name; give the names comma-separated, e.g. features=temp,vib", { path: "query.features" });
          const model = await registry().register({
            name: ctx.param("name"), bytes: ctx.bytes ?? new Uint8Array(), actor: ctx.principal.username,
            ...(featureNames ? { featureNames } : {}), ...(ctx.query.card !== undefined ? { card: ctx.query.card } : {}),
          });
          return { status: 201, body: { model } };
        }),
    }),
    defineRoute({
      method: "post", path: "/api/models/:name/versions/:v/promote", operationId: "model.promote", tag: "models", access: "operator", params, target: versionTarget,
      summary: "Move a version to a stage; production moves the alias and archives the previous version",
      body: Type.Object({ stage: Stage }, { additionalProperties: false }),
      responses: {
        200: {
          description: "The version with its new stage; `warnings` when flows following the alias lose something (a version without reference statistics: no drift checks, zero-baseline explanations).",
          schema: Type.Object({ model: ModelVersion, warnings: Type.Optional(Type.Array(Type.String())) }),
        },
      },
      errors: { 409: "The version failed evaluation (MODEL_EVALUATION_FAILED) or its file changed (MODEL_HASH_MISMATCH)." },
      handler: (ctx) =>
        mapped(async () => {
          const model = await registry().promote(ctx.param("name"), Number(ctx.param("v")), ctx.body.stage, ctx.principal.username);
          const warnings = promotionWarnings(model, ctx.body.stage);
          return { body: { model, ...(warnings.length > 0 ? { warnings } : {}) } };
        }),
    }),
    defineRoute({
      method: "post", path: "/api/models/:name/versions/:v/archive", operationId: "model.archive", tag: "models", access: "operator", params, target: versionTarget,
      summary: "Archive a version (flows following the production alias keep the version they run)",
      responses: { 200: { description: "The archived version.", schema: Type.Object({ model: ModelVersion }) } },
      handler: (ctx) => mapped(async () => ({ body: { model: await registry().promote(ctx.param("name"), Number(ctx.param("v")), "archived", ctx.principal.username) } })),
    }),
  ];
}

/** Registry errors answered with the status their code calls for (the API's table does not know them). */
async function mapped<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const status = isAiotError(error) && !(error instanceof ApiError) ? STATUS[error.code] : undefined;
    if (status === undefined) throw error;
    const aiot = error as AiotError;
    throw new ApiError(aiot.code, aiot.message, aiot.details, status);
  }
}
