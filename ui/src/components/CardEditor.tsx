import { useState, type FormEvent } from "react";
import type { Card, Edit, Status } from "../bindings";
import { errorMessage } from "../errors";
import { FormError } from "./FormError";
import { useEscape } from "./useEscape";
import { STATUSES, parseTags } from "../board";

type Props = {
  card: Card;
  onClose: () => void;
  /** Applies the edits in order; rejects with the reason when one is refused. */
  onSave: (edits: Edit[]) => Promise<void>;
  onDelete: () => void;
};

const TITLE_MAX = 200;
const NOTES_MAX = 8000;

export function CardEditor({ card, onClose, onSave, onDelete }: Props) {
  const [title, setTitle] = useState(card.title);
  const [notes, setNotes] = useState(card.notes);
  const [tags, setTags] = useState(card.tags.join(", "));
  const [status, setStatus] = useState<Status>(card.status);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEscape(onClose);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const nextTags = parseTags(tags);
    const edit: Edit = {
      type: "update",
      cardId: card.id,
      title: title !== card.title ? title : null,
      notes: notes !== card.notes ? notes : null,
      tags: nextTags.join("\u0000") !== card.tags.join("\u0000") ? nextTags : null,
    };
    const edits: Edit[] = [];
    if (edit.title !== null || edit.notes !== null || edit.tags !== null) edits.push(edit);
    // The column picker: moving without dragging (handy on a phone).
    if (status !== card.status) edits.push({ type: "move", cardId: card.id, status, position: null });
    if (edits.length === 0) return onClose();
    setBusy(true);
    setError(null);
    try {
      await onSave(edits);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="editor-heading">
        <form onSubmit={(e) => void submit(e)}>
          <header className="dialog-header">
            <h2 id="editor-heading">Edit card</h2>
            <span className="card-id">
              {card.id} · {card.status}
            </span>
          </header>
          <label className="field">
            <span>Title</span>
            <input autoFocus name="title" value={title} maxLength={TITLE_MAX} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label className="field">
            <span>
              Notes <small>{notes.length.toLocaleString()} / {NOTES_MAX.toLocaleString()}</small>
            </span>
            <textarea name="notes" rows={6} value={notes} maxLength={NOTES_MAX} onChange={(e) => setNotes(e.target.value)} />
          </label>
          <label className="field">
            <span>Column</span>
            <select name="status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Tags (comma separated)</span>
            <input name="tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </label>
          <FormError error={error} />
          <footer className="dialog-actions">
            <button type="button" className="button danger" onClick={onDelete} disabled={busy}>
              Delete
            </button>
            <span className="spacer" />
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              Save
            </button>
          </footer>
        </form>
      </div>
    </div>
  );
}
