//! Saving each change as it is made, at about the cost of the change: its record is appended
//! to the journal and synced before the change is acknowledged. The whole board is written
//! again as the snapshot (compaction) when the store opens, when the journal has grown past
//! the snapshot's size (so writing it costs at most as much again as the records did) and at
//! a clean shutdown. Blocking; the actor runs it off the async threads.

use std::fs::{File, TryLockError};
use std::io::{self, Write};

use crate::change::Change;
use crate::file::BoardFile;
use crate::journal;

/// The journal never compacts below this size, so a small board is not rewritten every few edits.
const COMPACTION_FLOOR: u64 = 64 * 1024;

/// The open journal of a saved board.
#[derive(Debug)]
pub struct Store {
    file: BoardFile,
    journal: File,
    /// The length of the journal's acknowledged records.
    journal_bytes: u64,
    snapshot_bytes: u64,
    /// An append failed and the journal could not be cut back to its acknowledged records:
    /// that must happen before anything else is written, or a change reported as not saved
    /// could come back at the next start.
    damaged: bool,
}

impl Store {
    /// Opens `file` for saving: writes `snapshot` (from [`BoardFile::encode`], the board as it
    /// is now), then empties the journal. A crash in between leaves only records the snapshot
    /// holds, which loading skips. Fails, writing nothing, while another store has it open.
    pub fn open(file: BoardFile, snapshot: &[u8]) -> io::Result<Store> {
        file.create_dir()?;
        let journal = private_files::options().create(true).append(true).open(file.journal_path())?;
        // Another process saving the same board would mix its records with these. The lock
        // goes with the file, when the store is dropped or the process dies.
        journal.try_lock().map_err(|err| match err {
            TryLockError::WouldBlock => io::Error::other("another Boardroom is saving this board"),
            TryLockError::Error(err) => err,
        })?;
        private_files::restrict_file(file.journal_path())?;
        file.save(snapshot)?;
        journal.set_len(0)?;
        journal.sync_all()?;
        Ok(Store { file, journal, journal_bytes: 0, snapshot_bytes: snapshot.len() as u64, damaged: false })
    }

    /// Appends `change`, just applied, and syncs it. On failure the journal is cut back to
    /// the records before it, so the change is not saved.
    pub fn append(&mut self, change: &Change) -> io::Result<()> {
        self.repair()?;
        let record = journal::line(change);
        let written = self.journal.write_all(&record).and_then(|()| self.journal.sync_data());
        if let Err(err) = written {
            self.damaged = true;
            if let Err(cut) = self.repair() {
                log::error!("the board's journal could not be cut back after a failed save: {cut}");
            }
            return Err(err);
        }
        self.journal_bytes += record.len() as u64;
        Ok(())
    }

    /// Whether the journal has grown enough to be compacted.
    pub fn wants_compaction(&self) -> bool {
        self.journal_bytes > self.snapshot_bytes.max(COMPACTION_FLOOR)
    }

    /// Writes `snapshot` (the board as it is now) and empties the journal. If it fails the
    /// journal still holds every change the snapshot on disk lacks, and saving goes on.
    pub fn compact(&mut self, snapshot: &[u8]) -> io::Result<()> {
        self.repair()?;
        self.file.save(snapshot)?;
        self.snapshot_bytes = snapshot.len() as u64;
        self.journal.set_len(0)?;
        self.journal.sync_data()?;
        self.journal_bytes = 0;
        Ok(())
    }

    /// The journal's length in bytes.
    pub fn journal_bytes(&self) -> u64 {
        self.journal_bytes
    }

    fn repair(&mut self) -> io::Result<()> {
        if self.damaged {
            self.journal.set_len(self.journal_bytes)?;
            self.journal.sync_data()?;
            self.damaged = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Source;
    use crate::edit::Edit;
    use crate::model::{Board, Card, Status};

    fn board_of(cards: usize) -> Board {
        Board::with_cards(
            (0..cards)
                .map(|n| Card {
                    id: format!("c{n}"),
                    status: Status::ALL[n % 4],
                    title: format!("Ticket {n}: follow up on the retransmission buffer sizing"),
                    notes: "Discussed in standup; needs a second look at the jitter buffer interaction.".into(),
                    tags: vec!["webrtc".into(), format!("area-{}", n % 7)],
                })
                .collect(),
        )
    }

    #[test]
    fn a_change_costs_its_record_and_the_journal_is_compacted_past_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        let mut board = board_of(2_000);
        let snapshot = BoardFile::encode(&board);
        let mut store = Store::open(file.clone(), &snapshot).unwrap();
        let mut moves = 0;
        while !store.wants_compaction() {
            let status = if moves % 2 == 0 { Status::Done } else { Status::Blocked };
            let change = board.apply(Edit::Move { card_id: "c1".into(), status, position: Some(0) }, Source::Hand, 0);
            let change = change.unwrap();
            let before = store.journal_bytes();
            store.append(&change).unwrap();
            let record = store.journal_bytes() - before;
            assert_eq!(record, journal::line(&change).len() as u64);
            assert!(record < 1_000, "a move costs {record} bytes, not the board's {}", snapshot.len());
            moves += 1;
        }
        assert!(moves > snapshot.len() / 1_000, "compacted after only {moves} moves");
        assert_eq!(file.load(0).into_board(), board);
        store.compact(&BoardFile::encode(&board)).unwrap();
        assert_eq!(store.journal_bytes(), 0);
        assert_eq!(std::fs::metadata(file.journal_path()).unwrap().len(), 0);
        assert_eq!(file.load(0).into_board(), board);
    }

    #[test]
    fn one_store_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        let board = board_of(3);
        let store = Store::open(file.clone(), &BoardFile::encode(&board)).unwrap();
        let other = board_of(4);
        let err = Store::open(file.clone(), &BoardFile::encode(&other)).unwrap_err();
        assert_eq!(err.to_string(), "another Boardroom is saving this board");
        assert_eq!(file.load(0).into_board(), board, "the second store wrote nothing");
        drop(store);
        Store::open(file.clone(), &BoardFile::encode(&other)).unwrap();
        assert_eq!(file.load(0).into_board(), other);
    }
}
