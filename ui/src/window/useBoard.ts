// The board the window shows (this machine's own, or the room's it is a guest in): in step
// with the backend's changes, lit up where someone else touched it, and edited by hand here.
import { useCallback, useState } from "react";
import { events, type Card, type Change, type Edit } from "../bindings";
import { CommandFailed, editBoard, fetchBoard } from "../api";
import { describe, sendInTurn } from "../board";
import { errorMessage } from "../errors";
import { useBoardMirror, type TakeAfresh } from "../hooks/useBoardMirror";
import type { Toasts } from "../hooks/useToasts";

const HIGHLIGHT_MS = 2500;

/** The card open in the editor, and the board revision it was opened at. */
export type Editing = { card: Card; seen: number };

export function useBoard({ toast, failed }: Pick<Toasts, "toast" | "failed">) {
  const [loadError, setLoadError] = useState<string | null>(null);
  const takeAfresh = useCallback<TakeAfresh>(async (show) => {
    try {
      show(await fetchBoard());
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, []);
  const { board, latest, forget, take, resync } = useBoardMirror(takeAfresh);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [highlighted, setHighlighted] = useState<Set<string>>(new Set());

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

  const listen = useCallback(
    () => [
      events.boardChanged.listen(({ payload }) => {
        take(payload.change);
        if (payload.change.source.kind !== "hand") {
          const id = payload.change.after?.card.id;
          if (id) highlight(id);
        }
      }),
    ],
    [highlight, take],
  );

  /** Sends an edit made on the board as shown now (or at `seen`); on failure shows why. When
   *  the board moved on (a conflict) or the card is gone, it takes the board as it is now, and
   *  an editor open on a card that is gone closes; a refused value leaves everything as it is. */
  const edit = useCallback(
    async (request: Edit, seen?: number): Promise<Change | null> => {
      try {
        const change = await editBoard(request, seen ?? latest()?.revision ?? 0);
        take(change);
        return change;
      } catch (error) {
        failed(error);
        const kind = error instanceof CommandFailed ? error.kind : "failed";
        if (kind === "notFound") setEditing(null);
        if (kind !== "invalid") await resync();
        return null;
      }
    },
    [failed, latest, resync, take],
  );

  const undo = useCallback(
    async (revision: number) => {
      const change = await edit({ type: "undo", revision });
      if (change) toast({ tone: "info", message: describe(change) });
    },
    [edit, toast],
  );

  /** Shows an import made from the window, and offers to undo it. */
  const imported = useCallback(
    (change: Change) => {
      take(change);
      toast({ tone: "info", message: describe(change), action: { label: "Undo", run: () => void undo(change.revision) } });
    },
    [take, toast, undo],
  );

  const open = useCallback((card: Card) => setEditing({ card, seen: latest()?.revision ?? 0 }), [latest]);
  const close = useCallback(() => setEditing(null), []);

  /** Deletes the card open in the editor, and offers to undo that. */
  const remove = useCallback(
    async ({ card, seen }: Editing) => {
      const change = await edit({ type: "delete", cardId: card.id }, seen);
      if (change) {
        setEditing(null);
        toast({ tone: "info", message: `Deleted “${card.title}”`, action: { label: "Undo", run: () => void undo(change.revision) } });
      }
    },
    [edit, toast, undo],
  );

  /** Saves what the card editor changed; a failure is thrown for the editor to show. */
  const save = useCallback(
    async (requests: Edit[], { seen }: Editing) => {
      try {
        await sendInTurn(requests, seen, async (request, seen) => {
          const change = await editBoard(request, seen);
          take(change);
          return change;
        });
        setEditing(null);
      } catch (error) {
        // Unless only the value was refused, the board moved on meanwhile (or the card went),
        // so take it as it is now.
        if (!(error instanceof CommandFailed && error.kind === "invalid")) void resync();
        throw error;
      }
    },
    [resync, take],
  );

  /** Off to another board: nothing of this one shows, or stays open, until that one arrives. */
  const leave = useCallback(() => {
    forget();
    setEditing(null);
  }, [forget]);

  return { board, latest, loadError, highlighted, editing, listen, load: resync, resync, leave, edit, undo, imported, open, close, remove, save };
}
