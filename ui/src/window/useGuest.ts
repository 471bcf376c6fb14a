// Being a guest in somebody else's room: joining with an invite link, where the window is
// (home, or in their room), and coming home. Moving between the two swaps what the window shows.
import { useCallback, useRef, useState } from "react";
import { commands, events, type Settings, type WhereaboutsChanged_Serialize as WhereaboutsChanged } from "../bindings";
import { attempt, call } from "../api";
import type { Toasts } from "../hooks/useToasts";

type Needs = Pick<Toasts, "toast" | "failed"> & {
  settings: Settings;
  saveSettings: (next: Settings) => Promise<void>;
  /** Leaves the board shown for another (nothing shows until that one arrives). */
  leaveBoard: () => void;
  /** Takes the board shown afresh. */
  resync: () => Promise<void>;
  forgetTranscript: () => void;
  /** Takes the participants and voice status of the room now shown. */
  refetchRoom: () => Promise<void>;
  unmute: () => void;
};

export function useGuest(needs: Needs) {
  const { toast, failed, settings, saveSettings, leaveBoard, resync, forgetTranscript, refetchRoom, unmute } = needs;
  /** Home (this machine's board) or a guest in somebody else's room. */
  const [whereabouts, setWhereabouts] = useState<WhereaboutsChanged>({ guest: null, left: null });
  /** How the last whereabouts were, to see arriving in a room, getting in, and coming home. */
  const lastWhereabouts = useRef<WhereaboutsChanged>({ guest: null, left: null });
  /** The join dialog, open with the link it offers (none when the person types one). */
  const [joinDialog, setJoinDialog] = useState<{ link?: string } | null>(null);

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
        leaveBoard();
        forgetTranscript();
        void refetchRoom();
        if (next.guest === null) void resync();
      }
      // Each way home is sent once, with why when it was not by choice; a visit too short to
      // be seen (a room that could not be reached) arrives as this alone.
      if (next.guest === null && next.left) toast({ tone: "info", message: next.left });
      if (gotIn) void resync();
    },
    [forgetTranscript, leaveBoard, refetchRoom, resync, toast],
  );

  const listen = useCallback(
    () => [
      events.whereaboutsChanged.listen(({ payload }) => arrive(payload)),
      // A clicked invite link: offer to join with it (the person confirms their name).
      events.inviteOpened.listen(({ payload }) => setJoinDialog({ link: payload.link })),
    ],
    [arrive],
  );

  const load = useCallback(async () => {
    arrive(await commands.getWhereabouts());
    const invite = await commands.takeOpenedInvite();
    if (invite) setJoinDialog({ link: invite });
  }, [arrive]);

  /** Joins somebody else's room; the name is remembered for next time. A failure is thrown for the dialog to show. */
  const join = useCallback(
    async (link: string, name: string) => {
      if (name !== settings.yourName) await saveSettings({ ...settings, yourName: name });
      unmute();
      await call(commands.joinMeeting(link, name));
    },
    [saveSettings, settings, unmute],
  );

  const leave = useCallback(() => attempt(commands.leaveMeeting(), failed), [failed]);

  const offerToJoin = useCallback(() => setJoinDialog({}), []);
  const closeJoinDialog = useCallback(() => setJoinDialog(null), []);

  return { guest: whereabouts.guest, joinDialog, listen, load, join, leave, offerToJoin, closeJoinDialog };
}
