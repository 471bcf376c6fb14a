//! The model's function calls, any name and any arguments: parsing never panics, and an
//! edit it asks for either applies as exactly one new revision or changes nothing.
#![no_main]

use board::{seed, Source};
use libfuzzer_sys::fuzz_target;
use realtime::tools::{parse_call, ToolAction};

const TOOLS: [&str; 7] =
    ["create_ticket", "move_ticket", "add_tags", "update_ticket", "delete_ticket", "do_nothing", "launch_rocket"];

fuzz_target!(|data: &[u8]| {
    let Some((&which, arguments)) = data.split_first() else { return };
    let arguments = String::from_utf8_lossy(arguments);
    if let Ok(ToolAction::Edit(edit)) = parse_call(TOOLS[usize::from(which) % TOOLS.len()], &arguments) {
        let mut board = seed::board();
        let before = board.clone();
        let source = Source::Voice { call_id: "call_fuzz".into(), transcript: None, speakers: vec![] };
        match board.apply(edit, source, 0) {
            Ok(change) => {
                assert_eq!(change.revision, before.revision() + 1);
                board.check().expect("an applied edit keeps the board consistent");
            }
            Err(_) => assert_eq!(board, before, "a refused edit changes nothing"),
        }
    }
});
