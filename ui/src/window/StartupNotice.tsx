// What went wrong with the saved board at start, said once until the person dismisses it.
import { useCallback, useState } from "react";
import { commands, type StartupNotice as Notice } from "../bindings";

export function useStartupNotice() {
  const [notice, setNotice] = useState<Notice | null>(null);
  const load = useCallback(async () => setNotice(await commands.getStartupNotice()), []);
  const dismiss = useCallback(() => {
    setNotice(null);
    void commands.dismissStartupNotice();
  }, []);
  return { notice, load, dismiss };
}

export function StartupNotice({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  return (
    <div className="notice" role="alert">
      <p>{notice.message}</p>
      <button className="button" onClick={onDismiss}>
        Got it
      </button>
    </div>
  );
}
