//! What the meeting room, a guest in somebody else's room and the voice operator share, so
//! that none depends on another: `peer`, the WebRTC peer factory they all set up their
//! connections with, `voice_track`, a person's voice sent and received over WebRTC, and
//! `status`, the voice operator's state and transcript lines as the window and the pages
//! show them. `status` is plain Rust; `peer` and `voice_track` are thin shells over webrtc-rs.

pub mod peer;
pub mod status;
pub mod voice_track;

pub use peer::{new_peer, with_candidates, PeerNetwork, PeerSetupError};
pub use status::{OperatorStatus, TranscriptLine};
