// The voice operator of the board shown: its state, and the transcript of what it heard.
import { useCallback, useState } from "react";
import { commands, events, type OperatorStatus } from "../bindings";
import { useTranscript } from "../hooks/useTranscript";

export function useVoice() {
  const [voice, setVoice] = useState<OperatorStatus>({ state: "off" });
  const { lines: transcript, add, replace } = useTranscript();

  const listen = useCallback(
    () => [
      events.voiceStatusChanged.listen(({ payload }) => setVoice(payload.status)),
      events.transcriptAdded.listen(({ payload }) => add(payload.line)),
    ],
    [add],
  );

  const load = useCallback(async () => setVoice(await commands.getVoiceStatus()), []);

  /** Another room's operator: what this one heard does not belong there. */
  const forgetTranscript = useCallback(() => replace([]), [replace]);

  return { voice, transcript, listen, load, forgetTranscript };
}
