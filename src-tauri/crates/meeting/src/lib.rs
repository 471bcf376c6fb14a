//! What the meeting room and the voice operator share, so that neither depends on the
//! other: `peer`, the WebRTC peer factory both set up their connections with, and `status`,
//! the voice operator's state and transcript lines as the window and the pages show them.
//! `status` is plain Rust; `peer` is the thin shell over webrtc-rs.

pub mod peer;
pub mod status;

pub use peer::{new_peer, PeerNetwork, PeerSetupError};
pub use status::{OperatorStatus, TranscriptLine};
