import { memo } from "react";
import type { Participant } from "../bindings";
import { useMeter } from "../levels";

type Props = {
  people: Participant[];
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

/** A level meter, 0…100. */
export function LevelMeter({ label, percent }: { label: string; percent: number }) {
  return (
    <div className="meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}>
      <div className="meter-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

/** People in the room with their speaking levels; with the host's controls when given. */
export function PeopleList({ people, me, onMuteInMix, onRemove }: Props) {
  return (
    <ul className="participant-list" aria-label="People in the room">
      {people.map((person) => (
        <PersonRow key={person.id} person={person} me={me} onMuteInMix={onMuteInMix} onRemove={onRemove} />
      ))}
    </ul>
  );
}

type RowProps = Omit<Props, "people"> & { person: Participant };

/** One person; it alone re-renders when their level changes. */
const PersonRow = memo(function PersonRow({ person, me, onMuteInMix, onRemove }: RowProps) {
  const reading = useMeter(person.id);
  const silent = person.muted || person.mutedByHost;
  const speaking = reading.speaking && !silent;
  return (
    <li className={`participant${speaking ? " is-speaking" : ""}`} data-participant={person.name}>
      <span className="avatar" aria-hidden="true">
        {person.name.charAt(0).toUpperCase()}
      </span>
      <div className="participant-body">
        <span className="participant-name">
          {person.name}
          {person.id === me && " (you)"} {speaking && <span className="speaking-badge">speaking</span>}
        </span>
        <LevelMeter label={`${person.name}'s level`} percent={silent ? 0 : reading.percent} />
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
});
