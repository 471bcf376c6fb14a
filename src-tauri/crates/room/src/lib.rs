//! The meeting room, in the order a participant meets it: the `listener` at the door, which
//! gives each connection a place within the caps of the `gate` (overall and per address,
//! below the process's `descriptors` less a reserve), does TLS handshakes for a room others
//! reach (its certificate from `tls`, made and kept or files, or `acme`) and serves HTTP;
//! the invite `token`, the signaling protocol (the `room-protocol` crate, shared with the app
//! joining as a guest and the page) and the room's own rate `limits`, `admission` (the lock,
//! asking to join, the removed), the `registry` of who is in, the SFU `peer` for each of
//! them, the `hub` that owns the room's state (its doors, members, peers and news, with the
//! pure routing table of who hears whom), one `connection` task per WebSocket, the HTTP
//! `server` with the participant page's `assets` and the `origin` check of its WebSocket,
//! and `room`, which starts and ends it all. `ice` holds the STUN/TURN servers and TURN
//! credentials. `gate`, `origin`, `token`, `limits`, `admission`, `registry`, the hub's
//! routing table and (but for its probe) `ice` are plain Rust without I/O.

pub mod acme;
pub mod admission;
pub mod assets;
pub mod connection;
pub mod descriptors;
pub mod gate;
pub mod hub;
pub mod ice;
pub mod limits;
pub mod listener;
pub mod origin;
pub mod peer;
pub mod registry;
pub mod room;
pub mod server;
pub mod tls;
pub mod token;

pub use admission::Lobby;
pub use hub::HubHandle;
pub use room::{Access, CertificateInfo, CertificateKind, Room, RoomAudio, RoomConfig, RoomError};
