// The short messages in the corner, for the window and the participant page alike.
import { useCallback, useRef, useState } from "react";
import type { Toast } from "../components/Toasts";
import { errorMessage } from "../errors";

/** At most this many show at once: a new one pushes out the oldest. */
const SHOWN = 4;

export type Toasts = {
  toasts: Toast[];
  toast: (toast: Omit<Toast, "id">) => void;
  /** Shows why something failed (a `catch` handler). */
  failed: (error: unknown) => void;
  dismiss: (id: number) => void;
};

export function useToasts(): Toasts {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const lastId = useRef(0);

  const toast = useCallback((next: Omit<Toast, "id">) => {
    const id = ++lastId.current;
    setToasts((all) => [...all.slice(1 - SHOWN), { ...next, id }]);
  }, []);

  const failed = useCallback((error: unknown) => toast({ tone: "error", message: errorMessage(error) }), [toast]);

  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);

  return { toasts, toast, failed, dismiss };
}
