import type { Board, MicrophoneStatus } from "../bindings";
import { describeMicrophone } from "./ParticipantsPanel";

export function StatusBar({ board, microphone }: { board: Board | null; microphone: MicrophoneStatus }) {
  const cards = board?.columns.reduce((sum, column) => sum + column.cards.length, 0) ?? 0;
  return (
    <footer className="statusbar" role="status">
      <span className={`dot ${board ? "ok" : "wait"}`} aria-hidden="true" />
      <span>{board ? `Saved · revision ${board.revision} · ${cards} cards` : "Connecting to the board…"}</span>
      <span className="spacer" />
      <span className={microphone.state === "unavailable" ? "warning" : "muted"}>{describeMicrophone(microphone)}</span>
      <span className="muted">· Voice operator: not set up</span>
    </footer>
  );
}
