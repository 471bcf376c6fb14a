import type { Lobby, Person } from "../bindings";

type Props = {
  lobby: Lobby;
  onAdmit: (person: Person) => void;
  onDecline: (person: Person) => void;
  onAllowBack: (person: Person) => void;
};

/** The host's doors: who waits to be let in, and who was removed (kept out until let back). */
export function LobbyList({ lobby, onAdmit, onDecline, onAllowBack }: Props) {
  return (
    <>
      {lobby.waiting.length > 0 && (
        <div className="lobby" role="group" aria-label="Waiting to join">
          <h3 className="lobby-heading">Waiting to join</h3>
          <ul className="lobby-list">
            {lobby.waiting.map((person) => (
              <li key={person.id} className="lobby-person" data-waiting={person.name}>
                <span className="lobby-name">{person.name}</span>
                <button className="button small primary" onClick={() => onAdmit(person)}>
                  Admit {person.name}
                </button>
                <button className="button small" onClick={() => onDecline(person)}>
                  Decline {person.name}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {lobby.removed.length > 0 && (
        <div className="lobby" role="group" aria-label="Removed">
          <h3 className="lobby-heading">Removed from this room</h3>
          <ul className="lobby-list">
            {lobby.removed.map((person) => (
              <li key={person.id} className="lobby-person" data-removed={person.name}>
                <span className="lobby-name">{person.name}</span>
                <button className="button small" onClick={() => onAllowBack(person)}>
                  Let {person.name} back in
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
