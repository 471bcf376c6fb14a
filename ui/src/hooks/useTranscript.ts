// What the voice operator heard, as the window and the participant page show it.
import { useCallback, useState } from "react";
import type { TranscriptLine } from "../bindings";

/** The transcript keeps this many recent lines; older ones drop off the top. */
const TRANSCRIPT_LINES = 200;

export type Transcript = {
  lines: TranscriptLine[];
  add: (line: TranscriptLine) => void;
  /** Starts over with `lines` (none when moving to another room). */
  replace: (lines: TranscriptLine[]) => void;
};

export function useTranscript(): Transcript {
  const [lines, setLines] = useState<TranscriptLine[]>([]);
  const add = useCallback((line: TranscriptLine) => setLines((all) => [...all.slice(1 - TRANSCRIPT_LINES), line]), []);
  const replace = useCallback((next: TranscriptLine[]) => setLines(next.slice(-TRANSCRIPT_LINES)), []);
  return { lines, add, replace };
}
