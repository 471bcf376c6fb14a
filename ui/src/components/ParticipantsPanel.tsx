import type { Lobby, MicrophoneStatus, Participant, Person, SystemAudioStatus } from "../bindings";
import { useGain, useMeter } from "../levels";
import { LobbyList } from "./LobbyList";
import { LevelMeter, PeopleList } from "./PeopleList";

type Props = {
  status: MicrophoneStatus;
  muted: boolean;
  /** Whether what this computer plays is heard ("call audio", for the voice operator only). */
  callAudio?: SystemAudioStatus;
  /** The people who joined the room through its invite link. */
  guests?: Participant[];
  onJoin: () => void;
  onLeave: () => void;
  onToggleMute: () => void;
  onMuteInMix?: (person: Participant, muted: boolean) => void;
  onRemove?: (person: Participant) => void;
  /** Who waits to be let in and who was removed, with the host's answers. */
  lobby?: Lobby;
  onAdmit?: (person: Person) => void;
  onDecline?: (person: Person) => void;
  onAllowBack?: (person: Person) => void;
};

/** Who is in the room: you, then everyone who joined through the invite link, then who waits. */
export function ParticipantsPanel(props: Props) {
  const { status, muted, callAudio, guests = [], onJoin, onLeave, onToggleMute, onMuteInMix, onRemove, lobby } = props;
  const joined = status.state !== "off";
  return (
    <section className="panel participants" aria-labelledby="participants-heading">
      <header className="panel-header">
        <h2 id="participants-heading">Participants</h2>
        <span className="count">{(joined ? 1 : 0) + guests.length}</span>
      </header>
      {joined ? (
        <ul className="participant-list">
          <YouRow status={status} muted={muted} onToggleMute={onToggleMute} />
          {callAudio && callAudio.state !== "off" && <CallAudioRow status={callAudio} />}
        </ul>
      ) : (
        <p className="panel-empty">You are not in the room. Join to turn your microphone on.</p>
      )}
      {guests.length > 0 && (
        <PeopleList people={guests} onMuteInMix={onMuteInMix} onRemove={onRemove} />
      )}
      {lobby && props.onAdmit && props.onDecline && props.onAllowBack && (
        <LobbyList lobby={lobby} onAdmit={props.onAdmit} onDecline={props.onDecline} onAllowBack={props.onAllowBack} />
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

/** Your own entry; it alone re-renders when your level changes. */
function YouRow({ status, muted, onToggleMute }: Pick<Props, "status" | "muted" | "onToggleMute">) {
  const reading = useMeter("you");
  const speaking = reading.speaking && !muted && status.state === "live";
  return (
    <li className={`participant${speaking ? " is-speaking" : ""}`}>
      <span className="avatar" aria-hidden="true">
        Y
      </span>
      <div className="participant-body">
        <span className="participant-name">
          You {speaking && <span className="speaking-badge">speaking</span>}
        </span>
        {/* Muted, you are not heard, so the meter shows nothing. */}
        <LevelMeter label="Your microphone level" percent={muted ? 0 : reading.percent} />
        <p className="participant-meta">{describeMicrophone(status)}</p>
      </div>
      <button className={`button small${muted ? " danger" : ""}`} aria-pressed={muted} onClick={onToggleMute}>
        {muted ? "Unmute" : "Mute"}
      </button>
    </li>
  );
}

/** What this computer plays, as the voice operator hears it: its level and automatic gain. */
function CallAudioRow({ status }: { status: SystemAudioStatus }) {
  const reading = useMeter(CALL_AUDIO);
  const gain = useGain(CALL_AUDIO);
  return (
    <li className={`participant${reading.speaking ? " is-speaking" : ""}`} data-participant="call audio">
      <span className="avatar" aria-hidden="true">
        ♪
      </span>
      <div className="participant-body">
        <span className="participant-name">
          Call audio {reading.speaking && <span className="speaking-badge">speaking</span>}
        </span>
        <LevelMeter label="Call audio level" percent={reading.percent} />
        <p className="participant-meta">
          {describeSystemAudio(status)}
          {gain !== null && status.state === "listening" && ` · gain ${gain > 0 ? "+" : ""}${gain} dB`}
        </p>
      </div>
    </li>
  );
}

/** The mixer's name for what this computer plays (the audio crate's `SYSTEM_AUDIO_SOURCE`). */
const CALL_AUDIO = "call audio";

export function describeSystemAudio(status: SystemAudioStatus): string {
  switch (status.state) {
    case "off":
      return "Not listening to this computer";
    case "listening":
      return status.apps.length > 0
        ? `For the voice operator only: ${status.apps.join(", ")}`
        : "For the voice operator only: nothing plays now";
    case "unavailable":
      return `${status.reason.charAt(0).toUpperCase()}${status.reason.slice(1)} (trying again)`;
  }
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
