/**
 * MQTT topic templates: `plant/{site}/pump/{id}/{signal}` subscribes to `plant/+/pump/+/+` and reads
 * `site`, `id` and `signal` from each topic; `{rest#}` as the last level matches the rest (`#`).
 * The same placeholders fill output topics and keys (`{id}`, `plant/{site}/alarms/{key}`).
 */
import { AiotError } from "../../../runtime/sdk/index.ts";

export interface TopicTemplate {
  /** The subscription filter, with `+` and `#` for the placeholders. */
  readonly filter: string;
  readonly names: readonly string[];
  /** The placeholder values of `topic`, or undefined when the topic does not fit. */
  match(topic: string): Record<string, string> | undefined;
}

const PLACEHOLDER = /^\{([A-Za-z_][\w]*)(#?)\}$/;

const invalid = (problem: string) => new AiotError("MQTT_TOPIC_TEMPLATE_INVALID", problem);

/** Parses a template or a plain filter; throws MQTT_TOPIC_TEMPLATE_INVALID naming the bad level (the node's check() adds the field's path). */
export function parseTopicTemplate(template: string): TopicTemplate {
  const shared = /^\$share\/[^/]+\//.exec(template)?.[0] ?? "";
  const levels = template.slice(shared.length).split("/");
  const names: string[] = [];
  const parts = levels.map((level, i) => {
    const placeholder = PLACEHOLDER.exec(level);
    const last = i === levels.length - 1;
    if (placeholder) {
      const [, name, rest] = placeholder;
      if (names.includes(name!)) throw invalid(`placeholder {${name}} appears twice`);
      if (rest && !last) throw invalid(`{${name}#} must be the last level`);
      names.push(name!);
      return { name: name!, rest: rest === "#" };
    }
    if (/[{}]/.test(level)) throw invalid(`level "${level}" mixes a placeholder with text; a placeholder fills a whole level`);
    if (level === "#" && !last) throw invalid(`"#" must be the last level`);
    if (level !== "+" && level !== "#" && /[+#]/.test(level)) throw invalid(`level "${level}": + and # must fill a whole level`);
    return { literal: level };
  });
  const filter = shared + parts.map((p) => ("name" in p ? (p.rest ? "#" : "+") : p.literal)).join("/");
  return {
    filter,
    names,
    match(topic) {
      const got = topic.split("/");
      const fields: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        if ("name" in part) {
          if (part.rest) {
            fields[part.name] = got.slice(i).join("/");
            return fields;
          }
          if (got[i] === undefined) return undefined;
          fields[part.name] = got[i]!;
        } else if (part.literal === "#") {
          return fields;
        } else if (part.literal !== "+" && part.literal !== got[i]) {
          return undefined;
        } else if (got[i] === undefined) {
          return undefined;
        }
      }
      return got.length === parts.length ? fields : undefined;
    },
  };
}

/**
 * MQTT filter matching (`+` one level, `#` the rest), for clients shared by several subscriptions: a
 * matcher for one filter, its levels split once: a shared client tests every arriving message
 * against each subscription's filter, so the per-message work must not re-parse the filter.
 */
export function filterMatcher(filter: string): (topic: string) => boolean {
  const f = filter.replace(/^\$share\/[^/]+\//, "").split("/");
  if (f.length === 1 && f[0] === "#") return (topic) => !topic.startsWith("$");
  return (topic) => levelsMatch(f, topic);
}

function levelsMatch(f: readonly string[], topic: string): boolean {
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return !(i === 0 && topic.startsWith("$"));
    if (t[i] === undefined) return false;
    if (f[i] === "+") {
      if (i === 0 && topic.startsWith("$")) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * A template compiled once: literal pieces and placeholder names alternate, so filling it per message
 * is a few concatenations with no regular expression and no table of every candidate value.
 * `lookup` returns a placeholder's value; a name it cannot fill is reported in `missing`.
 */
export function compileTemplate(template: string): (lookup: (name: string) => string | undefined) => { text: string; missing: string[] | undefined } {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([A-Za-z_]\w*)\}/g)) {
    literals.push(template.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  return (lookup) => {
    let text = literals[0]!;
    let missing: string[] | undefined;
    for (let i = 0; i < names.length; i++) {
      const value = lookup(names[i]!);
      if (value === undefined) (missing ??= []).push(names[i]!);
      text += (value ?? `{${names[i]!}}`) + literals[i + 1]!;
    }
    return { text, missing };
  };
}

/** The placeholder names a template uses. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1]!);
}
