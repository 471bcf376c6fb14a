//! What the meeting room, a guest in somebody else's room and the voice operator share, so
//! that none depends on another: `peer`, the WebRTC peer factory they all set up their
//! connections with (and add the tracks they send with, reading the RTCP back), `opus`,
//! Opus over WebRTC both ways (a microphone or the room mix encoded onto an outgoing
//! track, an incoming voice decoded into the mix), and `status`, the voice operator's state
//! and transcript lines as the window and the pages show them. `status` is plain Rust;
//! `peer` and `opus` are thin shells over webrtc-rs.

pub mod opus;
pub mod peer;
pub mod status;

pub use peer::{add_track, new_peer, with_candidates, PeerNetwork, PeerSetupError};
pub use status::{who_spoke, OperatorStatus, TranscriptLine};
