//! Where the board is saved and how it is read back. The board is kept as a snapshot,
//! `board.json`, written whole and crash-safely (a temporary file, synced, renamed over the
//! old one, the folder synced), and a journal, `board.journal`, of the changes made since
//! (see `journal` and `store`). Loading replays the journal onto the snapshot. Files that
//! cannot be read back are moved aside, never overwritten. Only their owner may read them.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::journal;
use crate::model::Board;
use crate::seed;

const FILE_NAME: &str = "board.json";
const JOURNAL_NAME: &str = "board.journal";
/// 2: the snapshot has a journal beside it. 1 had none; such a file loads as it is.
const FORMAT: u32 = 2;
const FORMATS_READ: [u32; 2] = [1, FORMAT];

/// The snapshot: the board with a format number, so later versions can migrate it.
#[derive(Serialize, Deserialize)]
struct Saved<B> {
    format: u32,
    board: B,
}

/// Where a board is saved.
#[derive(Debug, Clone)]
pub struct BoardFile {
    path: PathBuf,
    journal: PathBuf,
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
                "Your saved board could not be opened because {reason}. It was kept at {} (with its journal of recent changes beside it, if it had one) and a fresh board was started.",
                moved_to.display()
            )),
            LoadOutcome::Unusable { reason, .. } => Some(format!(
                "Your saved board at {} could not be opened because {reason}. A fresh board was started and will not be saved, so the old files are left as they are. Move it and {JOURNAL_NAME} beside it away and restart to save again.",
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
        BoardFile { path: dir.join(FILE_NAME), journal: dir.join(JOURNAL_NAME) }
    }

    /// The snapshot.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Reads the saved board; `now_ms` names the moved-aside copies of bad files.
    pub fn load(&self, now_ms: i64) -> LoadOutcome {
        match self.read() {
            Ok(Some(board)) => LoadOutcome::Loaded(board),
            Ok(None) => LoadOutcome::New(seed::board()),
            Err(reason) => self.move_aside(now_ms, reason),
        }
    }

    /// The saved board: the snapshot with the journal's changes replayed; `None` when
    /// nothing was saved yet.
    fn read(&self) -> Result<Option<Board>, String> {
        let snapshot = read_if_any(&self.path).map_err(|err| format!("it could not be read: {err}"))?;
        let journal = read_if_any(&self.journal)
            .map_err(|err| format!("its journal of changes could not be read: {err}"))?
            .unwrap_or_default();
        let records = journal::records(&journal)?;
        let Some(snapshot) = snapshot else {
            if records.is_empty() {
                return Ok(None);
            }
            return Err("its journal holds changes but the board they were made on is missing".into());
        };
        let mut board = Self::decode(&snapshot)?;
        journal::replay(&mut board, &records)?;
        board.check().map_err(|err| format!("it is inconsistent once its journal is replayed: {err}"))?;
        Ok(Some(board))
    }

    /// Moves the snapshot and the journal, those that exist, to `board.corrupt-<now_ms>.*`.
    fn move_aside(&self, now_ms: i64, reason: String) -> LoadOutcome {
        let mut moved_to = None;
        for (from, extension) in [(&self.path, "json"), (&self.journal, "journal")] {
            if fs::symlink_metadata(from).is_err() {
                continue;
            }
            let aside = from.with_file_name(format!("board.corrupt-{now_ms}.{extension}"));
            if let Err(err) = fs::rename(from, &aside) {
                let reason = format!("{reason}; moving it aside failed: {err}");
                return LoadOutcome::Unusable { board: seed::board(), reason };
            }
            // Kept for the person to look at; it stays theirs alone.
            let _ = private_files::restrict_file(&aside);
            moved_to.get_or_insert(aside);
        }
        match moved_to {
            Some(moved_to) => LoadOutcome::MovedAside { board: seed::board(), moved_to, reason },
            None => LoadOutcome::Unusable { board: seed::board(), reason: format!("{reason}; it has gone since") },
        }
    }

    /// Serialises `board` in the saved format.
    pub fn encode(board: &Board) -> Vec<u8> {
        serde_json::to_vec(&Saved { format: FORMAT, board }).expect("a board always serialises")
    }

    /// Reads a board in the saved format (or an older one), checking its invariants.
    pub fn decode(bytes: &[u8]) -> Result<Board, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err("the file is empty".into());
        }
        let saved: Saved<Board> =
            serde_json::from_slice(bytes).map_err(|err| format!("it is not a valid board file ({err})"))?;
        if !FORMATS_READ.contains(&saved.format) {
            return Err(format!("it has format {} and this version reads format {FORMAT}", saved.format));
        }
        saved.board.check().map_err(|err| format!("it is inconsistent: {err}"))?;
        Ok(saved.board)
    }

    /// Atomically replaces the snapshot with `bytes` (from [`BoardFile::encode`]). The
    /// journal's records up to the snapshot's revision are skipped from then on.
    pub fn save(&self, bytes: &[u8]) -> io::Result<()> {
        let dir = self.create_dir()?;
        let temp = self.path.with_extension("json.tmp");
        let mut file = private_files::options().create(true).write(true).truncate(true).open(&temp)?;
        // A temporary file left by an older version may still be readable by others.
        private_files::restrict_file(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &self.path)?;
        // The rename itself must reach the disk too, or a power cut could bring back the old name.
        File::open(dir)?.sync_all()
    }

    /// Creates the folder, only its owner may enter.
    pub(crate) fn create_dir(&self) -> io::Result<&Path> {
        let dir = self.dir();
        private_files::dir(dir)?;
        Ok(dir)
    }
}

