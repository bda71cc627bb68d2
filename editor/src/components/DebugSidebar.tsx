/** Live events of the open flow over the events WebSocket: debug messages, errors, deploy progress. */
import { memo, useEffect, useState } from "react";
import { eventsUrl } from "../api.ts";
import type { LiveStatus } from "../context.ts";

interface Line {
  readonly key: number;
  readonly kind: string;
  readonly node: string;
  readonly text: string;
}

const KEEP = 200;
let counter = 0;

function lineOf(event: Record<string, unknown>): Line | undefined {
  const node = typeof event["node"] === "string" ? event["node"] : "";
  const key = ++counter;
  switch (event["type"]) {
    case "debug":
      return { key, kind: "debug", node, text: `[${String(event["label"] ?? node)}] ${JSON.stringify(event["msg"]).slice(0, 400)}` };
    case "error":
      return { key, kind: "error", node, text: `${String(event["code"])}: ${String(event["message"])}` };
    case "deploy":
      return { key, kind: "deploy", node: "", text: `deploy v${String(event["version"])}: ${String(event["phase"])}${event["detail"] ? ` (${String(event["detail"])})` : ""}` };
    case "debug-dropped":
    case "dropped":
      return { key, kind: "note", node: "", text: `${String(event["count"])} messages not shown (rate limit)` };
    default:
      return undefined;
  }
}

function DebugSidebarImpl({ flowId, onStatus }: { flowId: string | undefined; onStatus: (node: string, status: LiveStatus) => void }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [paused, setPaused] = useState(false);
  const [connected, setConnected] = useState(false);

  useEffect(() => setLines([]), [flowId]);
  useEffect(() => {
    if (!flowId || paused) return;
    const socket = new WebSocket(eventsUrl(flowId));
    socket.onopen = () => setConnected(true);
    socket.onclose = () => setConnected(false);
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as Record<string, unknown>;
      if (event["type"] === "status" && typeof event["node"] === "string") onStatus(event["node"], event["status"] as LiveStatus);
      if (event["type"] === "error" && typeof event["node"] === "string") onStatus(event["node"], { state: "error", text: String(event["message"]) });
      const line = lineOf(event);
      if (line) setLines((current) => [line, ...current].slice(0, KEEP));
    };
    return () => socket.close();
  }, [flowId, paused, onStatus]);

  return (
    <section className="debug" aria-label="Debug messages">
      <h2>
        Debug {flowId ? <small>{connected ? "live" : "connecting…"}</small> : <small>save the flow to watch it</small>}
        <button type="button" onClick={() => setPaused(!paused)}>{paused ? "Resume" : "Pause"}</button>
      </h2>
      <ol data-testid="debug-messages">
        {lines.map((l) => (
          <li key={l.key} className={`debug-${l.kind}`}>
            {l.node && <b>{l.node}</b>} {l.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

export const DebugSidebar = memo(DebugSidebarImpl);
