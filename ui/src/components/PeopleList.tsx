import type { Level, Participant } from "../bindings";
import { meterPercent } from "./ParticipantsPanel";

type Props = {
  people: Participant[];
  levels: Record<string, Level>;
  /** Whose entry reads "(you)". */
  me?: string | null;
  /** The host's controls for each guest; absent on a participant's page. */
  onMuteInMix?: (person: Participant, muted: boolean) => void;
  onRemove?: (person: Participant) => void;
};

function describeState(person: Participant): string {
  const parts: string[] = [];
  if (person.connection === "joining") parts.push("joining…");
  if (person.connection === "reconnecting") parts.push("connection lost, waiting for them to come back");
  if (person.mutedByHost) parts.push("muted by the host");
  else if (person.muted) parts.push("muted");
  return parts.join(" · ") || (person.host ? "host" : "connected");
}

/** People in the room with their speaking levels; with the host's controls when given. */
export function PeopleList({ people, levels, me, onMuteInMix, onRemove }: Props) {
  return (
    <ul className="participant-list" aria-label="People in the room">
      {people.map((person) => {
        const level = levels[person.id];
        const silent = person.muted || person.mutedByHost;
        const speaking = Boolean(level?.speaking) && !silent;
        const percent = silent ? 0 : meterPercent(level);
        return (
          <li key={person.id} className={`participant${speaking ? " is-speaking" : ""}`} data-participant={person.name}>
            <span className="avatar" aria-hidden="true">
              {person.name.charAt(0).toUpperCase()}
            </span>
            <div className="participant-body">
              <p className="participant-name">
                {person.name}
                {person.id === me && " (you)"} {speaking && <span className="speaking-badge">speaking</span>}
              </p>
              <div
                className="meter"
                role="meter"
                aria-label={`${person.name}'s level`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(percent)}
              >
                <div className="meter-fill" style={{ width: `${percent}%` }} />
              </div>
              <p className="participant-meta">{describeState(person)}</p>
            </div>
            {!person.host && onMuteInMix && onRemove && (
              <div className="participant-actions">
                <button
                  className={`button small${person.mutedByHost ? " danger" : ""}`}
                  aria-pressed={person.mutedByHost}
                  onClick={() => onMuteInMix(person, !person.mutedByHost)}
                >
                  {person.mutedByHost ? `Unmute ${person.name}` : `Mute ${person.name}`}
                </button>
                <button className="button small" onClick={() => onRemove(person)}>
                  Remove {person.name}
                </button>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Levels keyed by participant id, from the audio thread's sources (the host's is "you"). */
export function levelsById(sources: { id: string; level: Level }[], hostSource = "you", hostId = "host"): Record<string, Level> {
  const byId: Record<string, Level> = {};
  for (const source of sources) byId[source.id === hostSource ? hostId : source.id] = source.level;
  return byId;
}
