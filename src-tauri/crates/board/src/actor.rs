//! The board's single owner. Every edit — from the window, the voice operator or a
//! participant — is sent to this actor, which applies it, saves the change and only then
//! broadcasts it, once, to every subscriber.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::change::{Change, Source};
use crate::edit::{BoardError, Edit};
use crate::file::BoardFile;
use crate::model::Board;
use crate::store::Store;

/// Why an edit did not happen. In every case the board is unchanged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EditFailed {
    #[error(transparent)]
    Refused(#[from] BoardError),
    #[error("the board could not be saved ({0}), so the change was not made")]
    NotSaved(String),
    #[error("the board has shut down")]
    Stopped,
}

enum Request {
    /// `seen`: the revision the editor last saw, if the edit was made on a copy that may be stale.
    Apply {
        edit: Edit,
        source: Source,
        seen: Option<u64>,
        reply: oneshot::Sender<Result<Arc<Change>, EditFailed>>,
    },
    Snapshot {
        reply: oneshot::Sender<Board>,
    },
}

/// A cheap, cloneable way to reach the board actor.
#[derive(Clone)]
pub struct BoardHandle {
    requests: mpsc::Sender<Request>,
    changes: broadcast::Sender<Arc<Change>>,
}

/// The actor itself; run it with [`BoardActor::run`] on any Tokio runtime.
pub struct BoardActor {
    board: Board,
    saving: Option<Saving>,
    requests: mpsc::Receiver<Request>,
    changes: broadcast::Sender<Arc<Change>>,
}

/// Where the board is saved, and its journal once open. A change that could not be saved
/// is reverted, so a change that is not on disk is not kept either.
struct Saving {
    file: BoardFile,
    /// `None` until the store opens, and after it was lost: the next change then opens it
    /// again, writing the whole board.
    store: Option<Store>,
}

impl BoardActor {
    /// Creates the actor for `board`, saving to `file` after every change (`None`: keep it in memory only).
    pub fn new(board: Board, file: Option<BoardFile>) -> (BoardActor, BoardHandle) {
        // Requests wait for room when 64 are queued (every caller awaits its reply anyway).
        let (request_tx, requests) = mpsc::channel(64);
        // A subscriber 256 changes behind gets `Lagged` and takes a fresh snapshot instead.
        let (changes, _) = broadcast::channel(256);
        let handle = BoardHandle { requests: request_tx, changes: changes.clone() };
        let saving = file.map(|file| Saving { file, store: None });
        (BoardActor { board, saving, requests, changes }, handle)
    }

    /// Serves requests until every handle is dropped, then writes the board whole so the
    /// next start has no journal to replay.
    pub async fn run(mut self) {
        if let Some(saving) = &mut self.saving {
            if let Err(err) = saving.open(&self.board).await {
                log::error!("the board could not be saved: {err}; the next change tries again");
            }
        }
        self.serve().await;
        if let Some(saving) = &mut self.saving {
            if let Err(err) = saving.compact(&self.board).await {
                log::warn!("writing the board whole at shutdown failed: {err}; its journal keeps every change");
            }
        }
    }

    async fn serve(&mut self) {
        while let Some(request) = self.requests.recv().await {
            match request {
                Request::Apply { edit, source, seen, reply } => {
                    let result = self.apply(edit, source, seen).await;
                    if let Ok(change) = &result {
                        // No subscribers is fine: nobody is watching yet.
                        let _ = self.changes.send(Arc::clone(change));
                    }
                    let _ = reply.send(result);
                }
                Request::Snapshot { reply } => {
                    let _ = reply.send(self.board.clone());
                }
            }
        }
    }

    async fn apply(&mut self, edit: Edit, source: Source, seen: Option<u64>) -> Result<Arc<Change>, EditFailed> {
        if let Some(seen) = seen {
            self.board.check_seen(&edit, seen)?;
        }
        let applied = self.board.apply_revertibly(edit, source, now_ms())?;
        if let Some(saving) = &mut self.saving {
            if let Err(err) = saving.save(&applied.change, &self.board).await {
                log::error!("saving the board failed: {err}");
                self.board.revert(applied);
                return Err(EditFailed::NotSaved(err));
            }
        }
        Ok(Arc::new(applied.change))
    }
}

impl Saving {
    /// Saves `change`, just applied to `board`: appended to the journal, or with the whole
    /// board when the store has to be opened first.
    async fn save(&mut self, change: &Change, board: &Board) -> Result<(), String> {
        let Some(mut store) = self.store.take() else {
            return self.open(board).await;
        };
        let record = change.clone();
        let (store, appended) = blocking(move || {
            let appended = store.append(&record);
            (store, appended)
        })
        .await?;
        self.store = Some(store);
        appended.map_err(|err| err.to_string())?;
        if self.store.as_ref().is_some_and(Store::wants_compaction) {
            // The change is saved whatever happens here.
            if let Err(err) = self.compact(board).await {
                log::warn!("compacting the board's journal failed: {err}; it keeps growing until it works");
            }
        }
        Ok(())
    }

    async fn open(&mut self, board: &Board) -> Result<(), String> {
        let (file, snapshot) = (self.file.clone(), BoardFile::encode(board));
        self.store = Some(blocking(move || Store::open(file, &snapshot)).await?.map_err(|err| err.to_string())?);
        Ok(())
    }

    async fn compact(&mut self, board: &Board) -> Result<(), String> {
        let Some(mut store) = self.store.take() else { return Ok(()) };
        let snapshot = BoardFile::encode(board);
        let (store, compacted) = blocking(move || {
            let compacted = store.compact(&snapshot);
            (store, compacted)
        })
        .await?;
        self.store = Some(store);
        compacted.map_err(|err| err.to_string())
    }
}

