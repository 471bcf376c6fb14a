import type { TranscriptLine } from "../bindings";
import { whoSpoke } from "../board";

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function TranscriptPanel({ lines }: { lines: TranscriptLine[] }) {
  const newestFirst = [...lines].reverse();
  return (
    <section className="panel transcript" aria-labelledby="transcript-heading">
      <header className="panel-header">
        <h2 id="transcript-heading">Transcript</h2>
        <span className="count">{lines.length}</span>
      </header>
      {newestFirst.length === 0 ? (
        <p className="panel-empty">What the voice operator hears shows up here.</p>
      ) : (
        // Focusable, so that the keyboard can scroll back through a long meeting.
        <ol className="transcript-list" aria-live="polite" aria-labelledby="transcript-heading" tabIndex={0}>
          {newestFirst.map((line) => {
            const who = whoSpoke(line.speakers);
            return (
              <li key={line.itemId} className="transcript-item">
                <p className="activity-meta">
                  {who && <span className="speaker">{who}</span>}
                  <time>{time(line.at)}</time>
                </p>
                <p>{line.text}</p>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
