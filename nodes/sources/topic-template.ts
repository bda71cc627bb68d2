/**
 * MQTT topic templates: `plant/{site}/pump/{id}/{signal}` subscribes to `plant/+/pump/+/+` and reads
 * `site`, `id` and `signal` from each topic; `{rest#}` as the last level matches the rest (`#`).
 * The same placeholders fill output topics and keys (`{id}`, `plant/{site}/alarms/{key}`).
 */

export interface TopicTemplate {
  /** The subscription filter, with `+` and `#` for the placeholders. */
  readonly filter: string;
  readonly names: readonly string[];
  /** The placeholder values of `topic`, or undefined when the topic does not fit. */
  match(topic: string): Record<string, string> | undefined;
}

const PLACEHOLDER = /^\{([A-Za-z_][\w]*)(#?)\}$/;

/** Parses a template or a plain filter; throws a message naming the bad level. */
export function parseTopicTemplate(template: string): TopicTemplate {
  const shared = /^\$share\/[^/]+\//.exec(template)?.[0] ?? "";
  const levels = template.slice(shared.length).split("/");
  const names: string[] = [];
  const parts = levels.map((level, i) => {
    const placeholder = PLACEHOLDER.exec(level);
    const last = i === levels.length - 1;
    if (placeholder) {
      const [, name, rest] = placeholder;
      if (names.includes(name!)) throw new Error(`placeholder {${name}} appears twice`);
      if (rest && !last) throw new Error(`{${name}#} must be the last level`);
      names.push(name!);
      return { name: name!, rest: rest === "#" };
    }
    if (/[{}]/.test(level)) throw new Error(`level "${level}" mixes a placeholder with text; a placeholder fills a whole level`);
    if (level === "#" && !last) throw new Error(`"#" must be the last level`);
    if (level !== "+" && level !== "#" && /[+#]/.test(level)) throw new Error(`level "${level}": + and # must fill a whole level`);
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

/** MQTT filter matching (`+` one level, `#` the rest), for clients shared by several subscriptions. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.replace(/^\$share\/[^/]+\//, "").split("/");
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

/** Fills `{name}` placeholders from `values`; an unknown name is left as `{name}` and reported. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | undefined>>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(/\{([A-Za-z_]\w*)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.push(name);
      return whole;
    }
    return value;
  });
  return { text, missing };
}

/** The placeholder names a template uses. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1]!);
}
