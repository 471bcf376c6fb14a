import { useState } from "react";
import type { RoomInfo, Settings } from "../bindings";
import { FormError } from "./FormError";

type Props = {
  room: RoomInfo | null;
  settings: Settings;
  onStart: () => Promise<void>;
  onEnd: () => Promise<void>;
  onSaveSettings: (next: Settings) => Promise<void>;
};

/** Hosting: start a room, share its invite link, end it. */
export function RoomPanel({ room, settings, onStart, onEnd, onSaveSettings }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [port, setPort] = useState(settings.roomPort?.toString() ?? "");

  const start = async () => {
    setError(null);
    const trimmed = port.trim();
    const parsed = trimmed === "" ? null : Number(trimmed);
    if (parsed !== null && !(Number.isInteger(parsed) && parsed >= 1 && parsed <= 65535)) {
      setError("The port must be a number from 1 to 65535, or empty for any free port.");
      return;
    }
    try {
      if (parsed !== settings.roomPort) await onSaveSettings({ ...settings, roomPort: parsed });
      await onStart();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const copy = async () => {
    if (!room) return;
    try {
      await navigator.clipboard.writeText(room.inviteLink);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setError("The link could not be copied; select it and copy it by hand.");
    }
  };

  return (
    <section className="panel room" aria-labelledby="room-heading">
      <header className="panel-header">
        <h2 id="room-heading">Meeting room</h2>
        <span className={`count${room ? " live" : ""}`}>{room ? "open" : "closed"}</span>
      </header>
      {room ? (
        <>
          <label className="field">
            <span>Invite link {room.lan ? "(people on your network can join)" : "(this computer only)"}</span>
            <input className="invite-link" readOnly value={room.inviteLink} onFocus={(event) => event.currentTarget.select()} />
          </label>
          <div className="panel-actions">
            <button className="button" onClick={() => void copy()}>
              {copied ? "Copied" : "Copy link"}
            </button>
            <button className="button danger" onClick={() => void onEnd()}>
              End room
            </button>
          </div>
        </>
      ) : (
        <>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={settings.roomLan}
              onChange={(event) => void onSaveSettings({ ...settings, roomLan: event.target.checked }).catch(() => undefined)}
            />
            Let people on my network join
          </label>
          <label className="field inline">
            <span>Port</span>
            <input inputMode="numeric" placeholder="any" value={port} onChange={(event) => setPort(event.target.value)} />
          </label>
          <div className="panel-actions">
            <button className="button primary" onClick={() => void start()}>
              Start room
            </button>
          </div>
        </>
      )}
      <FormError error={error} />
    </section>
  );
}
