// The room this machine hosts and who is in the room shown: starting and ending it, the lobby
// of people asking to join, and the host's say over each participant.
import { useCallback, useRef, useState } from "react";
import { commands, events, type Lobby, type MicrophoneStatus, type Participant, type Person, type RoomInfo } from "../bindings";
import { attempt, call } from "../api";
import type { Toasts } from "../hooks/useToasts";

type Needs = Pick<Toasts, "toast" | "failed"> & { microphone: MicrophoneStatus; joinWithMicrophone: () => Promise<void> };

export function useRoom({ toast, failed, microphone, joinWithMicrophone }: Needs) {
  const [room, setRoom] = useState<RoomInfo | null>(null);
  const [participants, setParticipants] = useState<Participant[]>([]);
  const [lobby, setLobby] = useState<Lobby>({ locked: false, askToJoin: false, waiting: [], removed: [] });
  /** Who the host was already told is waiting, so each knock is announced once. */
  const announced = useRef(new Set<string>());

  const listen = useCallback(
    () => [
      events.roomChanged.listen(({ payload }) => setRoom(payload.room)),
      events.participantsChanged.listen(({ payload }) => setParticipants(payload.participants)),
      events.lobbyChanged.listen(({ payload }) => {
        for (const person of payload.lobby.waiting) {
          if (!announced.current.has(person.id)) toast({ tone: "info", message: `${person.name} asks to join the room` });
        }
        announced.current = new Set(payload.lobby.waiting.map((person) => person.id));
        setLobby(payload.lobby);
      }),
    ],
    [toast],
  );

  // What cannot be read stays as it was.
  const keep = () => undefined;
  const loadParticipants = useCallback(() => call(commands.getParticipants()).then(setParticipants, keep), []);
  const load = useCallback(async () => {
    await call(commands.getRoom()).then(setRoom, keep);
    await loadParticipants();
    await call(commands.getLobby()).then(setLobby, keep);
  }, [loadParticipants]);

  /** Opens the room; a failure is thrown for the room panel to show. */
  const start = useCallback(async () => {
    setRoom(await call(commands.startRoom()));
    // Hosting a meeting means being in it: the host's microphone goes to the room and the AI.
    if (microphone.state === "off") await joinWithMicrophone();
  }, [joinWithMicrophone, microphone.state]);

  const end = useCallback(() => attempt(commands.endRoom(), failed), [failed]);

  /** Replaces the room's link; a failure is thrown for the room panel to show. */
  const newLink = useCallback(async () => {
    const renewed = await call(commands.newRoomLink());
    if (renewed) setRoom(renewed);
  }, []);

  /** Locks or unlocks the room; a failure is thrown for the room panel to show. */
  const lock = useCallback(async (locked: boolean) => {
    await call(commands.setRoomLocked(locked));
  }, []);

  const muteInMix = useCallback(
    (person: Participant, mute: boolean) => attempt(commands.muteParticipant(person.id, mute), failed),
    [failed],
  );

  const remove = useCallback(
    (person: Participant) =>
      call(commands.removeParticipant(person.id)).then(
        () => toast({ tone: "info", message: `Removed ${person.name} from the room` }),
        failed,
      ),
    [failed, toast],
  );

  // The host's answers to the lobby.
  const admit = useCallback((person: Person) => attempt(commands.admitParticipant(person.id), failed), [failed]);
  const decline = useCallback((person: Person) => attempt(commands.declineParticipant(person.id), failed), [failed]);
  const allowBack = useCallback((person: Person) => attempt(commands.allowBack(person.id), failed), [failed]);

  return { room, participants, lobby, listen, load, loadParticipants, start, end, newLink, lock, muteInMix, remove, admit, decline, allowBack };
}
