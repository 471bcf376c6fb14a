// How the window starts following the backend: every concern listens to its events before
// anything is read, so no change falls between reading a value and listening for the next;
// then each reads what it shows, in the order given; then the window reports that it is ready.
import { useEffect } from "react";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { commands } from "../bindings";

/** What one concern of the window follows: its backend events, and what it reads at start. */
export type Feed = {
  listen?: () => Promise<UnlistenFn>[];
  load?: () => Promise<void>;
};

/** Each feed's functions must keep their identity across renders (`useCallback`). */
export function useStartup(feeds: Feed[]) {
  const steps = feeds.flatMap((feed) => [feed.listen, feed.load]);
  useEffect(() => {
    const stops: UnlistenFn[] = [];
    let cancelled = false;
    void (async () => {
      const unlisteners = await Promise.all(feeds.flatMap((feed) => feed.listen?.() ?? []));
      if (cancelled) unlisteners.forEach((unlisten) => unlisten());
      else stops.push(...unlisteners);
      for (const feed of feeds) await feed.load?.();
      if (!cancelled) void commands.uiReady();
    })();
    return () => {
      cancelled = true;
      stops.forEach((stop) => stop());
    };
    // The feeds are new objects each render; their functions are what the start depends on.
  }, steps);
}
