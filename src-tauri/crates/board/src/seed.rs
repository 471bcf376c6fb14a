//! The board a new room starts with: the original's five WebRTC cards, all in Backlog.

use crate::model::{Board, Card, Status};

pub fn board() -> Board {
    let card = |id: &str, title: &str, notes: &str, topics: [&str; 2]| Card {
        id: id.to_owned(),
        status: Status::Backlog,
        title: title.to_owned(),
        notes: notes.to_owned(),
        tags: ["webrtc", topics[0], topics[1]].map(str::to_owned).to_vec(),
    };
    Board::with_cards(vec![
        card(
            "card-001",
            "Finish RTP HEVC Packetizer",
            "Fragmentation units and aggregation packets still missing.",
            ["rtp", "hevc"],
        ),
        card(
            "card-002",
            "Add RTP Retransmission Buffer",
            "Keep recent packets so NACKs can be answered with RTX.",
            ["rtp", "nack"],
        ),
        card(
            "card-003",
            "Implement ICE Restart Handling",
            "Renegotiate credentials without dropping the call.",
            ["ice", "signaling"],
        ),
        card(
            "card-004",
            "Harden DTLS/SRTP Cleanup",
            "Close transports and zero keys on every teardown path.",
            ["dtls", "srtp"],
        ),
        card(
            "card-005",
            "Add Simulcast Forwarding Controls",
            "Let receivers pick a layer by bandwidth.",
            ["simulcast", "bandwidth"],
        ),
    ])
}
