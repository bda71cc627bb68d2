/** The live events of the admin API: the hub, its route and its limits (see hub.ts). */
export { createEventHub, type EventHub, type EventHubDeps, type EventStats } from "./hub.ts";
export { EVENTS_PATH, eventsRoute } from "./events-route.ts";
export type { EventLimits } from "./limits.ts";
