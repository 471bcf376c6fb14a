// The board as this side last had it, kept in step with the changes that follow it. The window
// and the participant page keep theirs the same way: a change that is not the next revision
// means one was missed, and the whole board is taken afresh.
import { useCallback, useRef, useState } from "react";
import type { Board, Change } from "../bindings";
import { receive } from "../board";

/** Gets the whole board anew and hands it to `show`, now or later. */
export type TakeAfresh = (show: (board: Board) => void) => Promise<void>;

export type BoardMirror = {
  /** The board shown, or null until one arrives. */
  board: Board | null;
  /** The board shown right now, for callbacks that outlive a render. */
  latest: () => Board | null;
  show: (board: Board) => void;
  /** Shows nothing until the next board arrives (one board's changes do not apply to another). */
  forget: () => void;
  /** Follows `change`: applied when it is the next revision, ignored when already seen, and on a gap the board is taken afresh. */
  take: (change: Change) => void;
  /** Takes the whole board afresh. */
  resync: () => Promise<void>;
};

/** `takeAfresh` must keep its identity across renders (a `useCallback`). */
export function useBoardMirror(takeAfresh: TakeAfresh): BoardMirror {
  const [board, setBoard] = useState<Board | null>(null);
  const shown = useRef<Board | null>(null);

  const set = useCallback((next: Board | null) => {
    shown.current = next;
    setBoard(next);
  }, []);
  const show = useCallback((next: Board) => set(next), [set]);
  const forget = useCallback(() => set(null), [set]);
  const latest = useCallback(() => shown.current, []);
  const resync = useCallback(() => takeAfresh(show), [show, takeAfresh]);

  const take = useCallback(
    (change: Change) => {
      // Nothing shown yet: the board on its way already holds the change.
      if (!shown.current) return;
      const received = receive(shown.current, change);
      if (received.kind === "applied") show(received.board);
      if (received.kind === "gap") void resync();
    },
    [resync, show],
  );

  return { board, latest, show, forget, take, resync };
}
