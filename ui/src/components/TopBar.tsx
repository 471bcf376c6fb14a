import type { ReactNode } from "react";

/** The bar across the top of the window and of the participant page: the name, then the controls. */
export function TopBar({ children }: { children: ReactNode }) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <h1>Boardroom</h1>
        <span className="board-name">Team standup</span>
      </div>
      <div className="settings">{children}</div>
    </header>
  );
}
