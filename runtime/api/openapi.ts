/**
 * The OpenAPI 3.1 document, built from the route specs (paths, roles, parameters, bodies,
 * responses) and the TypeBox schemas (components), so it describes exactly what is mounted.
 * openapi.test.ts walks the express router to prove it, in both directions.
 */
import type { TSchema } from "typebox";
import { flowJsonSchema } from "../contract/flow-format.ts";
import { paramSchema, PARAM_DESCRIPTIONS, pathParams, defineRoute, type Route } from "./route.ts";
import { COMPONENT_SCHEMAS } from "./schemas.ts";

type Json = Record<string, unknown>;

const DESCRIPTION = `The admin API of aiotflow: the flow library with versions, deploys to the local runtime, live events, users, tokens, secrets and the audit log.

Authentication: send \`Authorization: Bearer <token>\` (POST /api/auth/login gives a session token; an admin issues API tokens with POST /api/tokens). Roles are ordered viewer < editor < operator < admin: viewers read, editors change flows, versions and imports, operators deploy, stop and roll back and read the audit log, admins manage users, tokens and secrets. A server started with \`--no-auth\` treats every caller as the admin "anonymous" (local demos only).

Every error is \`{ "error": { "code", "message", "hint", "path"? } }\`; codes come from one catalogue. Request bodies are JSON (\`Content-Type: application/json\`), at most 1 MiB by default.

Live events: a WebSocket at /api/events. /metrics (Prometheus text format) answers without a token unless the server is configured otherwise, because Prometheus scrapes it.`;

const isRecord = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** A plain-JSON copy of `schema` in which every nested published schema becomes a `$ref`. */
function publish(schema: TSchema | Json, root = false): Json {
  const walk = (value: unknown, isRoot: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item, false));
    if (!isRecord(value)) return value;
    const name = value["x-component"];
    if (typeof name === "string" && !isRoot) return { $ref: `#/components/schemas/${name}` };
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "x-component").map(([key, inner]) => [key, walk(inner, false)]));
  };
  const copy: unknown = JSON.parse(JSON.stringify(schema));
  const published = walk(copy, root);
  return isRecord(published) ? published : {};
}

function components(): Record<string, Json> {
  const { $schema: _schema, $id: _id, ...flowDocument } = flowJsonSchema();
  const schemas: Record<string, Json> = { FlowDocument: flowDocument };
  for (const schema of COMPONENT_SCHEMAS) {
    const copy: unknown = JSON.parse(JSON.stringify(schema));
    const name = isRecord(copy) ? copy["x-component"] : undefined;
    if (typeof name === "string") schemas[name] = publish(schema, true);
  }
  return schemas;
}

const errorResponse = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** The error statuses every route of this shape can answer, besides its own. */
function standardErrors(route: Route): Record<number, string[]> {
  const errors: Record<number, string[]> = {};
  const add = (status: number, text: string) => (errors[status] ??= []).push(text);
  if (route.access !== "public") {
    add(401, "No token, or an unknown, revoked or expired one (AUTH_REQUIRED, AUTH_INVALID, AUTH_EXPIRED).");
    add(403, `The token's role is below ${route.access} (AUTH_FORBIDDEN).`);
  }
  if (pathParams(route.path).length > 0) {
    add(400, "An id in the path is malformed: slashes, dots only, control characters (ID_INVALID).");
    add(404, "Nothing has that id (FLOW_NOT_FOUND, VERSION_NOT_FOUND, NOT_FOUND).");
  }
  if (route.query) add(400, "A query parameter is wrong (API_QUERY_INVALID).");
  if (route.body) {
    add(400, "The body is not JSON or not the documented shape (API_BODY_MALFORMED with line and column, API_BODY_INVALID with the path).");
    add(413, "The body is over the size limit (API_BODY_TOO_LARGE).");
    add(415, "The body is not sent as application/json (API_CONTENT_TYPE).");
  }
  if (route.binaryBody) {
    add(400, "No file in the body (API_BODY_INVALID).");
    add(413, `The file is over ${route.binaryBody.maxBytes} bytes (API_BODY_TOO_LARGE).`);
    add(415, `The body is not sent as ${route.binaryBody.types.join(" or ")} (API_CONTENT_TYPE).`);
  }
  for (const [status, text] of Object.entries(route.errors ?? {})) add(Number(status), text);
  return errors;
}

function operation(route: Route): Json {
  const parameters: Json[] = pathParams(route.path).map((name) => ({
    name,
    in: "path",
    required: true,
    description: route.params?.[name] ?? PARAM_DESCRIPTIONS[name] ?? name,
    schema: publish(paramSchema(name)),
  }));
  const query = route.query ? publish(route.query) : {};
  const required = new Set(Array.isArray(query["required"]) ? query["required"] : []);
  for (const [name, schema] of Object.entries(isRecord(query["properties"]) ? query["properties"] : {})) {
    const description = isRecord(schema) ? schema["description"] : undefined;
    parameters.push({ name, in: "query", required: required.has(name), ...(description ? { description } : {}), schema });
  }
  const responses: Json = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    const type = doc.contentType ?? "application/json";
    responses[status] = { description: doc.description, content: { [type]: doc.schema ? { schema: publish(doc.schema) } : {} } };
  }
  for (const [status, texts] of Object.entries(standardErrors(route))) responses[status] = errorResponse(texts.join(" "));
  const role = route.access === "public" ? "No token needed." : `Role: ${route.access} or above.`;
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description ? `${route.description}\n\n${role}` : role,
    tags: [route.tag],
    "x-aiotflow-role": route.access,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: !route.bodyOptional, content: { "application/json": { schema: publish(route.body) } } } }
      : route.binaryBody
        ? { requestBody: { required: true, description: route.binaryBody.description, content: Object.fromEntries(route.binaryBody.types.map((t) => [t, { schema: { type: "string", contentMediaType: t } }])) } }
        : {}),
    responses,
    security: route.access === "public" ? [] : [{ bearerAuth: [] }],
  };
}

export function openApiDocument(routes: readonly Route[], version = "0.1.0"): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) (paths[route.path.replace(/:(\w+)/g, "{$1}")] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: { title: "aiotflow admin API", version, description: DESCRIPTION, license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A session token (POST /api/auth/login) or an API token (POST /api/tokens)." },
      },
      schemas: components(),
    },
  };
}

/** GET /api/openapi.json: the document of `routes` (this route included), built on first request. */
export function openApiRoute(routes: () => readonly Route[]): Route {
  let document: Json | undefined;
  return defineRoute({
    method: "get",
    path: "/api/openapi.json",
    operationId: "openapi",
    tag: "meta",
    summary: "This document",
    access: "public",
    responses: { 200: { description: "OpenAPI 3.1." } },
    handler: () => ({ body: (document ??= openApiDocument(routes())) }),
  });
}
