import { useState } from "react";
import { commands, type NotesFile } from "../bindings";
import { attempt } from "../api";
import { errorMessage } from "../errors";
import type { OpenNotes } from "../window/useNotes";
import { useEscape } from "./useEscape";

type Props = {
  files: NotesFile[];
  open: OpenNotes;
  onRead: (name: string) => void;
  onClose: () => void;
};

/** "2026-12-05 09.00 meeting (2).md" → "2026-12-05 09.00 meeting (2)". */
const title = (name: string) => name.replace(/\.md$/, "");

/** The last meetings' notes: a list to pick from, the one picked as text, Copy and the folder. */
export function NotesDialog({ files, open, onRead, onClose }: Props) {
  useEscape(onClose);
  const [said, setSaid] = useState<string | null>(null);
  const copy = async () => {
    if (open.text === null) return;
    try {
      await navigator.clipboard.writeText(open.text);
      setSaid("Copied: paste the notes anywhere.");
    } catch (error) {
      setSaid(`The notes could not be copied (${errorMessage(error)}); select the text and copy it.`);
    }
  };
  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog notes-dialog" role="dialog" aria-modal="true" aria-labelledby="notes-heading">
        <header className="dialog-header">
          <h2 id="notes-heading">Meeting notes</h2>
          <button className="button small" onClick={onClose} aria-label="Close the meeting notes">
            Close
          </button>
        </header>
        {files.length === 0 ? (
          <p className="panel-empty">Each meeting's notes are written here when it ends: who came, what changed on the board and what was said.</p>
        ) : (
          <div className="notes-body">
            <nav aria-label="Meetings">
              <ol className="notes-list">
                {files.map((file) => (
                  <li key={file.name}>
                    <button
                      className={`notes-item${file.name === open.name ? " selected" : ""}`}
                      aria-current={file.name === open.name ? "true" : undefined}
                      onClick={() => {
                        setSaid(null);
                        onRead(file.name);
                      }}
                    >
                      {title(file.name)}
                    </button>
                  </li>
                ))}
              </ol>
            </nav>
            <article className="notes-text" aria-label={open.name ? title(open.name) : "No notes picked"} tabIndex={0}>
              {open.error ? <p role="alert">{open.error}</p> : open.text === null ? <p className="panel-empty">Loading…</p> : <pre>{open.text}</pre>}
            </article>
          </div>
        )}
        <div className="dialog-actions">
          <button className="button primary" disabled={open.text === null} onClick={() => void copy()}>
            Copy
          </button>
          <button className="button" onClick={() => void attempt(commands.openNotesFolder(), (error) => setSaid(errorMessage(error)))}>
            Open folder
          </button>
          {said && (
            <span className="field-help" role="status">
              {said}
            </span>
          )}
        </div>
      </div>
    </div>
  );
}
