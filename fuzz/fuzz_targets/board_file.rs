//! Whatever is in the board file: reading never panics, and a board it accepts is
//! consistent and saves back to the same board.
#![no_main]

use board::BoardFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(board) = BoardFile::decode(data) {
        board.check().expect("a loaded board is consistent");
        let again = BoardFile::decode(&BoardFile::encode(&board)).expect("a saved board reads back");
        assert_eq!(again, board);
    }
});
