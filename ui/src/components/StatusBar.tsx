import type { Board } from "../bindings";

export function StatusBar({ board }: { board: Board | null }) {
  const cards = board?.columns.reduce((sum, column) => sum + column.cards.length, 0) ?? 0;
  return (
    <footer className="statusbar" role="status">
      <span className={`dot ${board ? "ok" : "wait"}`} aria-hidden="true" />
      <span>{board ? `Saved · revision ${board.revision} · ${cards} cards` : "Connecting to the board…"}</span>
      <span className="spacer" />
      <span className="muted">Voice operator: not set up</span>
    </footer>
  );
}
