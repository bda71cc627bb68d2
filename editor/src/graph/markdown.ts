/**
 * The small markdown of node docs (paragraphs, `- ` bullet lists, `inline code`, **bold**) parsed into
 * plain data that the property panel turns into React elements: no HTML string is ever built, so a
 * doc text cannot inject markup.
 */

export type Inline = { readonly kind: "text" | "code" | "bold"; readonly text: string };
export type Block = { readonly kind: "paragraph"; readonly inline: Inline[] } | { readonly kind: "list"; readonly items: Inline[][] };

const BULLET = /^\s*[-*]\s+/;

/** `code` first (its content is literal), then **bold** in the rest; an unclosed marker stays as text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const push = (kind: Inline["kind"], part: string) => {
    if (part === "") return;
    const last = out[out.length - 1];
    if (kind === "text" && last?.kind === "text") out[out.length - 1] = { kind, text: last.text + part };
    else out.push({ kind, text: part });
  };
  const bold = (part: string) => {
    const pieces = part.split("**");
    // An odd count of markers leaves the last one unclosed: it stays literal.
    pieces.forEach((piece, i) => {
      if (i === 0) return push("text", piece);
      const closed = i % 2 === 1 && i < pieces.length - 1;
      if (i % 2 === 1) return closed ? push("bold", piece) : push("text", `**${piece}`);
      push("text", piece);
    });
  };
  const pieces = text.split("`");
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) return bold(piece);
    if (i < pieces.length - 1) push("code", piece);
    else bold(`\`${piece}`);
  });
  return out;
}

export function parseDocs(docs: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let items: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: "paragraph", inline: parseInline(paragraph.join(" ")) });
    if (items.length > 0) blocks.push({ kind: "list", items: items.map(parseInline) });
    paragraph = [];
    items = [];
  };
  for (const raw of docs.split("\n")) {
    const line = raw.trim();
    if (line === "") flush();
    else if (BULLET.test(raw)) {
      if (paragraph.length > 0) flush();
      items.push(raw.replace(BULLET, "").trim());
    } else if (items.length > 0 && /^\s+/.test(raw)) items[items.length - 1] += ` ${line}`;
    else {
      if (items.length > 0) flush();
      paragraph.push(line);
    }
  }
  flush();
  return blocks;
}
