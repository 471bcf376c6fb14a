// This machine's microphone in the room shown: whether it is on, how loud everyone is, muting,
// which device it uses, and whether what the computer plays is heard ("call audio").
import { useCallback, useState } from "react";
import { commands, events, type MicrophoneStatus, type Settings, type SystemAudioStatus } from "../bindings";
import { attempt, call } from "../api";
import { LevelStore } from "../levels";
import type { Toasts } from "../hooks/useToasts";

/** The input devices to choose from; none when they cannot be listed. */
export function listMicrophones(): Promise<string[]> {
  return call(commands.listMicrophones()).catch(() => []);
}

type Needs = Pick<Toasts, "failed"> & { settings: Settings; saveSettings: (next: Settings) => Promise<void> };

export function useMicrophone({ failed, settings, saveSettings }: Needs) {
  const [microphone, setMicrophone] = useState<MicrophoneStatus>({ state: "off" });
  const [systemAudio, setSystemAudio] = useState<SystemAudioStatus>({ state: "off" });
  const [levels] = useState(() => new LevelStore());
  const [muted, setMuted] = useState(false);

  const listen = useCallback(
    () => [
      events.microphoneChanged.listen(({ payload }) => setMicrophone(payload.status)),
      events.systemAudioChanged.listen(({ payload }) => setSystemAudio(payload.status)),
      events.audioLevels.listen(({ payload }) =>
        levels.set(
          Object.fromEntries(payload.levels.sources.map((source) => [source.id, source.level])),
          Object.fromEntries(payload.levels.sources.map((source) => [source.id, source.gainDb])),
        ),
      ),
    ],
    [levels],
  );

  /** A call starts with the microphone open. */
  const unmute = useCallback(() => setMuted(false), []);

  const join = useCallback(async () => {
    unmute();
    await attempt(commands.joinRoom(), failed);
  }, [failed, unmute]);

  const leave = useCallback(() => attempt(commands.leaveRoom(), failed), [failed]);

  const toggleMute = useCallback(() => {
    const next = !muted;
    setMuted(next);
    void commands.setMuted(next);
  }, [muted]);

  const choose = useCallback(
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

  return { microphone, systemAudio, levels, muted, listen, unmute, join, leave, toggleMute, choose };
}
