/**
 * Import a flow by choosing a file, pasting its JSON, or dropping a .json on the canvas (which opens
 * this dialog with the file's text). The server validates it with the rules of a save; an import with
 * problems is listed here (code, path, message) and not applied.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { FlowDocument } from "../../../runtime/contract/flow-format.ts";
import { call, describeFailure } from "../api.ts";
import { readImport, type ImportProblem } from "../graph/import-export.ts";
import { describePath, describeText, editorHint, namedNodesOf, type NamedNode } from "../graph/problems.ts";

interface Validation {
  readonly ok: boolean;
  readonly problems: readonly ImportProblem[];
}

export interface ImportRequest {
  readonly text: string;
  readonly source: string;
}

interface Props {
  /** Text to check at once (a dropped file); the dialog starts empty without it. */
  readonly initial: ImportRequest | undefined;
  onImport(document: FlowDocument, source: string): void;
  onClose(): void;
}

export function ImportDialog({ initial, onImport, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState(initial?.text ?? "");
  const [source, setSource] = useState(initial?.source ?? "pasted text");
  const [problems, setProblems] = useState<readonly ImportProblem[]>([]);
  // The nodes of the document being checked, so `nodes[i]` paths can name them.
  const [checkedNodes, setCheckedNodes] = useState<readonly NamedNode[]>([]);
  const [busy, setBusy] = useState(false);
  const done = useRef({ onImport });
  done.current = { onImport };

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const check = useCallback(async (request: ImportRequest) => {
    setProblems([]);
    const read = readImport(request.text);
    if (read.kind === "refused") return setProblems(read.problems);
    setCheckedNodes(namedNodesOf(read.document));
    setBusy(true);
    try {
      const result = await call<Validation>("POST", "/api/flows/validate", read.document);
      if (!result.ok) return setProblems(result.problems);
      done.current.onImport(read.document as FlowDocument, request.source);
      dialog.current?.close();
    } catch (error) {
      setProblems([{ code: "IMPORT_NOT_CHECKED", message: `the server could not check the flow: ${describeFailure(error)}` }]);
    } finally {
      setBusy(false);
    }
  }, []);

  // A dropped file is checked as soon as the dialog opens.
  useEffect(() => {
    if (initial) void check(initial);
  }, [initial, check]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    const request = { text: await file.text(), source: file.name };
    setText(request.text);
    setSource(request.source);
    await check(request);
  };

  return (
    <dialog ref={dialog} className="import-dialog" aria-labelledby="import-title" onClose={onClose} data-testid="import-dialog">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); void check({ text, source }); }}>
        <h2 id="import-title">Import a flow</h2>
        <p className="hint">An aiotflow flow document (.json, format aiotflow/flow@1). It replaces the canvas; Ctrl+Z brings the old one back. You can also drop a .json file on the canvas.</p>
        <label className="import-file">
          From a file <input type="file" accept=".json,application/json" aria-label="Flow file" onChange={(e) => void onFile(e.target.files?.[0])} />
        </label>
        <label className="import-text">
          Or paste the JSON
          <textarea
            aria-label="Flow JSON" rows={12} spellCheck={false} value={text}
            onChange={(e) => { setText(e.target.value); setSource("pasted text"); }}
          />
        </label>
        {problems.length > 0 && (
          <div role="alert" className="import-problems" data-testid="import-problems">
            <strong>Not imported: {problems.length} problem{problems.length === 1 ? "" : "s"} in {source}</strong>
            <ul>
              {problems.map((p, i) => (
                <li key={i}>
                  <code>{p.code}</code> {describePath(p.path, checkedNodes) && <code className="path">{describePath(p.path, checkedNodes)}</code>} {describeText(p.message, checkedNodes)}
                  {editorHint(p.code, p.hint) && <div className="field-help">{editorHint(p.code, p.hint)}</div>}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="dialog-buttons">
          <button type="submit" disabled={busy || text.trim() === ""}>{busy ? "Checking…" : "Import"}</button>
          <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
