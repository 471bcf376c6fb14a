// The window: this machine's board (or the room's it is a guest in), hosting a room, the
// microphone and the voice operator. Each concern keeps its state in its own hook (./window);
// this file lays them out.
import { useCallback, useState } from "react";
import type { GuestRoom_Serialize as GuestRoom, Settings } from "./bindings";
import { BoardView } from "./components/BoardView";
import { ActivityPanel } from "./components/ActivityPanel";
import { ParticipantsPanel } from "./components/ParticipantsPanel";
import { StatusBar } from "./components/StatusBar";
import { CardEditor } from "./components/CardEditor";
import { Toasts } from "./components/Toasts";
import { TopBar } from "./components/TopBar";
import { ThemePicker } from "./components/ThemePicker";
import { MicrophonePicker } from "./components/MicrophonePicker";
import { TranscriptPanel } from "./components/TranscriptPanel";
import { SuggestionsPanel } from "./components/SuggestionsPanel";
import { VoiceSettingsDialog } from "./components/VoiceSettingsDialog";
import { RoomPanel } from "./components/RoomPanel";
import { GuestBanner } from "./components/GuestBanner";
import { JoinMeetingDialog } from "./components/JoinMeetingDialog";
import { NotesDialog } from "./components/NotesDialog";
import { BoardFilesDialog } from "./components/BoardFilesDialog";
import { LevelsContext } from "./levels";
import { answer } from "./board";
import { useToasts } from "./hooks/useToasts";
import { useBoard } from "./window/useBoard";
import { useGuest } from "./window/useGuest";
import { listMicrophones, useMicrophone } from "./window/useMicrophone";
import { useRoom } from "./window/useRoom";
import { useSettings } from "./window/useSettings";
import { useStartup } from "./window/useStartup";
import { StartupNotice, useStartupNotice } from "./window/StartupNotice";
import { useVoice } from "./window/useVoice";
import { useNotes } from "./window/useNotes";

/** What shows while there is no board to show. */
function placeholder(guest: GuestRoom | null, loadError: string | null): string {
  if (guest) {
    return guest.connection.state === "waiting"
      ? "The host lets people in one by one; the board shows as soon as they let you in."
      : "Loading the room's board…";
  }
  return loadError ? `The board could not be loaded: ${loadError}` : "Loading the board…";
}

