/**
 * Deploy and rollback with the runtime's live progress: listens to the flow's deploy events on the
 * events WebSocket while the API call runs, then shows the answer (version and when it took
 * effect, or the failure with its coded problems and what keeps running).
 */
import { useReactFlow } from "@xyflow/react";
import { useCallback, useContext, useEffect, useRef, useState } from "react";
import { ApiFailure, describeFailure, eventsUrl } from "../api.ts";
import { DeployFailedContext } from "../context.ts";
import {
  deploySummary, describeProblem, onDeployAnswer, onDeployEvent, onDeployFailure, phaseTrack, startDeploy, type DeployKind, type DeployState,
} from "../graph/deploy-progress.ts";
import { versionsApi } from "../versions-api.ts";

/** How long to wait for the socket before deploying without live progress, and for events trailing the answer. */
const OPEN_WAIT_MS = 2000;
const TRAIL_WAIT_MS = 1500;

function openSocket(flowId: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(eventsUrl(flowId));
    } catch {
      return resolve(undefined);
    }
    const timer = window.setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, OPEN_WAIT_MS);
    socket.onopen = () => {
      window.clearTimeout(timer);
      resolve(socket);
    };
    socket.onerror = () => {
      window.clearTimeout(timer);
      resolve(undefined);
    };
  });
}

/** Runs one deploy or rollback at a time and keeps its state for <DeployProgress>. */
export function useDeployRunner() {
  const [state, setState] = useState<DeployState>();
  const busy = useRef(false);
  const flow = useReactFlow();
  const marks = useContext(DeployFailedContext);
  // The failing nodes stay marked while the failure is shown; a new deploy or closing it clears them.
  useEffect(() => marks.set(state?.failure?.nodes ?? []), [marks, state?.failure?.nodes]);
  const run = useCallback(async (flowId: string, kind: DeployKind): Promise<DeployState | undefined> => {
    if (busy.current) return undefined;
    busy.current = true;
    let current = startDeploy(flowId, kind);
    const update = (next: DeployState) => {
      current = next;
      setState(next);
    };
    setState(current);
    let ended = () => {};
    const sawEnd = new Promise<void>((resolve) => (ended = resolve));
    const socket = await openSocket(flowId);
    if (socket) {
      socket.onmessage = (message) => {
        let event: unknown;
        try {
          event = JSON.parse(String(message.data));
        } catch {
          return;
        }
        const next = onDeployEvent(current, event);
        if (next === current) return;
        update(next);
        const last = next.steps.at(-1)?.phase;
        if (last === "running" || last === "failed") ended();
      };
    }
    try {
      // Awaited first: `current` must be read after the events that arrived meanwhile.
      const answer = kind === "rollback" ? await versionsApi.rollback(flowId) : await versionsApi.deploy(flowId);
      update(onDeployAnswer(current, answer));
    } catch (error) {
      update(
        onDeployFailure(
          current,
          error instanceof ApiFailure ? { code: error.code, message: error.message, details: error.details } : { code: "NETWORK", message: describeFailure(error) },
          flow.getNodes().map((n) => n.id),
        ),
      );
    }
    // The runtime's last event may come a moment after the HTTP answer.
    if (socket) {
      let timer = 0;
      await Promise.race([sawEnd, new Promise<void>((resolve) => (timer = window.setTimeout(resolve, TRAIL_WAIT_MS)))]);
      window.clearTimeout(timer);
      socket.close();
    }
    busy.current = false;
    return current;
  }, [flow]);
  const dismiss = useCallback(() => setState(undefined), []);
  return { state, run, dismiss };
}

export function DeployProgress({ state, onClose }: { state: DeployState; onClose: () => void }) {
  const track = phaseTrack(state);
  return (
    <section className={`deploy-progress deploy-${state.status}`} aria-label="Deploy progress" aria-live="polite" data-testid="deploy-progress" data-status={state.status}>
      {track.length > 0 && <ol className="phases">
        {track.map((step) => (
          <li key={step.phase} className={`phase phase-${step.phase}${step.reached ? " reached" : ""}`} title={step.detail} data-testid={`phase-${step.phase}`}>
            {step.phase}
          </li>
        ))}
      </ol>}
      <p className="deploy-summary" data-testid="deploy-summary">{deploySummary(state)}</p>
      {state.failure?.hint && <p className="deploy-hint" data-testid="deploy-hint">{state.failure.hint}</p>}
      {state.failure && state.failure.problems.length > 0 && (
        <ul className="deploy-problems" data-testid="deploy-problems">
          {state.failure.problems.map((p, i) => <li key={i}>{describeProblem(p)}</li>)}
        </ul>
      )}
      {state.status !== "pending" && (
        <button type="button" className="close" aria-label="Close deploy progress" onClick={onClose}>×</button>
      )}
    </section>
  );
}
