import { useState, type FormEvent } from "react";
import { FormError } from "./FormError";
import { useEscape } from "./useEscape";
import { errorMessage } from "../errors";

type Props = {
  /** A link handed to the app (a clicked boardroom:// link), filled in for the person to confirm. */
  link?: string;
  /** The name last joined with. */
  name: string;
  /** Joins; a refusal (a bad link, no name) is thrown with the words to show. */
  onJoin: (link: string, name: string) => Promise<void>;
  onClose: () => void;
};

/** "Join a meeting…": the invite link somebody shared, and the name to appear under. */
export function JoinMeetingDialog({ link: given = "", name: remembered, onJoin, onClose }: Props) {
  const [link, setLink] = useState(given);
  const [name, setName] = useState(remembered);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEscape(onClose);

  const join = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onJoin(link.trim(), name.trim());
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="join-heading">
        <header className="dialog-header">
          <h2 id="join-heading">Join a meeting</h2>
        </header>
        <form onSubmit={(e) => void join(e)}>
          <label className="field">
            <span>Invite link</span>
            <input
              name="invite-link"
              autoComplete="off"
              placeholder="https://…/r/… or boardroom://join?url=…"
              value={link}
              onChange={(e) => setLink(e.target.value)}
              autoFocus={given === ""}
            />
          </label>
          <label className="field">
            <span>Your name</span>
            <input name="your-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus={given !== ""} />
          </label>
          <p className="field-help">
            The room's board, people and voice operator show here while you are in it; your own board stays as it is.
          </p>
          <FormError error={error} />
          <footer className="dialog-actions">
            <span className="spacer" />
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy || link.trim() === "" || name.trim() === ""}>
              Join
            </button>
          </footer>
        </form>
      </div>
    </div>
  );
}
