// The voice operator of the board shown: its state, the transcript of what it heard, and
// what this machine's operator has cost in the meeting.
import { useCallback, useState } from "react";
import { commands, events, type MeetingCost, type OperatorStatus } from "../bindings";
import { useTranscript } from "../hooks/useTranscript";

export function useVoice() {
  const [voice, setVoice] = useState<OperatorStatus>({ state: "off" });
  const [cost, setCost] = useState<MeetingCost | null>(null);
  const { lines: transcript, add, replace } = useTranscript();

  const listen = useCallback(
    () => [
      events.voiceStatusChanged.listen(({ payload }) => setVoice(payload.status)),
      events.transcriptAdded.listen(({ payload }) => add(payload.line)),
      events.voiceCostChanged.listen(({ payload }) => setCost(payload.cost)),
    ],
    [add],
  );

  const load = useCallback(async () => {
    setVoice(await commands.getVoiceStatus());
    setCost(await commands.getVoiceCost());
  }, []);

  /** Another room's operator: what this one heard does not belong there. */
  const forgetTranscript = useCallback(() => replace([]), [replace]);

  return { voice, cost, transcript, listen, load, forgetTranscript };
}
