import type { Level, Levels, MicrophoneStatus, Participant } from "../bindings";
import { PeopleList, levelsById } from "./PeopleList";

type Props = {
  status: MicrophoneStatus;
  levels: Levels | null;
  muted: boolean;
  /** The people who joined the room through its invite link. */
  guests?: Participant[];
  onJoin: () => void;
  onLeave: () => void;
  onToggleMute: () => void;
  onMuteInMix?: (person: Participant, muted: boolean) => void;
  onRemove?: (person: Participant) => void;
};

/** Maps -60…0 dBFS onto the meter's width. */
export function meterPercent(level: Level | undefined): number {
  if (!level) return 0;
  return Math.max(0, Math.min(100, (((level.rmsDbfs ?? -100) + 60) / 60) * 100));
}

/** Who is in the room: you, then everyone who joined through the invite link. */
export function ParticipantsPanel({ status, levels, muted, guests = [], onJoin, onLeave, onToggleMute, onMuteInMix, onRemove }: Props) {
  const joined = status.state !== "off";
  const you = levels?.sources.find((source) => source.id === "you");
  const speaking = Boolean(you?.level.speaking) && !muted && status.state === "live";
  // Muted, you are not heard, so the meter shows nothing.
  const percent = muted ? 0 : meterPercent(you?.level);
  return (
    <section className="panel participants" aria-labelledby="participants-heading">
      <header className="panel-header">
        <h2 id="participants-heading">Participants</h2>
        <span className="count">{(joined ? 1 : 0) + guests.length}</span>
      </header>
      {joined ? (
        <ul className="participant-list">
          <li className={`participant${speaking ? " is-speaking" : ""}`}>
            <span className="avatar" aria-hidden="true">
              Y
            </span>
            <div className="participant-body">
              <p className="participant-name">
                You {speaking && <span className="speaking-badge">speaking</span>}
              </p>
              <div
                className="meter"
                role="meter"
                aria-label="Your microphone level"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(percent)}
              >
                <div className="meter-fill" style={{ width: `${percent}%` }} />
              </div>
              <p className="participant-meta">{describeMicrophone(status)}</p>
            </div>
            <button className={`button small${muted ? " danger" : ""}`} aria-pressed={muted} onClick={onToggleMute}>
              {muted ? "Unmute" : "Mute"}
            </button>
          </li>
        </ul>
      ) : (
        <p className="panel-empty">You are not in the room. Join to turn your microphone on.</p>
      )}
      {guests.length > 0 && (
        <PeopleList people={guests} levels={levelsById(levels?.sources ?? [])} onMuteInMix={onMuteInMix} onRemove={onRemove} />
      )}
      <div className="panel-actions">
        {joined ? (
          <button className="button" onClick={onLeave}>
            Leave room
          </button>
        ) : (
          <button className="button primary" onClick={onJoin}>
            Join room
          </button>
        )}
      </div>
    </section>
  );
}

export function describeMicrophone(status: MicrophoneStatus): string {
  switch (status.state) {
    case "off":
      return "Microphone off";
    case "live":
      return `Microphone: ${status.device}`;
    case "unavailable":
      return `${status.reason.charAt(0).toUpperCase()}${status.reason.slice(1)} (trying again)`;
  }
}
