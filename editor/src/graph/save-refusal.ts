/**
 * A refused save in the user's words: what is wrong first (the node and field each problem names,
 * or the API's message), the API's code apart as a small detail. describeFailure keeps the code in
 * front for the other notices; a save refusal is read by someone fixing a form, not an API client.
 */
import { ApiFailure } from "../api.ts";
import { describePath, describeText } from "./problems.ts";

export interface Refusal {
  readonly text: string;
  /** The API's code, e.g. FLOW_INVALID, shown smaller. */
  readonly detail?: string;
}

export function saveRefusal(error: unknown): Refusal {
  if (!(error instanceof ApiFailure)) return { text: `Not saved: ${error instanceof Error ? error.message : String(error)}` };
  const nodes = error.documentNodes;
  const problems = error.problems.map((p) => {
    const where = describePath(p.path, nodes);
    return `${where ? `${where}: ` : ""}${describeText(p.message, nodes)}`;
  });
  const message = describeText(error.message, nodes);
  const text = problems.length === 1 ? `Not saved: ${problems[0]}` : problems.length > 1 ? [`Not saved: ${message}`, ...problems].join("\n") : `Not saved: ${message}`;
  return { text, detail: error.code };
}
