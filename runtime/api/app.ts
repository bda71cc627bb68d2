/**
 * The admin API: express 5 app with every route, the live-event WebSocket and /metrics.
 *
 * @example
 * const api = createApi({ catalog, flows, users, audit, secrets, runtime, auth: true });
 * const server = http.createServer(api.app);
 * api.attachWebSocket(server);
 * server.listen(8080);
 */
import type { Server } from "node:http";
import express from "express";
import { createGate } from "./auth.ts";
import type { ApiDeps } from "./deps.ts";
import { createEventHub, EVENTS_PATH, eventsRoute } from "./events/index.ts";
import { answerUnhandledAsJson, errorExit, routeUnknown } from "./http-errors.ts";
import { metricsRoute } from "./metrics.ts";
import { openApiRoute } from "./openapi.ts";
import { requestGuard } from "./request-guard.ts";
import { mountRoutes, type Route } from "./route.ts";
import { auditRoutes } from "./routes/audit.ts";
import { authRoutes } from "./routes/auth.ts";
import { bundleRoutes } from "./routes/bundles.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { assetRoutes } from "./routes/assets.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { connectionRoutes } from "./routes/connections.ts";
import { deployRoutes } from "./routes/deploy.ts";
import { flowRoutes } from "./routes/flows.ts";
import { runtimeRoutes } from "./routes/runtime.ts";
import { modelRoutes } from "./routes/models.ts";
import { featureRoutes } from "./routes/features.ts";
import { secretRoutes } from "./routes/secrets.ts";
import { userRoutes } from "./routes/users.ts";
import { versionRoutes } from "./routes/versions.ts";
import { variantRoutes } from "./routes/variants.ts";

export type { ApiDeps, ApiLimits } from "./deps.ts";

export interface Api {
  readonly app: express.Express;
  /** Serves /api/events on `server` (call once per server). */
  attachWebSocket(server: Server): void;
  /** Closes event clients and stops the event hub's timer; the HTTP server is the caller's. */
  close(): void;
}

/** Every route the API serves, in mount order (the OpenAPI document lists the same). */
export function apiRoutes(deps: ApiDeps, events: Parameters<typeof metricsRoute>[1]): Route[] {
  const routes: Route[] = [
    ...authRoutes(deps),
    ...catalogRoutes(deps),
    // Fixed paths (/api/flows/validate, /api/flows/import) before /api/flows/:id.
    ...flowRoutes(deps),
    ...bundleRoutes(deps),
    ...versionRoutes(deps),
    ...deployRoutes(deps),
    ...runtimeRoutes(deps),
    ...auditRoutes(deps),
    ...userRoutes(deps),
    ...secretRoutes(deps),
    ...modelRoutes(deps),
    ...featureRoutes(deps),
    ...variantRoutes(deps),
    ...connectionRoutes(deps),
    ...assetRoutes(deps),
    ...hookRoutes(deps),
    eventsRoute(),
    metricsRoute(deps, events),
  ];
  routes.push(openApiRoute(() => routes));
  return routes;
}

export function createApi(deps: ApiDeps): Api {
  const gate = createGate(deps);
  const hub = createEventHub({ runtime: deps.runtime, gate, auth: deps.auth, limits: deps.limits?.events, logger: deps.logger });
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    next();
  });
  // Cross-site writes, and in --no-auth mode non-loopback Host names (DNS rebinding): 403.
  router.use(requestGuard(deps.auth));
  // Live events for clients that cannot speak WebSocket (curl -N, EventSource): same hub, same limits.
  router.get(EVENTS_PATH, (req, res, next) => {
    if (req.headers.accept?.includes("text/event-stream")) void hub.stream(req, res);
    else next();
  });
  mountRoutes(router, apiRoutes(deps, hub.stats), deps, gate);
  router.use("/api", routeUnknown);
  router.use(errorExit(deps.logger));
  app.use(router);
  // Paths nothing answers, /api or not, get the JSON 404 instead of express's HTML page.
  answerUnhandledAsJson(app as unknown as Parameters<typeof answerUnhandledAsJson>[0], deps.logger);
  if (!deps.auth) deps.logger?.warn("authentication is OFF (--no-auth): anyone who can reach this port is admin; use it for local demos only");
  return { app, attachWebSocket: (server) => hub.attach(server), close: () => hub.close() };
}
