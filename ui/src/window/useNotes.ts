// Meeting notes: the list of the last meetings' notes, the one being read, and the notes a
// meeting that just ended wrote (shown at once).
import { useCallback, useState } from "react";
import { commands, events, type NotesFile } from "../bindings";
import { call } from "../api";
import { errorMessage } from "../errors";

export type OpenNotes = { name: string; text: string | null; error: string | null };

export function useNotes({ failed }: { failed: (what: string, error: unknown) => void }) {
  const [files, setFiles] = useState<NotesFile[]>([]);
  const [open, setOpen] = useState<OpenNotes | null>(null);

  const refresh = useCallback(async () => {
    try {
      setFiles(await call(commands.listNotes()));
    } catch (error) {
      failed("The meeting notes could not be listed", error);
    }
  }, [failed]);

  /** Shows one meeting's notes (the dialog opens at once; the text follows). */
  const read = useCallback(async (name: string) => {
    setOpen({ name, text: null, error: null });
    try {
      const text = await call(commands.readNotes(name));
      setOpen((shown) => (shown?.name === name ? { name, text, error: null } : shown));
    } catch (error) {
      setOpen((shown) => (shown?.name === name ? { name, text: null, error: errorMessage(error) } : shown));
    }
  }, []);

  /** Opens the notes dialog on the newest notes, or empty when there are none yet. */
  const show = useCallback(async () => {
    try {
      const listed = await call(commands.listNotes());
      setFiles(listed);
      if (listed.length > 0) await read(listed[0].name);
      else setOpen({ name: "", text: null, error: null });
    } catch (error) {
      failed("The meeting notes could not be listed", error);
    }
  }, [failed, read]);

  const listen = useCallback(
    () => [
      // A meeting just ended: its notes show, and the list has them.
      events.notesWritten.listen(({ payload }) => {
        void refresh();
        void read(payload.name);
      }),
    ],
    [read, refresh],
  );

  const close = useCallback(() => setOpen(null), []);

  return { files, open, show, read, close, listen, load: refresh };
}
