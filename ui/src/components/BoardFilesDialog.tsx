import { useState, type FormEvent } from "react";
import { commands, type Change, type ExportFormat, type ImportFormat, type ImportPreview_Serialize as ImportPreview, type Status } from "../bindings";
import { call } from "../api";
import { STATUSES } from "../board";
import { errorMessage } from "../errors";
import { FormError } from "./FormError";
import { useEscape } from "./useEscape";

type Props = {
  /** How many cards the board has now (what a replacing import takes off). */
  cardCount: number;
  /** The board revision shown now. */
  seen: () => number;
  onImported: (change: Change) => void;
  onClose: () => void;
};

const EXPORTS: { format: ExportFormat; label: string; name: string }[] = [
  { format: "markdown", label: "Markdown…", name: "Markdown" },
  { format: "json", label: "JSON…", name: "JSON" },
  { format: "csv", label: "CSV…", name: "CSV" },
];

const FORMAT_NAMES: Record<ImportFormat, string> = {
  json: "Boardroom JSON",
  csv: "Boardroom CSV",
  trello: "a Trello export",
  jira: "a Jira export",
};

const cards = (count: number) => (count === 1 ? "1 card" : `${count} cards`);

/** Export the board to a file, or import cards from one: the system's file dialogs pick the
 *  file; an import shows which column each of the file's lists goes in, for the person to
 *  confirm or change, and whether the cards come after the board's or in place of them. */
export function BoardFilesDialog({ cardCount, seen, onImported, onClose }: Props) {
  useEscape(onClose);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [columns, setColumns] = useState<(Status | null)[]>([]);
  const [replace, setReplace] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      await work();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const exportAs = (format: ExportFormat, name: string) =>
    run(async () => {
      const file = await call(commands.exportBoard(format));
      if (file) setSaid(`Exported the board as ${name} to ${file}.`);
    });

  const choose = () =>
    run(async () => {
      const chosen = await call(commands.chooseImport());
      if (!chosen) return;
      setPreview(chosen);
      setColumns(chosen.lists.map((list) => list.column));
    });

  const unmapped = columns.some((column) => column === null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!preview || unmapped) return;
    void run(async () => {
      const change = await call(commands.importBoard(columns as Status[], replace, seen()));
      onImported(change);
      onClose();
    });
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog board-files" role="dialog" aria-modal="true" aria-labelledby="board-files-heading">
        <header className="dialog-header">
          <h2 id="board-files-heading">Import and export</h2>
          <button className="button small" onClick={onClose}>
            Close
          </button>
        </header>
        <section aria-labelledby="export-heading">
          <h3 id="export-heading">Export the board</h3>
          <p className="field-help">Markdown opens in Obsidian's Kanban plugin; JSON and CSV come back into Boardroom exactly.</p>
          <div className="dialog-actions">
            {EXPORTS.map(({ format, label, name }) => (
              <button key={format} className="button" disabled={busy} aria-label={`Export as ${name}`} onClick={() => void exportAs(format, name)}>
                {label}
              </button>
            ))}
          </div>
        </section>
        <section className="dialog-section" aria-labelledby="import-heading">
          <h3 id="import-heading">Import cards</h3>
          <p className="field-help">From Boardroom's JSON or CSV, a Trello board's JSON export or a Jira CSV export. The import is one change: Undo takes it back.</p>
          <button className="button" disabled={busy} onClick={() => void choose()}>
            Choose a file…
          </button>
          {preview && (
            <form className="import-form" onSubmit={submit} aria-label={`Import ${preview.file}`}>
              <p className="import-summary">
                {preview.file}: {cards(preview.cards)} from {FORMAT_NAMES[preview.format]}
                {preview.leftOut > 0 ? `; ${cards(preview.leftOut)} archived, left out` : ""}
              </p>
              <fieldset className="import-lists">
                <legend>Which column each list goes in</legend>
                {preview.lists.map((list, index) => (
                  <label key={list.name} className="field import-list">
                    <span>
                      {list.name} <small>({cards(list.cards)})</small>
                    </span>
                    <select
                      value={columns[index] ?? ""}
                      required
                      onChange={(event) => {
                        const chosen = event.target.value as Status;
                        setColumns((now) => now.map((column, i) => (i === index ? chosen : column)));
                      }}
                    >
                      <option value="" disabled>
                        Choose a column
                      </option>
                      {STATUSES.map((status) => (
                        <option key={status} value={status}>
                          {status}
                        </option>
                      ))}
                    </select>
                  </label>
                ))}
              </fieldset>
              <fieldset className="import-place">
                <legend>Where the cards go</legend>
                <label>
                  <input type="radio" name="import-place" checked={!replace} onChange={() => setReplace(false)} /> After the board's cards
                </label>
                <label>
                  <input type="radio" name="import-place" checked={replace} onChange={() => setReplace(true)} /> In place of the board's {cards(cardCount)}
                </label>
              </fieldset>
              <div className="dialog-actions">
                <button type="submit" className="button primary" disabled={busy || unmapped}>
                  Import {cards(preview.cards)}
                </button>
                {unmapped && <span className="field-help">Choose a column for each list first.</span>}
              </div>
            </form>
          )}
        </section>
        <FormError error={error} />
        {said && (
          <p className="field-help" role="status">
            {said}
          </p>
        )}
      </div>
    </div>
  );
}
