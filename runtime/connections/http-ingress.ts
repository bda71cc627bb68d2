import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AiotError, errorMessage } from "../sdk/errors.ts";
import type { HttpIngress, IngressEndpoint, IngressHandler, IngressReply } from "../sdk/http-ingress.ts";

export const HOOKS_PREFIX = "/api/hooks";
const MAX_BODY_BYTES = 1024 * 1024;

function notFound(flowId: string, nodeId: string): IngressReply {
  const error = new AiotError("NOT_FOUND", `no webhook at ${HOOKS_PREFIX}/${flowId}/${nodeId}: no running http-in node "${nodeId}" in flow "${flowId}"`);
  return { status: 404, body: { error: error.toJSON() } };
}

/**
 * The webhook endpoints of one runtime: http-in nodes register here, and the HTTP side (the admin
 * API's hooks route, or `listen` for `aiotflow run`) dispatches requests to them.
 */
export class HttpIngressRegistry implements HttpIngress {
  private readonly handlers = new Map<string, IngressHandler>();

  register(flowId: string, nodeId: string, handler: IngressHandler): IngressEndpoint {
    const id = `${flowId}/${nodeId}`;
    // A hot redeploy starts the new node before the old one stops: the newest registration wins.
    this.handlers.set(id, handler);
    return {
      path: `${HOOKS_PREFIX}/${id}`,
      close: () => {
        if (this.handlers.get(id) === handler) this.handlers.delete(id);
      },
    };
  }

  dispatch(flowId: string, nodeId: string, headers: Readonly<Record<string, string | undefined>>, body: unknown): IngressReply {
    const handler = this.handlers.get(`${flowId}/${nodeId}`);
    return handler ? handler({ headers, body }) : notFound(flowId, nodeId);
  }

  /**
   * A bare listener for `aiotflow run`: `POST /api/hooks/<flow>/<node>` with a JSON body, nothing
   * else. Resolves once listening, with the port (0 picks a free one).
   */
  async listen(port: number, host: string): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      const reply = (r: IngressReply) => {
        res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
        res.end(JSON.stringify(r.body));
      };
      const match = /^\/api\/hooks\/([A-Za-z0-9_.:-]{1,128})\/([A-Za-z0-9_.:-]{1,128})\/?$/.exec((req.url ?? "").split("?")[0]!);
      if (!match || req.method !== "POST") {
        return reply({ status: 404, body: { error: new AiotError("API_ROUTE_UNKNOWN", `only POST ${HOOKS_PREFIX}/<flow>/<node> is served here`).toJSON() } });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reply({ status: 413, body: { error: new AiotError("API_BODY_TOO_LARGE", `the body is over ${MAX_BODY_BYTES} bytes`).toJSON() } });
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on("end", () => {
        if (res.headersSent) return;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch (error) {
          return reply({ status: 400, body: { error: new AiotError("API_BODY_MALFORMED", `the body is not JSON: ${errorMessage(error)}`).toJSON() } });
        }
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
        reply(this.dispatch(match[1]!, match[2]!, headers, body));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return { server, port: (server.address() as AddressInfo).port };
  }
}
