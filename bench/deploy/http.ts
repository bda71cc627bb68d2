// A minimal JSON-over-HTTP client for the deploy benchmark (node:http with a keep-alive agent), so the
// timed request is not charged for fetch's lazy start-up or a new connection per request.
import { Agent, request } from "node:http";

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          accept: "application/json",
          ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export function closeHttp(): void {
  agent.destroy();
}
