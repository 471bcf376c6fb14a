import { useCallback, useEffect, useRef, useState } from "react";
import type { Card, Change, Edit, OperatorStatus, Participant, ServerMessage_Serialize as ServerMessage } from "../bindings";
import { answer, sendInTurn } from "../board";
import { BoardView } from "../components/BoardView";
import { CardEditor } from "../components/CardEditor";
import { PeopleList } from "../components/PeopleList";
import { TranscriptPanel } from "../components/TranscriptPanel";
import { ActivityPanel } from "../components/ActivityPanel";
import { SuggestionsPanel } from "../components/SuggestionsPanel";
import { Toasts } from "../components/Toasts";
import { TopBar } from "../components/TopBar";
import { describeVoice } from "../components/StatusBar";
import { FormError } from "../components/FormError";
import { useBoardMirror, type TakeAfresh } from "../hooks/useBoardMirror";
import { useToasts } from "../hooks/useToasts";
import { useTranscript } from "../hooks/useTranscript";
import { RoomConnection, appLink, deviceKey, socketUrl, type Route } from "./roomConnection";
import { RemoteAudio } from "./remoteAudio";
import { errorMessage } from "../errors";
import { LevelStore, LevelsContext } from "../levels";

const NAME_KEY = "boardroom.name";

type Phase =
  | { kind: "name" }
  | { kind: "joining" }
  | { kind: "waiting" }
  | { kind: "in" }
  | { kind: "reconnecting"; reason: string }
  | { kind: "closed"; reason: string };

/** On a phone one of these fills the screen at a time. */
type View = "board" | "people" | "transcript";

declare global {
  interface Window {
    /** Diagnostics: what this page hears from each sender right now, and the route its audio takes. */
    boardroom?: {
      heard: () => Record<string, { rmsDbfs: number; frequency: number }>;
      levelAt: (senderId: string, hz: number) => number | null;
      route: () => Promise<Route | null>;
    };
  }
}

/** Why the microphone cannot be asked for here, or null when it can. Browsers offer it only
 *  to secure pages (https, or this computer's own http://127.0.0.1). */
export function insecureReason(context: { isSecureContext: boolean; hasMediaDevices: boolean; origin: string }): string | null {
  if (context.isSecureContext && context.hasMediaDevices) return null;
  if (!context.isSecureContext) {
    return `This page was opened over a connection that is not secure (${context.origin}), so your browser does not let it use the microphone. Open the invite link exactly as the host shared it (it starts with https://). If it did, something between you and the room removed the encryption (a proxy or filter): ask the host for a link that starts with https://.`;
  }
  return "This browser does not offer a microphone to web pages. Try a current Chrome, Edge, Firefox or Safari.";
}

