/** The "?" list of keyboard shortcuts. */
import { useEffect, useRef } from "react";
import { SHORTCUTS } from "../graph/shortcuts.ts";

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="shortcut-help" aria-labelledby="shortcut-title" onClose={onClose} data-testid="shortcut-help">
      <h2 id="shortcut-title">Keyboard shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}><th scope="row"><kbd>{s.keys}</kbd></th><td>{s.does}</td></tr>
          ))}
        </tbody>
      </table>
      <p className="hint">Shortcuts do nothing while you type in a field.</p>
      <form method="dialog"><button type="submit" autoFocus>Close</button></form>
    </dialog>
  );
}
