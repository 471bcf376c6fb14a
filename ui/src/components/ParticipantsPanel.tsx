/** Who is in the room. Empty until rooms and audio arrive; the layout is ready for them. */
export function ParticipantsPanel() {
  return (
    <section className="panel participants" aria-labelledby="participants-heading">
      <header className="panel-header">
        <h2 id="participants-heading">Participants</h2>
        <span className="count">0</span>
      </header>
      <p className="panel-empty">No one has joined yet. People in the room will appear here with their speaking levels.</p>
    </section>
  );
}