fn read_if_any(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
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

    #[test]
    fn a_board_of_format_1_loads() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        let board = edited_board();
        let old = serde_json::to_vec(&Saved { format: 1, board: &board }).unwrap();
        fs::write(file.path(), old).unwrap();
        assert_eq!(file.load(0).into_board(), board);
    }

    /// The board as saved with the journal holding `edits` changes after the snapshot.
    fn journalled(dir: &Path, edits: usize) -> (BoardFile, Board) {
        let file = BoardFile::in_dir(dir);
        let mut board = seed::board();
        let mut store = crate::Store::open(file.clone(), &BoardFile::encode(&board)).unwrap();
        for n in 0..edits {
            let status = Status::ALL[n % 4];
            let change =
                board.apply(Edit::Move { card_id: "card-001".into(), status, position: None }, Source::Hand, 0);
            store.append(&change.unwrap()).unwrap();
        }
        (file, board)
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (file, board) = journalled(dir.path(), 3);
        let full = fs::read(file.journal_path()).unwrap();
        let mut journal = fs::OpenOptions::new().append(true).open(file.journal_path()).unwrap();
        // Part of a record, as a crash while appending leaves it.
        let first_line = full.iter().position(|&b| b == b'\n').unwrap();
        journal.write_all(&full[..first_line / 2]).unwrap();
        assert_eq!(file.load(0).into_board(), board);
    }

    #[test]
    fn a_damaged_journal_is_moved_aside_with_its_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = journalled(dir.path(), 3);
        let mut journal = fs::read(file.journal_path()).unwrap();
        journal[10] = b'#';
        fs::write(file.journal_path(), &journal).unwrap();
        let snapshot = fs::read(file.path()).unwrap();
        match file.load(42) {
            LoadOutcome::MovedAside { board, moved_to, reason } => {
                assert_eq!(board, seed::board());
                assert!(reason.contains("journal of changes is damaged at line 1"), "{reason}");
                assert_eq!(moved_to, dir.path().join("board.corrupt-42.json"));
                assert_eq!(fs::read(&moved_to).unwrap(), snapshot);
                assert_eq!(fs::read(dir.path().join("board.corrupt-42.journal")).unwrap(), journal);
                assert!(!file.path().exists() && !file.journal_path().exists());
            }
            other => panic!("expected the files to be moved aside, got {other:?}"),
        }

        // A journal with changes but no board they were made on.
        let (file, _) = journalled(dir.path(), 1);
        fs::remove_file(file.path()).unwrap();
        match file.load(43) {
            LoadOutcome::MovedAside { moved_to, reason, .. } => {
                assert!(reason.contains("the board they were made on is missing"), "{reason}");
                assert_eq!(moved_to, dir.path().join("board.corrupt-43.journal"));
            }
            other => panic!("expected the journal to be moved aside, got {other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_may_read_the_files() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        let (file, _) = journalled(&dir, 2);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(file.journal_path()), 0o600);
        // A file an older version left readable by others is replaced by a private one.
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(file.journal_path(), fs::Permissions::from_mode(0o644)).unwrap();
        crate::Store::open(file.clone(), &BoardFile::encode(&file.load(0).into_board())).unwrap();
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(file.journal_path()), 0o600);
        // So is what is moved aside.
        fs::write(file.path(), b"garbage").unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let moved_to = file.load(7).moved_to().unwrap().to_path_buf();
        assert_eq!(mode(&moved_to), 0o600);
        assert_eq!(mode(&dir.join("board.corrupt-7.journal")), 0o600);
    }
}
