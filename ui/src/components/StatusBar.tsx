import { useEffect, useState } from "react";
import type { Board, GuestRoom_Serialize as GuestRoom, MeetingCost, MicrophoneStatus, OperatorStatus } from "../bindings";
import { describeMicrophone } from "./ParticipantsPanel";

/** The voice operator's state in words; `secondsLeft` counts down a reconnect, and
 * `offUntil` says what starts it ("you join" in the app, "the host joins" on the participant page). */
export function describeVoice(
  status: OperatorStatus,
  { secondsLeft, offUntil = "you join" }: { secondsLeft?: number; offUntil?: string } = {},
): string {
  switch (status.state) {
    case "off":
      return `Voice operator: off until ${offUntil}`;
    case "connecting":
      return "Voice operator: connecting…";
    case "listening":
      return "Voice operator: listening";
    case "reconnecting":
      return `Voice operator: reconnecting in ${secondsLeft ?? status.retryInSecs} s (attempt ${status.attempt}) · ${status.reason}`;
    case "stopped":
      return `Voice operator stopped: ${status.reason}`;
  }
}

function useCountdown(status: OperatorStatus): number | undefined {
  const [left, setLeft] = useState<number | undefined>(undefined);
  useEffect(() => {
    if (status.state !== "reconnecting") return setLeft(undefined);
    const until = Date.now() + status.retryInSecs * 1000;
    const tick = () => setLeft(Math.max(0, Math.ceil((until - Date.now()) / 1000)));
    tick();
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
  }, [status]);
  return left;
}

/** What this machine's voice operator has cost in the meeting, in a few words; the breakdown
 * goes in the tooltip. Nothing before the first response. */
export function describeCost(cost: MeetingCost | null | undefined): { short: string; detail: string } | null {
  if (!cost) return null;
  const t = cost.tokens;
  const input = t.textIn + t.cachedTextIn + t.audioIn + t.cachedAudioIn;
  if (input === 0) return null;
  const cached = Math.floor(((t.cachedTextIn + t.cachedAudioIn) * 100) / input);
  const thousands = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString("en-US"));
  const dollars = cost.dollars ?? 0;
  const money = `$${dollars.toFixed(dollars < 10 ? 3 : 2)}${cost.unpriced ? " + unpriced tokens" : ""}`;
  return {
    short: `${money} · ${thousands(input)} tokens, ${cached} % cached`,
    detail:
      `Input: ${t.audioIn.toLocaleString("en-US")} audio and ${t.textIn.toLocaleString("en-US")} text tokens, ` +
      `${(t.cachedAudioIn + t.cachedTextIn).toLocaleString("en-US")} from the cache. ` +
      `Output: ${(t.textOut + t.audioOut).toLocaleString("en-US")} tokens. ` +
      `Transcription: ${t.transcriptionIn.toLocaleString("en-US")} in, ${t.transcriptionOut.toLocaleString("en-US")} out.`,
  };
}

type Props = {
  board: Board | null;
  microphone: MicrophoneStatus;
  voice: OperatorStatus;
  /** This machine's operator's cost; not shown while the window shows someone else's room. */
  cost?: MeetingCost | null;
  /** The room the window shows, when it is somebody else's. */
  guest?: GuestRoom | null;
};

/** Where the board shown is kept, in words. */
function describeBoard(board: Board | null, guest: GuestRoom | null | undefined): string {
  if (!board) return guest ? "Connecting to the room…" : "Connecting to the board…";
  const cards = board.columns.reduce((sum, column) => sum + column.cards.length, 0);
  if (!guest) return `Saved · revision ${board.revision} · ${cards} cards`;
  const whose = guest.host ? `${guest.host}'s board` : "The room's board";
  if (guest.connection.state === "reconnecting") return `${whose} · reconnecting: ${guest.connection.reason}`;
  return `${whose} · revision ${board.revision} · ${cards} cards`;
}

export function StatusBar({ board, microphone, voice, cost, guest }: Props) {
  const secondsLeft = useCountdown(voice);
  const spent = guest ? null : describeCost(cost);
  const voiceTone = voice.state === "stopped" || voice.state === "reconnecting" ? "warning" : "muted";
  return (
    <footer className="statusbar" role="status">
      <span className={`dot ${board && guest?.connection.state !== "reconnecting" ? "ok" : "wait"}`} aria-hidden="true" />
      <span className="board-state">{describeBoard(board, guest)}</span>
      <span className="spacer" />
      <span className={microphone.state === "unavailable" ? "warning" : "muted"}>{describeMicrophone(microphone)}</span>
      <span className={voiceTone} data-testid="voice-status">
        · {describeVoice(voice, { secondsLeft })}
      </span>
      {spent && (
        <span className="muted" data-testid="voice-cost" title={spent.detail}>
          · {spent.short}
        </span>
      )}
    </footer>
  );
}
