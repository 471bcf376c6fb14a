//! The meeting room, in the order a participant meets it: the invite `token`, the signaling
//! `protocol` and its `limits`, the `registry` of who is in, the SFU `peer` for each of them,
//! the host's microphone sent to them (`host_audio`), the `hub` that owns the room's state,
//! one `connection` task per WebSocket, the HTTP `server` with the participant page's
//! `assets`, and `room`, which starts and ends it all.
//! `token`, `protocol`, `limits` and `registry` are plain Rust without I/O.

pub mod assets;
pub mod connection;
pub mod host_audio;
pub mod hub;
pub mod limits;
pub mod peer;
pub mod protocol;
pub mod registry;
pub mod room;
pub mod server;
pub mod token;

pub use hub::HubHandle;
pub use protocol::{ClientMessage, Participant, ServerMessage};
pub use room::{Room, RoomAudio, RoomConfig, RoomError};
