//! A page's WebSocket text, whatever it is: parsing never panics, and an edit it carries
//! either applies as exactly one new revision or changes nothing.
#![no_main]

use board::{seed, Source};
use libfuzzer_sys::fuzz_target;
use room_protocol::ClientMessage;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(ClientMessage::Edit { seen, edit, .. }) = ClientMessage::parse(&text) {
        let mut board = seed::board();
        let before = board.clone();
        let source = Source::Participant { name: "fuzz".into() };
        match board.apply_seen(edit, source, 0, seen) {
            Ok(change) => {
                assert_eq!(change.revision, before.revision() + 1);
                board.check().expect("an applied edit keeps the board consistent");
            }
            Err(_) => assert_eq!(board, before, "a refused edit changes nothing"),
        }
    }
});
