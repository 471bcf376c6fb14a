//! Crash-safe persistence of the board: each save writes a temporary file, syncs it and
//! renames it over the old one, so a crash at any instant leaves either the old or the new
//! state on disk. A file that cannot be read back is moved aside, never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Board;
use crate::seed;

const FILE_NAME: &str = "board.json";
const FORMAT: u32 = 1;

/// The saved file: the board with a format number, so later versions can migrate it.
#[derive(Serialize, Deserialize)]
struct Saved<B> {
    format: u32,
    board: B,
}

/// Where a board is saved.
#[derive(Debug, Clone)]
pub struct BoardFile {
    path: PathBuf,
}

/// What was found at start.
#[derive(Debug)]
pub enum LoadOutcome {
    /// No saved board yet: the seed board.
    New(Board),
    Loaded(Board),
    /// The saved file could not be used. It was moved to `moved_to` and the seed board is used.
    MovedAside {
        board: Board,
        moved_to: PathBuf,
        reason: String,
    },
    /// The saved file could not be used nor moved aside. The seed board is used and nothing
    /// may be saved this session, so the file stays as it is.
    Unusable {
        board: Board,
        reason: String,
    },
}

impl LoadOutcome {
    pub fn board(&self) -> &Board {
        match self {
            LoadOutcome::New(board) | LoadOutcome::Loaded(board) => board,
            LoadOutcome::MovedAside { board, .. } | LoadOutcome::Unusable { board, .. } => board,
        }
    }

    pub fn into_board(self) -> Board {
        match self {
            LoadOutcome::New(board) | LoadOutcome::Loaded(board) => board,
            LoadOutcome::MovedAside { board, .. } | LoadOutcome::Unusable { board, .. } => board,
        }
    }

    /// Whether saving may go ahead (it may not when a bad file could not be moved out of the way).
    pub fn may_save(&self) -> bool {
        !matches!(self, LoadOutcome::Unusable { .. })
    }

    /// What the person must be told about the saved board at `file`, if anything went wrong.
    pub fn problem(&self, file: &BoardFile) -> Option<String> {
        match self {
            LoadOutcome::New(_) | LoadOutcome::Loaded(_) => None,
            LoadOutcome::MovedAside { moved_to, reason, .. } => Some(format!(
                "Your saved board could not be opened because {reason}. It was kept at {} and a fresh board was started.",
                moved_to.display()
            )),
            LoadOutcome::Unusable { reason, .. } => Some(format!(
                "Your saved board at {} could not be opened because {reason}. A fresh board was started and will not be saved, so the old file is left as it is. Move it away and restart to save again.",
                file.path().display()
            )),
        }
    }

    /// Where an unusable board file was moved, when it was.
    pub fn moved_to(&self) -> Option<&Path> {
        match self {
            LoadOutcome::MovedAside { moved_to, .. } => Some(moved_to),
            _ => None,
        }
    }
}

impl BoardFile {
    pub fn in_dir(dir: &Path) -> Self {
        BoardFile { path: dir.join(FILE_NAME) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the saved board; `now_ms` names the moved-aside copy of a bad file.
    pub fn load(&self, now_ms: i64) -> LoadOutcome {
        let reason = match fs::read(&self.path) {
            Ok(bytes) => match Self::decode(&bytes) {
                Ok(board) => return LoadOutcome::Loaded(board),
                Err(reason) => reason,
            },
            Err(err) if err.kind() == io::ErrorKind::NotFound => return LoadOutcome::New(seed::board()),
            Err(err) => format!("it could not be read: {err}"),
        };
        let aside = self.path.with_file_name(format!("board.corrupt-{now_ms}.json"));
        match fs::rename(&self.path, &aside) {
            Ok(()) => LoadOutcome::MovedAside { board: seed::board(), moved_to: aside, reason },
            Err(err) => LoadOutcome::Unusable {
                board: seed::board(),
                reason: format!("{reason}; moving it aside failed: {err}"),
            },
        }
    }

    /// Serialises `board` in the saved format.
    pub fn encode(board: &Board) -> Vec<u8> {
        serde_json::to_vec(&Saved { format: FORMAT, board }).expect("a board always serialises")
    }

    /// Reads a board in the saved format, checking its invariants.
    pub fn decode(bytes: &[u8]) -> Result<Board, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err("the file is empty".into());
        }
        let saved: Saved<Board> =
            serde_json::from_slice(bytes).map_err(|err| format!("it is not a valid board file ({err})"))?;
        if saved.format != FORMAT {
            return Err(format!("it has format {} and this version reads format {FORMAT}", saved.format));
        }
        saved.board.check().map_err(|err| format!("it is inconsistent: {err}"))?;
        Ok(saved.board)
    }

    /// Atomically replaces the saved board with `bytes` (from [`BoardFile::encode`]).
    pub fn save(&self, bytes: &[u8]) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let temp = self.path.with_extension("json.tmp");
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &self.path)?;
        // The rename itself must reach the disk too, or a power cut could bring back the old name.
        File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Source;
    use crate::edit::Edit;
    use crate::model::Status;

    fn edited_board() -> Board {
        let mut board = seed::board();
        let edit = Edit::Move { card_id: "card-003".into(), status: Status::InProgress, position: None };
        board.apply(edit, Source::Hand, 1).unwrap();
        board
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        assert!(matches!(file.load(0), LoadOutcome::New(_)));
        let board = edited_board();
        file.save(&BoardFile::encode(&board)).unwrap();
        match file.load(0) {
            LoadOutcome::Loaded(loaded) => assert_eq!(loaded, board),
            other => panic!("expected the saved board, got {other:?}"),
        }
        assert!(!file.path().with_extension("json.tmp").exists());
    }

    #[test]
    fn bad_files_are_moved_aside_untouched() {
        let full = BoardFile::encode(&edited_board());
        let cases: [(&str, Vec<u8>, &str); 4] = [
            ("garbage", b"\x00\xffnot json at all".to_vec(), "not a valid board file"),
            ("empty", Vec::new(), "empty"),
            ("truncated", full[..full.len() / 2].to_vec(), "not a valid board file"),
            (
                "inconsistent",
                br#"{"format":1,"board":{"revision":0,"nextCardNumber":1,"columns":[],"activity":[]}}"#.to_vec(),
                "inconsistent",
            ),
        ];
        for (name, bytes, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            let file = BoardFile::in_dir(dir.path());
            fs::write(file.path(), &bytes).unwrap();
            match file.load(42) {
                LoadOutcome::MovedAside { board, moved_to, reason } => {
                    assert_eq!(board, seed::board(), "{name}");
                    assert!(reason.contains(expected), "{name}: {reason}");
                    assert_eq!(moved_to, dir.path().join("board.corrupt-42.json"));
                    assert_eq!(fs::read(&moved_to).unwrap(), bytes, "{name}: the bad file is kept as it was");
                    assert!(!file.path().exists());
                }
                other => panic!("{name}: expected the file to be moved aside, got {other:?}"),
            }
        }
    }
}
