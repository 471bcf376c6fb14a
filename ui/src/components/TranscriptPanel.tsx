import type { TranscriptLine } from "../bindings";

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
        <ol className="transcript-list" aria-live="polite">
          {newestFirst.map((line) => (
            <li key={line.itemId} className="transcript-item">
              <time className="activity-meta">{time(line.at)}</time>
              <p>{line.text}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
