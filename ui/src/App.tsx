import { useCallback, useEffect, useRef, useState } from "react";
import {
  commands,
  events,
  type Board,
  type Card,
  type Change,
  type Edit,
  type Lobby,
  type MicrophoneStatus,
  type OperatorStatus,
  type Participant,
  type Person,
  type RoomInfo,
  type Settings,
  type StartupNotice,
  type Theme,
  type TranscriptLine,
  type WhereaboutsChanged_Serialize as WhereaboutsChanged,
} from "./bindings";
import { describe, receive, sendInTurn } from "./board";
import { CommandFailed, editBoard, fetchBoard } from "./api";
import { errorMessage } from "./errors";
import { BoardView } from "./components/BoardView";
import { ActivityPanel } from "./components/ActivityPanel";
import { ParticipantsPanel } from "./components/ParticipantsPanel";
import { StatusBar } from "./components/StatusBar";
import { CardEditor } from "./components/CardEditor";
import { Toasts, type Toast } from "./components/Toasts";
import { ThemePicker } from "./components/ThemePicker";
import { MicrophonePicker } from "./components/MicrophonePicker";
import { TranscriptPanel } from "./components/TranscriptPanel";
import { VoiceSettingsDialog } from "./components/VoiceSettingsDialog";
import { RoomPanel } from "./components/RoomPanel";
import { GuestBanner } from "./components/GuestBanner";
import { JoinMeetingDialog } from "./components/JoinMeetingDialog";
import { LevelStore, LevelsContext } from "./levels";

const HIGHLIGHT_MS = 2500;
/** The transcript keeps this many recent lines. */
const TRANSCRIPT_LINES = 200;

async function listMicrophones(): Promise<string[]> {
  const listed = await commands.listMicrophones();
  return listed.status === "ok" ? listed.data : [];
}

