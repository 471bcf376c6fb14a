//! What both ends of a room share, so that the room (`boardroom-room`), the app joining as a
//! guest (`boardroom-guest`) and the participant page cannot drift apart: the signaling
//! `messages` and their version, the `rules` both sides follow (who the host is, how long a
//! dropped participant keeps their place, when and how often to try coming back, which
//! errors are final), the `names` and device keys the room accepts, the TLS `crypto` both
//! ends use, and the `page`'s copy of those rules, generated as TypeScript. Plain Rust, no I/O.

pub mod crypto;
pub mod messages;
pub mod names;
pub mod page;
pub mod rules;

pub use messages::{
    ClientMessage, Connection, ErrorCode, IceServer, Participant, ParticipantLevel, ProtocolError, ServerMessage,
};
pub use rules::{COMEBACK_RETRY, HOST_ID, MAX_MESSAGE_BYTES, MAX_ROOM_MESSAGE_BYTES, PROTOCOL_VERSION, REJOIN_GRACE};
