//! The board at start: loaded from its file in the data folder (a corrupt file is moved
//! aside, never overwritten), with its actor running.

use std::path::{Path, PathBuf};

use board::{actor::now_ms, BoardActor, BoardFile, BoardHandle, LoadOutcome};

/// How the saved board was found, for the window's notice or the host's status lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardOpened {
    pub path: PathBuf,
    /// There was no file yet: a new board starts from the seed.
    pub new: bool,
    pub revision: u64,
    /// What was wrong with the file, in words for the person.
    pub problem: Option<String>,
    /// Where an unusable file was moved, when it could be.
    pub moved_to: Option<PathBuf>,
}

/// Loads the board and starts its actor (on the current Tokio runtime).
pub fn open(data_dir: &Path) -> (BoardHandle, BoardOpened) {
    let file = BoardFile::in_dir(data_dir);
    let outcome = file.load(now_ms());
    let opened = BoardOpened {
        path: file.path().to_path_buf(),
        new: matches!(outcome, LoadOutcome::New(_)),
        revision: outcome.board().revision(),
        problem: outcome.problem(&file),
        moved_to: outcome.moved_to().map(Path::to_path_buf),
    };
    let may_save = outcome.may_save();
    let (actor, board) = BoardActor::new(outcome.into_board(), may_save.then_some(file));
    tokio::spawn(actor.run());
    (board, opened)
}