export default function App() {
  const [board, setBoard] = useState<Board | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<StartupNotice | null>(null);
  /** The card open in the editor, and the board revision it was opened at. */
  const [editing, setEditing] = useState<{ card: Card; seen: number } | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [highlighted, setHighlighted] = useState<Set<string>>(new Set());
  const [settings, setSettings] = useState<Settings>({
    theme: "system",
    microphone: null,
    headset: false,
    model: null,
    baseUrl: null,
    roomLan: false,
    roomPort: null,
    roomAskToJoin: false,
    iceServers: [],
    publicIp: null,
    udpPorts: null,
    yourName: null,
  });
  const [voice, setVoice] = useState<OperatorStatus>({ state: "off" });
  const [transcript, setTranscript] = useState<TranscriptLine[]>([]);
  const [voiceSettingsOpen, setVoiceSettingsOpen] = useState(false);
  const closeVoiceSettings = useCallback(() => setVoiceSettingsOpen(false), []);
  const [microphone, setMicrophone] = useState<MicrophoneStatus>({ state: "off" });
  const [levelStore] = useState(() => new LevelStore());
  const [muted, setMuted] = useState(false);
  const [room, setRoom] = useState<RoomInfo | null>(null);
  const [participants, setParticipants] = useState<Participant[]>([]);
  const [lobby, setLobby] = useState<Lobby>({ locked: false, askToJoin: false, waiting: [], removed: [] });
  /** Who the host was already told is waiting, so each knock is announced once. */
  const announced = useRef(new Set<string>());
  /** Home (this machine's board) or a guest in somebody else's room. */
  const [whereabouts, setWhereabouts] = useState<WhereaboutsChanged>({ guest: null, left: null });
  /** How the last whereabouts were, to see arriving in a room, getting in, and coming home. */
  const lastWhereabouts = useRef<WhereaboutsChanged>({ guest: null, left: null });
  const [joinDialog, setJoinDialog] = useState<{ link?: string } | null>(null);
  const theme: Theme = settings.theme;
  const boardRef = useRef<Board | null>(null);
  const toastId = useRef(0);

  const show = useCallback((board: Board) => {
    boardRef.current = board;
    setBoard(board);
  }, []);

  const resync = useCallback(async () => {
    try {
      show(await fetchBoard());
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, [show]);

  const toast = useCallback((toast: Omit<Toast, "id">) => {
    const id = ++toastId.current;
    setToasts((all) => [...all.slice(-3), { ...toast, id }]);
  }, []);

  const dismissToast = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);

  const highlight = useCallback((cardId: string) => {
    setHighlighted((ids) => new Set(ids).add(cardId));
    setTimeout(() => {
      setHighlighted((ids) => {
        const next = new Set(ids);
        next.delete(cardId);
        return next;
      });
    }, HIGHLIGHT_MS);
  }, []);

  /** Takes in a change, whether we made it or someone else did; re-fetches on a gap. */
  const take = useCallback(
    (change: Change) => {
      const current = boardRef.current;
      if (!current) return;
      const received = receive(current, change);
      if (received.kind === "applied") show(received.board);
      if (received.kind === "gap") void resync();
    },
    [resync, show],
  );

  /** Takes the participants and voice status of the room now shown (the room's, or this machine's own). */
  const refetchRoom = useCallback(async () => {
    setVoice(await commands.getVoiceStatus());
    const present = await commands.getParticipants();
    if (present.status === "ok") setParticipants(present.data);
  }, []);

  /** Moving between this machine's board and a room's: the board and its people are taken afresh. */
  const arrive = useCallback(
    (next: WhereaboutsChanged) => {
      const before = lastWhereabouts.current;
      lastWhereabouts.current = next;
      setWhereabouts(next);
      const moved = (before.guest === null) !== (next.guest === null);
      const gotIn = next.guest?.connection.state === "in" && before.guest?.connection.state !== "in";
      if (moved) {
        // Neither board's changes apply to the other: nothing shows until the right one arrives.
        boardRef.current = null;
        setBoard(null);
        setEditing(null);
        setTranscript([]);
        void refetchRoom();
        if (next.guest === null) void resync();
      }
      // Each way home is sent once, with why when it was not by choice; a visit too short to
      // be seen (a room that could not be reached) arrives as this alone.
      if (next.guest === null && next.left) toast({ tone: "info", message: next.left });
      if (gotIn) void resync();
    },
    [refetchRoom, resync, toast],
  );

  useEffect(() => {
    const stops: (() => void)[] = [];
    let cancelled = false;
    void (async () => {
      const unlisteners = await Promise.all([
        events.boardChanged.listen(({ payload }) => {
          take(payload.change);
          if (payload.change.source.kind !== "hand") {
            const id = payload.change.after?.card.id;
            if (id) highlight(id);
          }
        }),
        events.microphoneChanged.listen(({ payload }) => setMicrophone(payload.status)),
        events.audioLevels.listen(({ payload }) =>
          levelStore.set(Object.fromEntries(payload.levels.sources.map((source) => [source.id, source.level]))),
        ),
        events.voiceStatusChanged.listen(({ payload }) => setVoice(payload.status)),
        events.transcriptAdded.listen(({ payload }) => setTranscript((lines) => [...lines.slice(1 - TRANSCRIPT_LINES), payload.line])),
        events.roomChanged.listen(({ payload }) => setRoom(payload.room)),
        events.participantsChanged.listen(({ payload }) => setParticipants(payload.participants)),
        events.whereaboutsChanged.listen(({ payload }) => arrive(payload)),
        // A clicked invite link: offer to join with it (the person confirms their name).
        events.inviteOpened.listen(({ payload }) => setJoinDialog({ link: payload.link })),
        events.lobbyChanged.listen(({ payload }) => {
          for (const person of payload.lobby.waiting) {
            if (!announced.current.has(person.id)) toast({ tone: "info", message: `${person.name} asks to join the room` });
          }
          announced.current = new Set(payload.lobby.waiting.map((person) => person.id));
          setLobby(payload.lobby);
        }),
      ]);
      if (cancelled) unlisteners.forEach((unlisten) => unlisten());
      else stops.push(...unlisteners);
      await resync();
      setNotice(await commands.getStartupNotice());
      const saved = await commands.getSettings();
      if (saved.status === "ok") setSettings(saved.data);
      setVoice(await commands.getVoiceStatus());
      const open = await commands.getRoom();
      if (open.status === "ok") setRoom(open.data);
      const present = await commands.getParticipants();
      if (present.status === "ok") setParticipants(present.data);
      const doors = await commands.getLobby();
      if (doors.status === "ok") setLobby(doors.data);
      arrive(await commands.getWhereabouts());
      const invite = await commands.takeOpenedInvite();
      if (invite) setJoinDialog({ link: invite });
      if (!cancelled) void commands.uiReady();
    })();
    return () => {
      cancelled = true;
      stops.forEach((stop) => stop());
    };
  }, [arrive, highlight, levelStore, resync, take, toast]);

  useEffect(() => {
    const osDark = window.matchMedia("(prefers-color-scheme: dark)");
    const apply = () => {
      document.documentElement.dataset.theme = theme === "system" ? (osDark.matches ? "dark" : "light") : theme;
    };
    apply();
    osDark.addEventListener("change", apply);
    return () => osDark.removeEventListener("change", apply);
  }, [theme]);

  /** Sends an edit made on the board as shown now (or at `seen`); on failure shows why. When
   *  the board moved on (a conflict) or the card is gone, it takes the board as it is now, and
   *  an editor open on a card that is gone closes; a refused value leaves everything as it is. */
  const edit = useCallback(
    async (request: Edit, seen?: number): Promise<Change | null> => {
      try {
        const change = await editBoard(request, seen ?? boardRef.current?.revision ?? 0);
        take(change);
        return change;
      } catch (error) {
        toast({ tone: "error", message: errorMessage(error) });
        const kind = error instanceof CommandFailed ? error.kind : "failed";
        if (kind === "notFound") setEditing(null);
        if (kind !== "invalid") await resync();
        return null;
      }
    },
    [resync, take, toast],
  );

  const undo = useCallback(
    async (revision: number) => {
      const change = await edit({ type: "undo", revision });
      if (change) toast({ tone: "info", message: describe(change) });
    },
    [edit, toast],
  );

  const open = useCallback((card: Card) => setEditing({ card, seen: boardRef.current?.revision ?? 0 }), []);

  const remove = useCallback(
    async (card: Card, seen: number) => {
      const change = await edit({ type: "delete", cardId: card.id }, seen);
      if (change) {
        setEditing(null);
        toast({ tone: "info", message: `Deleted “${card.title}”`, action: { label: "Undo", run: () => void undo(change.revision) } });
      }
    },
    [edit, toast, undo],
  );

  /** Saves settings; a refused change is shown and the saved settings come back. */
  const saveSettings = useCallback(
    async (next: Settings) => {
      const saved = await commands.setSettings(next);
      if (saved.status === "error") {
        toast({ tone: "error", message: saved.error.message });
        throw new Error(saved.error.message);
      }
      setSettings(next);
    },
    [toast],
  );

  const leave = useCallback(async () => {
    const left = await commands.leaveRoom();
    if (left.status === "error") toast({ tone: "error", message: left.error.message });
  }, [toast]);

  const join = useCallback(async () => {
    setMuted(false);
    const joined = await commands.joinRoom();
    if (joined.status === "error") toast({ tone: "error", message: joined.error.message });
  }, [toast]);

  const chooseMicrophone = useCallback(
    async (device: string | null) => {
      await saveSettings({ ...settings, microphone: device }).catch(() => undefined);
      // Switch at once when already in the room.
      if (microphone.state !== "off") {
        await leave();
        await join();
      }
    },
    [join, leave, microphone.state, saveSettings, settings],
  );

  const startRoom = useCallback(async () => {
    const started = await commands.startRoom();
    if (started.status === "error") throw new Error(started.error.message);
    setRoom(started.data);
    // Hosting a meeting means being in it: the host's microphone goes to the room and the AI.
    if (microphone.state === "off") await join();
  }, [join, microphone.state]);

  const endRoom = useCallback(async () => {
    const ended = await commands.endRoom();
    if (ended.status === "error") toast({ tone: "error", message: ended.error.message });
  }, [toast]);

  const muteInMix = useCallback(
    async (person: Participant, mute: boolean) => {
      const done = await commands.muteParticipant(person.id, mute);
      if (done.status === "error") toast({ tone: "error", message: done.error.message });
    },
    [toast],
  );

  const removeParticipant = useCallback(
    async (person: Participant) => {
      const done = await commands.removeParticipant(person.id);
      if (done.status === "error") toast({ tone: "error", message: done.error.message });
      else toast({ tone: "info", message: `Removed ${person.name} from the room` });
    },
    [toast],
  );

  /** Runs one of the host's answers to the lobby; a failure is shown. */
  const answer = useCallback(
    async (run: () => Promise<{ status: "ok" } | { status: "error"; error: { message: string } }>) => {
      const done = await run();
      if (done.status === "error") toast({ tone: "error", message: done.error.message });
    },
    [toast],
  );

  const lockRoom = useCallback(
    async (locked: boolean) => {
      const done = await commands.setRoomLocked(locked);
      if (done.status === "error") throw new Error(done.error.message);
    },
    [],
  );

  /** Joins somebody else's room; the name is remembered for next time. */
  const joinMeeting = useCallback(
    async (link: string, name: string) => {
      if (name !== settings.yourName) await saveSettings({ ...settings, yourName: name });
      setMuted(false);
      const joined = await commands.joinMeeting(link, name);
      if (joined.status === "error") throw new Error(joined.error.message);
    },
    [saveSettings, settings],
  );

  const leaveMeeting = useCallback(async () => {
    const left = await commands.leaveMeeting();
    if (left.status === "error") toast({ tone: "error", message: left.error.message });
  }, [toast]);

  const guest = whereabouts.guest;

  const toggleMute = useCallback(() => {
    const next = !muted;
    setMuted(next);
    void commands.setMuted(next);
  }, [muted]);

  return (
    <LevelsContext.Provider value={levelStore}>
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <h1>Boardroom</h1>
          <span className="board-name">Team standup</span>
        </div>
        <div className="settings">
          <MicrophonePicker microphone={settings.microphone ?? null} onChange={(device) => void chooseMicrophone(device)} list={listMicrophones} />
          <label className="picker" title="With speakers, what they play is cancelled from your microphone; a headset needs no echo cancellation.">
            <input
              type="checkbox"
              checked={settings.headset}
              onChange={(event) => void saveSettings({ ...settings, headset: event.target.checked }).catch(() => undefined)}
            />
            <span>Headset</span>
          </label>
          <ThemePicker theme={theme} onChange={(next) => void saveSettings({ ...settings, theme: next }).catch(() => undefined)} />
          <button className="button" onClick={() => setVoiceSettingsOpen(true)}>
            Voice settings
          </button>
          {!guest && !room && (
            <button className="button primary" onClick={() => setJoinDialog({})}>
              Join a meeting…
            </button>
          )}
        </div>
      </header>
      {guest && <GuestBanner room={guest} onLeave={() => void leaveMeeting()} />}
      {notice && (
        <div className="notice" role="alert">
          <p>{notice.message}</p>
          <button
            className="button"
            onClick={() => {
              setNotice(null);
              void commands.dismissStartupNotice();
            }}
          >
            Got it
          </button>
        </div>
      )}
      <main className="workspace">
        {board ? (
          <BoardView board={board} highlighted={highlighted} onEdit={edit} onOpen={open} />
        ) : (
          <div className="board-placeholder" role="status">
            {guest
              ? guest.connection.state === "waiting"
                ? "The host lets people in one by one; the board shows as soon as they let you in."
                : "Loading the room's board…"
              : loadError
                ? `The board could not be loaded: ${loadError}`
                : "Loading the board…"}
          </div>
        )}
        <aside className="sidebar hosting">
          {!guest && (
            <RoomPanel
              room={room}
              settings={settings}
              locked={lobby.locked}
              onStart={startRoom}
              onEnd={endRoom}
              onLock={lockRoom}
              onSaveSettings={saveSettings}
            />
          )}
          {guest ? (
            // In somebody else's room: everyone there, the host first; the host's controls are theirs.
            <ParticipantsPanel
              status={microphone}
              muted={muted}
              onJoin={() => void join()}
              onLeave={() => void leaveMeeting()}
              onToggleMute={toggleMute}
              guests={[...participants].sort((a, b) => Number(b.host) - Number(a.host))}
            />
          ) : (
            <ParticipantsPanel
              status={microphone}
              muted={muted}
              onJoin={() => void join()}
              onLeave={() => void leave()}
              onToggleMute={toggleMute}
              guests={participants.filter((person) => !person.host)}
              onMuteInMix={(person, mute) => void muteInMix(person, mute)}
              onRemove={(person) => void removeParticipant(person)}
              lobby={lobby}
              onAdmit={(person: Person) => void answer(() => commands.admitParticipant(person.id))}
              onDecline={(person: Person) => void answer(() => commands.declineParticipant(person.id))}
              onAllowBack={(person: Person) => void answer(() => commands.allowBack(person.id))}
            />
          )}
          <TranscriptPanel lines={transcript} />
          <ActivityPanel activity={board?.activity ?? []} onUndo={undo} />
        </aside>
      </main>
      <StatusBar board={board} microphone={microphone} voice={voice} guest={guest} />
      {joinDialog && (
        <JoinMeetingDialog
          key={joinDialog.link ?? ""}
          link={joinDialog.link}
          name={settings.yourName ?? ""}
          onJoin={joinMeeting}
          onClose={() => setJoinDialog(null)}
        />
      )}
      {voiceSettingsOpen && (
        <VoiceSettingsDialog settings={settings} onSaveSettings={saveSettings} onClose={closeVoiceSettings} />
      )}
      {editing && board && (
        <CardEditor
          key={editing.card.id}
          card={editing.card}
          onClose={() => setEditing(null)}
          onSave={async (requests) => {
            try {
              await sendInTurn(requests, editing.seen, async (request, seen) => {
                const change = await editBoard(request, seen);
                take(change);
                return change;
              });
              setEditing(null);
            } catch (error) {
              // The editor shows the message; unless only the value was refused, the board
              // moved on meanwhile (or the card went), so take it as it is now.
              if (!(error instanceof CommandFailed && error.kind === "invalid")) void resync();
              throw error;
            }
          }}
          onDelete={() => void remove(editing.card, editing.seen)}
        />
      )}
      <Toasts toasts={toasts} onDismiss={dismissToast} />
    </div>
    </LevelsContext.Provider>
  );
}
