//! What a window shows: this machine's own board, people in its room and voice operator, or,
//! while it is a guest in somebody else's room, that room's. This is the one place that
//! answers "home or guest": the shells read and edit the board, and follow changes, people,
//! voice status and transcript, without asking where the machine is.

use std::sync::Arc;

use board::{Board, BoardHandle, Change, Edit, EditFailed, Source};
use guest::{EditError, GuestStatus, GuestView};
use meeting::{OperatorStatus, TranscriptLine};
use room_protocol::Participant;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::hosting::OpenRoom;
use crate::voice::VoiceNews;
use crate::{next_change, Whereabouts};

/// Board changes kept for a slow reader; past that it misses some, sees the revision gap and
/// takes the board afresh.
const CHANGES_QUEUE: usize = 256;
/// Transcript lines kept for a slow reader; past that it misses the oldest (and is told).
const TRANSCRIPT_QUEUE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ShownError {
    #[error(transparent)]
    Board(#[from] EditFailed),
    #[error(transparent)]
    Room(#[from] EditError),
    #[error("the room's board has not arrived yet; it shows as soon as it does")]
    NotArrived,
}

/// The board, people, voice status and transcript a window shows; clones share them.
#[derive(Clone)]
pub struct Shown {
    board: BoardHandle,
    voice: VoiceNews,
    rooms: watch::Receiver<Option<OpenRoom>>,
    whereabouts: watch::Receiver<Whereabouts>,
    published: Arc<Published>,
}

struct Published {
    changes: broadcast::Sender<Arc<Change>>,
    participants: watch::Sender<Vec<Participant>>,
    voice: watch::Sender<OperatorStatus>,
    transcript: broadcast::Sender<TranscriptLine>,
}

/// Where one stage's news comes from.
enum Stage {
    Home { rooms: watch::Receiver<Option<OpenRoom>> },
    Guest(GuestView),
}

impl Shown {
    /// Starts following where this machine is; call inside a Tokio runtime.
    pub(crate) fn start(
        board: BoardHandle,
        voice: VoiceNews,
        rooms: watch::Receiver<Option<OpenRoom>>,
        whereabouts: watch::Receiver<Whereabouts>,
    ) -> Shown {
        let published = Arc::new(Published {
            changes: broadcast::channel(CHANGES_QUEUE).0,
            participants: watch::Sender::new(Vec::new()),
            voice: watch::Sender::new(voice.status.borrow().clone()),
            transcript: broadcast::channel(TRANSCRIPT_QUEUE).0,
        });
        let shown = Shown { board, voice, rooms, whereabouts, published };
        tokio::spawn(shown.clone().follow());
        shown
    }

    /// The guest session, while this machine is a guest in a room.
    fn session(&self) -> Option<GuestView> {
        match &*self.whereabouts.borrow() {
            Whereabouts::Guest { session, .. } => Some(session.clone()),
            Whereabouts::Home { .. } => None,
        }
    }

    /// The whole board with its recent activity.
    pub async fn board(&self) -> Result<Board, ShownError> {
        match self.session() {
            None => Ok(self.board.snapshot().await?),
            Some(session) => session.board().borrow().clone().ok_or(ShownError::NotArrived),
        }
    }

    /// An edit by this machine's person, made on the board as it was at revision `seen`: by
    /// hand on its own board, or as a participant's edit in the room it is a guest in.
    pub async fn edit(&self, edit: Edit, seen: u64) -> Result<Arc<Change>, ShownError> {
        match self.session() {
            None => Ok(self.board.apply_seen(edit, Source::Hand, seen).await?),
            Some(session) => Ok(Arc::new(session.edit(edit, seen).await?)),
        }
    }

    /// The people shown now besides this machine's own person.
    pub fn people(&self) -> Vec<Participant> {
        match self.session() {
            Some(session) => others(&session),
            None => self.rooms.borrow().as_ref().map(|room| room.hub.roster().borrow().clone()).unwrap_or_default(),
        }
    }

    /// The status now of the voice operator that listens.
    pub fn voice_status(&self) -> OperatorStatus {
        match self.session() {
            Some(session) => session.voice().borrow().clone(),
            None => self.voice.status.borrow().clone(),
        }
    }

    /// Every change of the board shown, in order.
    pub fn changes(&self) -> broadcast::Receiver<Arc<Change>> {
        self.published.changes.subscribe()
    }

    /// The people shown besides this machine's own person, as they change: those in the room
    /// it hosts, or the others in the room it is a guest in.
    pub fn participants(&self) -> watch::Receiver<Vec<Participant>> {
        self.published.participants.subscribe()
    }

    /// The status of the voice operator that listens, as it changes: this machine's, or the
    /// room's host's.
    pub fn voice(&self) -> watch::Receiver<OperatorStatus> {
        self.published.voice.subscribe()
    }

    /// What that voice operator heard.
    pub fn transcript(&self) -> broadcast::Receiver<TranscriptLine> {
        self.published.transcript.subscribe()
    }

    /// Relays the current stage's news until the machine moves, for as long as anyone can
    /// say where it is.
    async fn follow(self) {
        let mut whereabouts = self.whereabouts.clone();
        loop {
            let stage = match self.session() {
                None => Stage::Home { rooms: self.rooms.clone() },
                Some(session) => Stage::Guest(session),
            };
            whereabouts.mark_unchanged();
            let moved = tokio::select! {
                // That stage is over (its session ended): nothing more until the move.
                () = self.relay(stage) => whereabouts.changed().await,
                moved = whereabouts.changed() => moved,
            };
            if moved.is_err() {
                return;
            }
        }
    }

    /// Relays one stage's news; returns when that stage is over.
    async fn relay(&self, stage: Stage) {
        let published = &self.published;
        match stage {
            Stage::Home { mut rooms } => {
                let mut changes = self.board.subscribe();
                let mut voice = self.voice.status.clone();
                let mut transcript = self.voice.transcript();
                replace_if_new(&published.voice, voice.borrow_and_update().clone());
                let mut roster = home_roster(&mut rooms);
                replace_if_new(&published.participants, roster.borrow_and_update().clone());
                loop {
                    tokio::select! {
                        () = next_change(&mut rooms) => {
                            roster = home_roster(&mut rooms);
                            replace_if_new(&published.participants, roster.borrow_and_update().clone());
                        }
                        () = next_change(&mut roster) => {
                            replace_if_new(&published.participants, roster.borrow_and_update().clone());
                        }
                        () = next_change(&mut voice) => {
                            replace_if_new(&published.voice, voice.borrow_and_update().clone());
                        }
                        open = pass_on(&mut changes, &published.changes, "board changes") => if !open { return },
                        open = pass_on(&mut transcript, &published.transcript, "transcript lines") => if !open { return },
                    }
                }
            }
            Stage::Guest(session) => {
                let mut changes = session.changes();
                let mut voice = session.voice();
                let mut transcript = session.transcript();
                let mut people = session.participants();
                let mut status = session.status();
                replace_if_new(&published.voice, voice.borrow_and_update().clone());
                people.mark_unchanged();
                status.mark_unchanged();
                replace_if_new(&published.participants, others(&session));
                loop {
                    tokio::select! {
                        // Who this person is becomes known once in; the people shown follow.
                        () = next_change(&mut people) => {
                            people.mark_unchanged();
                            if matches!(*status.borrow(), GuestStatus::Ended { .. }) {
                                return;
                            }
                            replace_if_new(&published.participants, others(&session));
                        }
                        () = next_change(&mut status) => {
                            // Over: the way home is the whereabouts' to say, and nothing may follow it.
                            if matches!(*status.borrow_and_update(), GuestStatus::Ended { .. }) {
                                return;
                            }
                            replace_if_new(&published.participants, others(&session));
                        }
                        () = next_change(&mut voice) => {
                            replace_if_new(&published.voice, voice.borrow_and_update().clone());
                        }
                        open = pass_on(&mut changes, &published.changes, "the room's board changes") => if !open { return },
                        open = pass_on(&mut transcript, &published.transcript, "the room's transcript lines") => if !open { return },
                    }
                }
            }
        }
    }
}

/// Publishes `value` unless it is what readers have already: a stage's first look at its
/// sources, or a roster that came back the same, wakes nobody.
fn replace_if_new<T: PartialEq>(to: &watch::Sender<T>, value: T) {
    to.send_if_modified(|current| {
        let new = *current != value;
        if new {
            *current = value;
        }
        new
    });
}

/// The roster of the room this machine hosts, or an empty one while none is open.
fn home_roster(rooms: &mut watch::Receiver<Option<OpenRoom>>) -> watch::Receiver<Vec<Participant>> {
    match &*rooms.borrow_and_update() {
        Some(room) => room.hub.roster(),
        None => watch::channel(Vec::new()).1,
    }
}

/// Everyone in the room but this machine's own person, once it is known.
fn others(session: &GuestView) -> Vec<Participant> {
    let me = match &*session.status().borrow() {
        GuestStatus::In { participant_id } => Some(participant_id.clone()),
        _ => None,
    };
    session.participants().borrow().iter().filter(|p| Some(&p.id) != me.as_ref()).cloned().collect()
}

/// Passes the next item of `from` on to `to`; false once `from` is closed. A reader that fell
/// behind misses what it lagged on (and it is logged): changes carry revisions, so a gap
/// is seen and the board taken afresh.
async fn pass_on<T: Clone>(from: &mut broadcast::Receiver<T>, to: &broadcast::Sender<T>, what: &str) -> bool {
    match from.recv().await {
        Ok(item) => {
            // Nobody reading the window's side is not an error.
            let _ = to.send(item);
            true
        }
        Err(RecvError::Lagged(missed)) => {
            log::warn!("the window missed {missed} {what}");
            true
        }
        Err(RecvError::Closed) => false,
    }
}
