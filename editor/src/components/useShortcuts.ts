/** The editor's keyboard shortcuts on the window; silent while the user types in a field or a dialog is open. */
import { useEffect, useRef } from "react";
import { shortcutOf, type ShortcutAction } from "../graph/shortcuts.ts";

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.closest("input, textarea, select, dialog[open]") !== null;
}

export function useShortcuts(handlers: Readonly<Record<ShortcutAction, () => void>>, enabled: boolean): void {
  // The latest handlers without re-adding the listener on every render.
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || isTyping(event.target)) return;
      const action = shortcutOf(event);
      if (!action) return;
      // Copy text the user selected on the page (a debug message) rather than nodes.
      if (action === "copy" && (window.getSelection()?.toString() ?? "") !== "") return;
      event.preventDefault();
      latest.current[action]();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