/** The page a participant opens from the invite link: name, microphone, then the live room. */
export function ParticipantApp() {
  const [phase, setPhase] = useState<Phase>({ kind: "name" });
  const [name, setName] = useState(() => localStorage.getItem(NAME_KEY) ?? "");
  const [camera, setCamera] = useState(false);
  const [joinError, setJoinError] = useState<string | null>(null);
  const connection = useRef<RoomConnection | null>(null);
  // The room answers `getBoard` with the whole board, which `show` takes like any `board`.
  const takeAfresh = useCallback<TakeAfresh>(async () => connection.current?.resync(), []);
  const { board, latest, show, take } = useBoardMirror(takeAfresh);
  const [people, setPeople] = useState<Participant[]>([]);
  const [levelStore] = useState(() => new LevelStore());
  const [voice, setVoice] = useState<OperatorStatus>({ state: "off" });
  const transcript = useTranscript();
  const [me, setMe] = useState<string | null>(null);
  const [muted, setMuted] = useState(false);
  /** The card open in the editor, and the board revision it was opened at. */
  const [editing, setEditing] = useState<{ card: Card; seen: number } | null>(null);
  const { toasts, toast, failed, dismiss } = useToasts();
  const [videos, setVideos] = useState<Record<string, MediaStream>>({});
  const [view, setView] = useState<View>("board");
  const insecure = insecureReason({
    isSecureContext: window.isSecureContext,
    hasMediaDevices: Boolean(navigator.mediaDevices?.getUserMedia),
    origin: window.location.origin,
  });
  const audio = useRef(new RemoteAudio());

  const onMessage = useCallback(
    (message: ServerMessage) => {
      switch (message.type) {
        case "waiting":
          setPhase({ kind: "waiting" });
          break;
        case "welcome":
          setMe(message.participantId);
          show(message.board);
          setPeople(message.participants);
          setVoice(message.voice);
          transcript.replace(message.transcript);
          setPhase({ kind: "in" });
          break;
        case "participants":
          setPeople(message.participants);
          audio.current.keepOnly(new Set(message.participants.map((p) => p.id)));
          break;
        case "levels":
          levelStore.set(Object.fromEntries(message.levels.map((l) => [l.id, l.level])));
          break;
        // The board moves with the room's change stream alone, own edits included: the answer
        // to an edit (`edited`) travels apart from it and may overtake a change before it.
        case "boardChanged":
          take(message.change);
          break;
        case "board":
          show(message.board);
          break;
        case "voice":
          setVoice(message.status);
          break;
        case "transcript":
          transcript.add(message.line);
          break;
        case "error":
          toast({ tone: "error", message: message.message });
          break;
      }
    },
    [levelStore, show, take, toast, transcript.add, transcript.replace],
  );

  useEffect(() => {
    const remote = audio.current;
    window.boardroom = {
      heard: () => remote.measure(),
      levelAt: (senderId, hz) => remote.levelAt(senderId, hz),
      route: async () => (await connection.current?.route()) ?? null,
    };
    return () => {
      connection.current?.leave();
      remote.close();
    };
  }, []);

  const join = async () => {
    setJoinError(null);
    const trimmed = name.trim();
    if (!trimmed) {
      setJoinError("Please type your name.");
      return;
    }
    if (insecure) {
      setJoinError(insecure);
      return;
    }
    localStorage.setItem(NAME_KEY, trimmed);
    audio.current.start(); // while this click still counts as the person's gesture
    setPhase({ kind: "joining" });
    let media: MediaStream;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: camera });
    } catch (error) {
      setPhase({ kind: "name" });
      setJoinError(`The microphone${camera ? " or camera" : ""} could not be opened: ${errorMessage(error)}. Allow access and try again.`);
      return;
    }
    const room = new RoomConnection(socketUrl(window.location), trimmed, deviceKey(localStorage), media, {
      onMessage,
      onTrack: (track, stream) => {
        if (track.kind === "audio") audio.current.add(stream.id, stream);
        else setVideos((all) => ({ ...all, [stream.id]: stream }));
      },
      onReconnecting: (reason) => setPhase({ kind: "reconnecting", reason }),
      onClosed: (reason) => {
        audio.current.keepOnly(new Set());
        setVideos({});
        setPhase({ kind: "closed", reason });
      },
    });
    connection.current = room;
    setMuted(false);
    room.connect();
  };

  const edit = useCallback(
    async (request: Edit, seen?: number): Promise<Change | null> => {
      const room = connection.current;
      const current = latest();
      if (!room || !current) return null;
      try {
        return await room.edit(request, seen ?? current.revision);
      } catch (error) {
        failed(error);
        return null;
      }
    },
    [failed, latest],
  );

  const toggleMute = () => {
    const next = !muted;
    setMuted(next);
    connection.current?.setMuted(next);
  };

  if (phase.kind === "name" || phase.kind === "joining") {
    return (
      <div className="join-page">
        <form
          className="join-card"
          onSubmit={(event) => {
            event.preventDefault();
            void join();
          }}
        >
          <h1>Join the meeting</h1>
          <p>You will hear everyone in the room, and the board updates live as people talk and drag cards.</p>
          <label className="field">
            <span>Your name</span>
            <input name="name" autoFocus maxLength={40} value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={camera} onChange={(event) => setCamera(event.target.checked)} />
            Share my camera too
          </label>
          {insecure && (
            <p className="form-error" role="alert" data-testid="insecure">
              {insecure}
            </p>
          )}
          <FormError error={joinError === insecure ? null : joinError} />
          <button className="button primary" type="submit" disabled={phase.kind === "joining" || insecure !== null}>
            {phase.kind === "joining" ? "Joining…" : "Join with microphone"}
          </button>
          <p className="app-link">
            Boardroom installed? <a href={appLink(window.location.href)}>Open in the Boardroom app</a>
          </p>
        </form>
      </div>
    );
  }

  if (phase.kind === "waiting") {
    return (
      <div className="join-page">
        <div className="join-card" role="status" data-testid="waiting">
          <h1>Waiting for the host</h1>
          <p>The host lets people in one by one. You will join as soon as they admit you; keep this page open.</p>
          <button className="button" onClick={() => connection.current?.leave()}>
            Cancel
          </button>
        </div>
      </div>
    );
  }

  if (phase.kind === "closed") {
    return (
      <div className="join-page">
        <div className="join-card" role="status">
          <h1>You are out of the room</h1>
          <p data-testid="closed-reason">{phase.reason}</p>
          <button className="button primary" onClick={() => setPhase({ kind: "name" })}>
            Join again
          </button>
        </div>
      </div>
    );
  }

  return (
    <LevelsContext.Provider value={levelStore}>
    <div className={`app participant-app view-${view}`}>
      <TopBar>
        <button className={`button${muted ? " danger" : ""}`} aria-pressed={muted} onClick={toggleMute}>
          {muted ? "Unmute" : "Mute"}
        </button>
        <button className="button" onClick={() => connection.current?.leave()}>
          Leave
        </button>
      </TopBar>
      {phase.kind === "reconnecting" && (
        <div className="notice" role="alert">
          <p>{phase.reason}</p>
        </div>
      )}
      <nav className="view-tabs" aria-label="Show">
        {(
          [
            ["board", "Board"],
            ["people", `People (${people.length})`],
            ["transcript", "Transcript"],
          ] as [View, string][]
        ).map(([id, label]) => (
          <button key={id} className={`view-tab${view === id ? " selected" : ""}`} aria-pressed={view === id} onClick={() => setView(id)}>
            {label}
          </button>
        ))}
      </nav>
      <main className="workspace">
        {board ? (
          <BoardView board={board} highlighted={new Set()} onEdit={edit} onOpen={(card) => setEditing({ card, seen: latest()?.revision ?? 0 })} />
        ) : (
          <div className="board-placeholder" role="status">
            Loading the board…
          </div>
        )}
        <aside className="sidebar">
          <SuggestionsPanel pending={board?.pending ?? []} onAnswer={(suggestion, accept) => void answer(edit, suggestion, accept)} />
          <section className="panel participants" aria-labelledby="participants-heading">
            <header className="panel-header">
              <h2 id="participants-heading">Participants</h2>
              <span className="count">{people.length}</span>
            </header>
            <PeopleList people={people} me={me} />
          </section>
          {Object.entries(videos).map(([id, stream]) => (
            <Video key={id} stream={stream} label={people.find((p) => p.id === id)?.name ?? "Camera"} />
          ))}
          <TranscriptPanel lines={transcript.lines} />
          <ActivityPanel activity={board?.activity ?? []} />
        </aside>
      </main>
      <footer className="statusbar" role="status">
        <span className={`dot ${phase.kind === "in" ? "ok" : "wait"}`} aria-hidden="true" />
        <span className="board-state">{board ? `Live · revision ${board.revision}` : "Connecting…"}</span>
        <span className="spacer" />
        <span className="muted" data-testid="voice-status">
          {describeVoice(voice, { offUntil: "the host joins" })}
        </span>
      </footer>
      {editing && board && (
        <CardEditor
          key={editing.card.id}
          card={editing.card}
          onClose={() => setEditing(null)}
          onSave={async (requests) => {
            const changes = await sendInTurn(requests, editing.seen, edit);
            if (changes.length < requests.length) throw new Error("The change was not saved.");
            setEditing(null);
          }}
          onDelete={() => {
            void edit({ type: "delete", cardId: editing.card.id }, editing.seen).then((change) => change && setEditing(null));
          }}
        />
      )}
      <Toasts toasts={toasts} onDismiss={dismiss} />
    </div>
    </LevelsContext.Provider>
  );
}

function Video({ stream, label }: { stream: MediaStream; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = stream;
  }, [stream]);
  return (
    <figure className="panel video">
      <video ref={ref} autoPlay playsInline muted />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
