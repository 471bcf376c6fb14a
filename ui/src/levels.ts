// Live audio levels, kept outside React state: they change ten times a second, and a change
// must re-render only the meters that show it, never the board or the panels around them.
import { createContext, useContext, useSyncExternalStore } from "react";
import type { Level } from "./bindings";
import { HOST_ID } from "./roomProtocol";

/** The latest level of each source, by participant id (the host's own is "you" in the window). */
export class LevelStore {
  private levels: Record<string, Level> = {};
  private gains: Record<string, number | null> = {};
  private readonly listeners = new Set<() => void>();

  /** The levels, and each source's automatic gain (dB) where the audio thread says. */
  set(next: Record<string, Level>, gains: Record<string, number | null> = {}): void {
    this.levels = next;
    this.gains = gains;
    for (const listener of this.listeners) listener();
  }

  get(id: string): Level | undefined {
    return this.levels[id];
  }

  gain(id: string): number | null | undefined {
    return this.gains[id];
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export const LevelsContext = createContext<LevelStore>(new LevelStore());

/** Maps -60…0 dBFS onto a meter's 0…100. */
export function meterPercent(level: Level | undefined): number {
  if (!level) return 0;
  return Math.max(0, Math.min(100, (((level.rmsDbfs ?? -100) + 60) / 60) * 100));
}

export type MeterReading = { percent: number; speaking: boolean };

/** What one source's meter shows. The component re-renders only when that changes: the
 * reading is rounded to a whole percent and compared as a primitive. */
export function useMeter(id: string): MeterReading {
  const store = useContext(LevelsContext);
  const key = useSyncExternalStore(store.subscribe, () => {
    const level = store.get(id);
    return `${Math.round(meterPercent(level))}|${level?.speaking ? 1 : 0}`;
  });
  const [percent, speaking] = key.split("|");
  return { percent: Number(percent), speaking: speaking === "1" };
}

/** The automatic gain a source gets in the mix, in whole dB (`null` when unknown). */
export function useGain(id: string): number | null {
  const store = useContext(LevelsContext);
  const gain = useSyncExternalStore(store.subscribe, () => store.gain(id));
  return gain == null ? null : Math.round(gain);
}

/** Levels keyed by participant id, from the audio thread's sources (the host's is "you"). */
export function levelsById(sources: { id: string; level: Level }[], hostSource = "you", hostId = HOST_ID): Record<string, Level> {
  const byId: Record<string, Level> = {};
  for (const source of sources) byId[source.id === hostSource ? hostId : source.id] = source.level;
  return byId;
}
