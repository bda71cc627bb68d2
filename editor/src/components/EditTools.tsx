/** Canvas tools over the top-left of the canvas: undo, redo, auto-layout, import, export, shortcut list; and their dialogs. */
import { Panel } from "@xyflow/react";
import { memo } from "react";
import "../editing.css";
import { refusalFor } from "../graph/roles.ts";
import { useUser } from "../session.ts";
import { ImportDialog } from "./ImportDialog.tsx";
import { ShortcutHelp } from "./ShortcutHelp.tsx";
import type { Editing } from "./useEditing.ts";

function EditToolsImpl({ editing }: { editing: Editing }) {
  const { dialog } = editing;
  const importRefused = refusalFor(useUser(), "import");
  return (
    <>
      <Panel position="top-left" className="edit-tools" aria-label="Editing tools">
        <button type="button" onClick={editing.undo} title="Undo (Ctrl+Z)">Undo</button>
        <button type="button" onClick={editing.redo} title="Redo (Ctrl+Shift+Z or Ctrl+Y)">Redo</button>
        <button type="button" onClick={editing.layout} title="Arrange the nodes left to right along their wires">Auto-layout</button>
        <button type="button" onClick={() => editing.openImport()} disabled={importRefused !== undefined} title={importRefused ?? "Import a flow from a file or pasted JSON"}>Import</button>
        <button type="button" onClick={editing.exportFlow} title="Download this flow as a .json document">Export</button>
        <button type="button" onClick={editing.openHelp} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">?</button>
      </Panel>
      {dialog?.kind === "import" && <ImportDialog initial={dialog.initial} onImport={editing.applyImport} onClose={editing.closeDialog} />}
      {dialog?.kind === "help" && <ShortcutHelp onClose={editing.closeDialog} />}
    </>
  );
}

export const EditTools = memo(EditToolsImpl);