/// Runs file work off the async threads. If it panics the store it held is lost, and the
/// next change opens it again.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|err| err.to_string())
}

impl BoardHandle {
    pub async fn apply(&self, edit: Edit, source: Source) -> Result<Arc<Change>, EditFailed> {
        self.request_apply(edit, source, None).await
    }

    /// Applies an edit made on a copy of the board at revision `seen` (see [`Board::apply_seen`]).
    pub async fn apply_seen(&self, edit: Edit, source: Source, seen: u64) -> Result<Arc<Change>, EditFailed> {
        self.request_apply(edit, source, Some(seen)).await
    }

    async fn request_apply(&self, edit: Edit, source: Source, seen: Option<u64>) -> Result<Arc<Change>, EditFailed> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Apply { edit, source, seen, reply }).await.map_err(|_| EditFailed::Stopped)?;
        answer.await.map_err(|_| EditFailed::Stopped)?
    }

    pub async fn snapshot(&self) -> Result<Board, EditFailed> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Snapshot { reply }).await.map_err(|_| EditFailed::Stopped)?;
        answer.await.map_err(|_| EditFailed::Stopped)
    }

    /// Lets every waiting suggestion expire, for when the meeting that made them is over;
    /// returns how many did. One answered meanwhile is left as it was answered.
    pub async fn expire_suggestions(&self) -> Result<usize, EditFailed> {
        let board = self.snapshot().await?;
        let mut expired = 0;
        for suggestion in board.pending() {
            match self.apply(Edit::Expire { suggestion: suggestion.id }, suggestion.source.clone()).await {
                Ok(_) => expired += 1,
                Err(EditFailed::Refused(BoardError::UnknownSuggestion(_))) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(expired)
    }

    /// Every change applied from now on, in order. A subscriber that falls behind gets
    /// `RecvError::Lagged` and should take a fresh snapshot.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::LoadOutcome;
    use crate::model::Status;
    use crate::seed;

    fn start(board: Board, file: Option<BoardFile>) -> BoardHandle {
        let (actor, handle) = BoardActor::new(board, file);
        tokio::spawn(actor.run());
        handle
    }

    #[tokio::test]
    async fn edits_are_saved_then_broadcast_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        let board = start(seed::board(), Some(file.clone()));
        let mut changes = board.subscribe();
        let edit = Edit::Move { card_id: "card-001".into(), status: Status::Done, position: None };
        let change = board.apply(edit, Source::Hand).await.unwrap();
        assert_eq!(change.revision, 1);
        assert_eq!(changes.recv().await.unwrap(), change);
        assert!(changes.try_recv().is_err(), "broadcast exactly once");
        match file.load(0) {
            LoadOutcome::Loaded(saved) => assert_eq!(saved.column(Status::Done)[0].id, "card-001"),
            other => panic!("not saved: {other:?}"),
        }
    }

    #[tokio::test]
    async fn waiting_suggestions_expire_saved() {
        let dir = tempfile::tempdir().unwrap();
        let file = BoardFile::in_dir(dir.path());
        let board = start(seed::board(), Some(file.clone()));
        let voice =
            Source::Voice { call_id: "call_1".into(), transcript: Some("drop the docs card".into()), speakers: vec![] };
        for card in ["card-001", "card-002"] {
            let suggest = Edit::Suggest { edit: Box::new(Edit::Delete { card_id: card.into() }) };
            board.apply(suggest, voice.clone()).await.unwrap();
        }
        assert_eq!(board.expire_suggestions().await.unwrap(), 2);
        assert_eq!(board.expire_suggestions().await.unwrap(), 0);
        let saved = file.load(0).into_board();
        assert!(saved.pending().is_empty());
        assert_eq!(saved.card_count(), seed::board().card_count());
        let expired: Vec<_> = saved.activity().filter(|c| matches!(c.operation, Edit::Expire { .. })).collect();
        assert_eq!(expired.len(), 2, "the activity log lists what expired");
        assert_eq!(expired[0].suggestion.as_ref().unwrap().source, voice);
    }

    #[tokio::test]
    async fn refused_edits_change_nothing_and_are_not_broadcast() {
        let board = start(seed::board(), None);
        let mut changes = board.subscribe();
        let err = board.apply(Edit::Delete { card_id: "nope".into() }, Source::Hand).await.unwrap_err();
        assert!(matches!(err, EditFailed::Refused(BoardError::UnknownCard(_))));
        assert_eq!(board.snapshot().await.unwrap(), seed::board());
        assert!(changes.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_failed_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should go makes the rename fail.
        let file = BoardFile::in_dir(dir.path());
        std::fs::create_dir(file.path()).unwrap();
        std::fs::write(file.path().join("keep"), b"x").unwrap();
        let board = start(seed::board(), Some(file.clone()));
        let err = board.apply(Edit::Delete { card_id: "card-001".into() }, Source::Hand).await.unwrap_err();
        assert!(matches!(err, EditFailed::NotSaved(_)), "{err}");
        assert_eq!(board.snapshot().await.unwrap(), seed::board());

        // Once the way is clear, the next change saves the whole board, and then changes alone.
        std::fs::remove_dir_all(file.path()).unwrap();
        for (revision, card) in [(1, "card-002"), (2, "card-003")] {
            let change = board.apply(Edit::Delete { card_id: card.into() }, Source::Hand).await.unwrap();
            assert_eq!(change.revision, revision);
        }
        let saved = file.load(0).into_board();
        assert_eq!(saved, board.snapshot().await.unwrap());
        assert_eq!(saved.card_count(), 3);
        assert!(std::fs::metadata(file.journal_path()).unwrap().len() > 0, "the second change is in the journal");
    }
}
