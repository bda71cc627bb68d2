/** The keyboard shortcuts of the editor as data: which key press asks for which action, and the list "?" shows. */
export type ShortcutAction = "delete" | "selectAll" | "copy" | "paste" | "undo" | "redo" | "save" | "deploy" | "help";

/** Shown by the "?" list. */
export const SHORTCUTS: ReadonlyArray<{ readonly keys: string; readonly does: string }> = [
  { keys: "Delete / Backspace", does: "Delete the selected nodes and wires" },
  { keys: "Ctrl/⌘ + A", does: "Select every node" },
  { keys: "Ctrl/⌘ + C", does: "Copy the selected nodes and the wires between them" },
  { keys: "Ctrl/⌘ + V", does: "Paste (also into another flow or tab)" },
  { keys: "Ctrl/⌘ + Z", does: "Undo" },
  { keys: "Ctrl/⌘ + Shift + Z, Ctrl/⌘ + Y", does: "Redo" },
  { keys: "Ctrl/⌘ + S", does: "Save: focuses the save message" },
  { keys: "Ctrl/⌘ + Shift + D", does: "Deploy the latest saved version" },
  { keys: "?", does: "Show this list" },
  { keys: "Tab, Enter", does: "Move between controls; Enter on a palette entry adds that node" },
];

/** Which action a key press asks for, if any (exported for its own sake: the mapping is the behaviour). */
export function shortcutOf(event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">): ShortcutAction | undefined {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (event.altKey) return undefined;
  if (!mod) return event.key === "?" ? "help" : event.key === "Delete" || event.key === "Backspace" ? "delete" : undefined;
  if (key === "a" && !event.shiftKey) return "selectAll";
  if (key === "c" && !event.shiftKey) return "copy";
  if (key === "v" && !event.shiftKey) return "paste";
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (key === "y" && !event.shiftKey) return "redo";
  if (key === "s" && !event.shiftKey) return "save";
  if (key === "d" && event.shiftKey) return "deploy";
  return undefined;
}