export default function App() {
  const { toasts, toast, failed, dismiss } = useToasts();
  const notice = useStartupNotice();
  const { settings, load: loadSettings, save: saveSettings } = useSettings({ failed });
  const board = useBoard({ toast, failed });
  const voice = useVoice();
  const mic = useMicrophone({ failed, settings, saveSettings });
  const room = useRoom({ toast, failed, microphone: mic.microphone, joinWithMicrophone: mic.join });
  const { load: loadVoice } = voice;
  const { loadParticipants } = room;
  const refetchRoom = useCallback(async () => {
    await loadVoice();
    await loadParticipants();
  }, [loadParticipants, loadVoice]);
  const visit = useGuest({
    toast,
    failed,
    settings,
    saveSettings,
    leaveBoard: board.leave,
    resync: board.resync,
    forgetTranscript: voice.forgetTranscript,
    refetchRoom,
    unmute: mic.unmute,
  });
  const notes = useNotes({ failed });
  useStartup([board, notice, { load: loadSettings }, voice, mic, room, visit, notes]);

  const [voiceSettingsOpen, setVoiceSettingsOpen] = useState(false);
  const closeVoiceSettings = useCallback(() => setVoiceSettingsOpen(false), []);
  const [boardFilesOpen, setBoardFilesOpen] = useState(false);
  const closeBoardFiles = useCallback(() => setBoardFilesOpen(false), []);
  /** Saves from a control that shows no error of its own (the toast says why). */
  const saveQuietly = (next: Settings) => void saveSettings(next).catch(() => undefined);
  const { guest } = visit;
  const { editing } = board;

  return (
    <LevelsContext.Provider value={mic.levels}>
    <div className="app">
      <TopBar>
        <MicrophonePicker microphone={settings.microphone ?? null} onChange={(device) => void mic.choose(device)} list={listMicrophones} />
        <label className="picker" title="With speakers, what they play is cancelled from your microphone; a headset needs no echo cancellation.">
          <input type="checkbox" checked={settings.headset} onChange={(event) => saveQuietly({ ...settings, headset: event.target.checked })} />
          <span>Headset</span>
        </label>
        <ThemePicker theme={settings.theme} onChange={(theme) => saveQuietly({ ...settings, theme })} />
        <button className="button" onClick={() => setVoiceSettingsOpen(true)}>
          Voice settings
        </button>
        <button className="button" onClick={() => void notes.show()}>
          Meeting notes
        </button>
        <button className="button" onClick={() => setBoardFilesOpen(true)}>
          Import and export
        </button>
        {!guest && !room.room && (
          <button className="button primary" onClick={visit.offerToJoin}>
            Join a meeting…
          </button>
        )}
      </TopBar>
      {guest && <GuestBanner room={guest} onLeave={() => void visit.leave()} />}
      {notice.notice && <StartupNotice notice={notice.notice} onDismiss={notice.dismiss} />}
      <main className="workspace">
        {board.board ? (
          <BoardView board={board.board} highlighted={board.highlighted} onEdit={board.edit} onOpen={board.open} />
        ) : (
          <div className="board-placeholder" role="status">
            {placeholder(guest, board.loadError)}
          </div>
        )}
        <aside className="sidebar hosting">
          <SuggestionsPanel pending={board.board?.pending ?? []} onAnswer={(suggestion, accept) => void answer(board.edit, suggestion, accept)} />
          {!guest && (
            <RoomPanel
              room={room.room}
              settings={settings}
              locked={room.lobby.locked}
              onStart={room.start}
              onEnd={room.end}
              onNewLink={room.newLink}
              onLock={room.lock}
              onSaveSettings={saveSettings}
            />
          )}
          {guest ? (
            // In somebody else's room: everyone there, the host first; the host's controls are theirs.
            <ParticipantsPanel
              status={mic.microphone}
              muted={mic.muted}
              callAudio={mic.systemAudio}
              onJoin={() => void mic.join()}
              onLeave={() => void visit.leave()}
              onToggleMute={mic.toggleMute}
              guests={[...room.participants].sort((a, b) => Number(b.host) - Number(a.host))}
            />
          ) : (
            <ParticipantsPanel
              status={mic.microphone}
              muted={mic.muted}
              callAudio={mic.systemAudio}
              onJoin={() => void mic.join()}
              onLeave={() => void mic.leave()}
              onToggleMute={mic.toggleMute}
              guests={room.participants.filter((person) => !person.host)}
              onMuteInMix={(person, mute) => void room.muteInMix(person, mute)}
              onRemove={(person) => void room.remove(person)}
              lobby={room.lobby}
              onAdmit={(person) => void room.admit(person)}
              onDecline={(person) => void room.decline(person)}
              onAllowBack={(person) => void room.allowBack(person)}
            />
          )}
          <TranscriptPanel lines={voice.transcript} />
          <ActivityPanel activity={board.board?.activity ?? []} onUndo={board.undo} />
        </aside>
      </main>
      <StatusBar board={board.board} microphone={mic.microphone} voice={voice.voice} cost={voice.cost} guest={guest} />
      {visit.joinDialog && (
        <JoinMeetingDialog
          key={visit.joinDialog.link ?? ""}
          link={visit.joinDialog.link}
          name={settings.yourName ?? ""}
          onJoin={visit.join}
          onClose={visit.closeJoinDialog}
        />
      )}
      {notes.open && <NotesDialog files={notes.files} open={notes.open} onRead={(name) => void notes.read(name)} onClose={notes.close} />}
      {boardFilesOpen && (
        <BoardFilesDialog
          cardCount={board.board?.columns.reduce((count, column) => count + column.cards.length, 0) ?? 0}
          seen={() => board.latest()?.revision ?? 0}
          onImported={board.imported}
          onClose={closeBoardFiles}
        />
      )}
      {voiceSettingsOpen && <VoiceSettingsDialog settings={settings} onSaveSettings={saveSettings} onClose={closeVoiceSettings} />}
      {editing && board.board && (
        <CardEditor
          key={editing.card.id}
          card={editing.card}
          onClose={board.close}
          onSave={(requests) => board.save(requests, editing)}
          onDelete={() => void board.remove(editing)}
        />
      )}
      <Toasts toasts={toasts} onDismiss={dismiss} />
    </div>
    </LevelsContext.Provider>
  );
}
