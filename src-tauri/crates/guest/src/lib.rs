//! Joining somebody else's room from the app, in the order it happens: the `invite` link (with
//! the room's certificate fingerprint), how the room is trusted over `tls`, its `signaling`
//! socket, the `peer` that carries the call's audio both ways, and the `session` that keeps
//! the app in the room and publishes what it shows, coming back after a drop as its
//! `comeback` policy says. `invite` and `comeback` are plain Rust without I/O.

mod comeback;
pub mod invite;
mod peer;
pub mod session;
pub mod signaling;
pub mod tls;

pub use invite::{Fingerprint, Invite, InviteError};
pub use session::{EditError, Guest, GuestAudio, GuestStatus, GuestView, JoinRequest};
