//! The meeting room, in the order a participant meets it: the invite `token`, the signaling
//! `protocol` and its `limits`, `admission` (the lock, asking to join, the removed), the
//! `registry` of who is in, the SFU `peer` for each of them,
//! the `hub` that owns the room's state,
//! one `connection` task per WebSocket, the HTTP `server` with the participant page's
//! `assets`, and `room`, which starts and ends it all. A room others reach is served over
//! HTTPS: its certificate comes from `tls` (made and kept, or files) or `acme`, and the
//! `listener` does the handshakes; `ice` holds the STUN/TURN servers and TURN credentials.
//! `token`, `protocol`, `limits`, `admission`, `registry` and (but for its probe) `ice` are
//! plain Rust without I/O.

pub mod acme;
pub mod admission;
pub mod assets;
pub mod connection;
pub mod hub;
pub mod ice;
pub mod limits;
pub mod listener;
pub mod peer;
pub mod protocol;
pub mod registry;
pub mod room;
pub mod server;
pub mod tls;
pub mod token;

pub use admission::Lobby;
pub use hub::HubHandle;
pub use protocol::{ClientMessage, Participant, ServerMessage};
pub use room::{Access, CertificateInfo, CertificateKind, Room, RoomAudio, RoomConfig, RoomError};
