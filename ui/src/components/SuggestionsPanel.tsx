import type { Suggestion } from "../bindings";
import { describeSuggestion, whoSpoke } from "../board";
import { SourceIcon } from "./SourceIcon";

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** The voice operator's changes that wait for a person: what each would do, the words that
 *  led to it, and Accept / Reject. Shown only while some wait. */
export function SuggestionsPanel({
  pending,
  onAnswer,
}: {
  pending: Suggestion[];
  onAnswer: (suggestion: Suggestion, accept: boolean) => void;
}) {
  if (pending.length === 0) return null;
  return (
    <section className="panel suggestions" aria-labelledby="suggestions-heading">
      <header className="panel-header">
        <h2 id="suggestions-heading">Waiting for you</h2>
        <span className="count">{pending.length}</span>
      </header>
      <ol className="suggestion-list">
        {pending.map((suggestion) => {
          const what = describeSuggestion(suggestion);
          const words = suggestion.source.kind === "voice" ? suggestion.source.transcript : null;
          const who = suggestion.source.kind === "voice" ? whoSpoke(suggestion.source.speakers) : null;
          return (
            <li key={suggestion.id} className="suggestion-item" aria-label={`Suggestion: ${what}`}>
              <SourceIcon kind={suggestion.source.kind} />
              <div className="suggestion-text">
                <p>{what}</p>
                <p className="activity-meta">
                  {words ? `Heard${who ? ` from ${who}` : ""} “${words}”` : "Suggested by voice"} · {time(suggestion.at)}
                </p>
              </div>
              <div className="suggestion-actions">
                <button className="button small primary" onClick={() => onAnswer(suggestion, true)} aria-label={`Accept: ${what}`}>
                  Accept
                </button>
                <button className="button small" onClick={() => onAnswer(suggestion, false)} aria-label={`Reject: ${what}`}>
                  Reject
                </button>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
