import type { Change } from "../bindings";
import { canUndo, describe, sourceLabel } from "../board";
import { SourceIcon } from "./SourceIcon";

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** The board's changes, newest first, each with who made it; with `onUndo`, each can be undone. */
export function ActivityPanel({ activity, onUndo }: { activity: Change[]; onUndo?: (revision: number) => void }) {
  const newestFirst = [...activity].reverse();
  return (
    <section className="panel activity" aria-labelledby="activity-heading">
      <header className="panel-header">
        <h2 id="activity-heading">Activity</h2>
        <span className="count">{activity.length}</span>
      </header>
      {newestFirst.length === 0 ? (
        <p className="panel-empty">Changes to the board show up here, with who made them.</p>
      ) : (
        <ol className="activity-list">
          {newestFirst.map((change) => (
            <li key={change.revision} className="activity-item">
              <SourceIcon kind={change.source.kind} />
              <div className="activity-text">
                <p>{describe(change)}</p>
                <p className="activity-meta">
                  {sourceLabel(change.source)} · {time(change.at)} · #{change.revision}
                  {change.source.kind === "voice" && change.source.transcript ? ` · “${change.source.transcript}”` : ""}
                </p>
              </div>
              {onUndo && canUndo(change) && (
                <button className="button small" onClick={() => onUndo(change.revision)} aria-label={`Undo: ${describe(change)}`}>
                  Undo
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
