import type { GuestRoom_Serialize as GuestRoom } from "../bindings";

/** Whose room the window shows, in words. */
export function describeGuestRoom(room: GuestRoom): string {
  const whose = room.host ? `${room.host}'s room` : "the room";
  switch (room.connection.state) {
    case "connecting":
      return `Joining ${whose}…`;
    case "waiting":
      return `Waiting for the host to let you into ${whose}…`;
    case "in":
      return `You are in ${whose}`;
    case "reconnecting":
      return `Reconnecting to ${whose}: ${room.connection.reason}`;
  }
}

/** Across the top while the window shows somebody else's room, with the way back to your own board. */
export function GuestBanner({ room, onLeave }: { room: GuestRoom; onLeave: () => void }) {
  const trouble = room.connection.state === "reconnecting";
  return (
    <div className={`guest-banner${trouble ? " warning" : ""}`} role="status" aria-live="polite">
      <p>
        <strong>{describeGuestRoom(room)}</strong>
        {room.mutedByHost ? (
          <span> · The host muted you for everyone: nobody hears you until they unmute you.</span>
        ) : (
          <span className="muted"> · the board below is theirs; your own board is kept as it was.</span>
        )}
      </p>
      <button className="button" onClick={onLeave}>
        Leave
      </button>
    </div>
  );
}
