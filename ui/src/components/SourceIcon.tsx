import type { Source } from "../bindings";

// Inline icons, so they look the same whatever fonts the system has.
const PATHS: Record<Source["kind"], string> = {
  hand: "M8 13V5.5a1.5 1.5 0 0 1 3 0V12m0-6.5v-2a1.5 1.5 0 0 1 3 0V12m0-6.5a1.5 1.5 0 0 1 3 0V12m0-4a1.5 1.5 0 0 1 3 0v6a7 7 0 0 1-7 7h-1a7 7 0 0 1-5.6-2.8L3.3 15a1.6 1.6 0 0 1 2.4-2.1L8 15",
  voice: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3M8 21h8",
  participant: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
};

const LABELS: Record<Source["kind"], string> = { hand: "By hand", voice: "By voice", participant: "By a participant" };

export function SourceIcon({ kind }: { kind: Source["kind"] }) {
  return (
    <svg className={`source-icon source-${kind}`} viewBox="0 0 24 24" width="18" height="18" role="img" aria-label={LABELS[kind]}>
      <path d={PATHS[kind]} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
