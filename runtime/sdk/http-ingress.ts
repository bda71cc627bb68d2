/**
 * Webhook endpoints for http-in nodes. The runtime owns the HTTP listener: under `aiotflow serve` the
 * admin API answers `POST /api/hooks/<flow>/<node>`; under `aiotflow run` a small listener does when
 * `--http-port` is given. A node registers a handler in `start` and removes it in `stop`.
 *
 * @example
 * const ingress = ctx.use(HTTP_INGRESS);
 * const endpoint = ingress.register(ctx.flowId, ctx.nodeId, (request) => ({ status: 202, body: { accepted: 1 } }));
 * // endpoint.path === "/api/hooks/<flow>/<node>"; endpoint.close() in stop()
 */
import { serviceKey } from "./services.ts";

export interface IngressRequest {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The JSON body, already parsed (a body that is not JSON never reaches the node: 400 API_BODY_MALFORMED). */
  readonly body: unknown;
}

export interface IngressReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type IngressHandler = (request: IngressRequest) => IngressReply;

export interface IngressEndpoint {
  /** Path the endpoint answers on, e.g. `/api/hooks/line-1/orders`. */
  readonly path: string;
  close(): void;
}

export interface HttpIngress {
  register(flowId: string, nodeId: string, handler: IngressHandler): IngressEndpoint;
}

export const HTTP_INGRESS = serviceKey<HttpIngress>("http-ingress");
