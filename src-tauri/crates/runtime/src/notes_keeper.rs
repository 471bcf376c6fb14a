//! Keeps each meeting's notes: while a meeting runs (the voice's meeting: this person joined,
//! or a headless host's whole run) it gathers who came and went, the board's changes and
//! the transcript; when the meeting ends (Leave, quitting, the host's exit) or its room
//! does (End room), it writes them to the notes folder and publishes where. A meeting in
//! which nothing was said and nothing changed leaves no notes.

use std::path::PathBuf;
use std::sync::Arc;

use board::{BoardHandle, Change};
use chrono::{DateTime, Local, Offset};
use meeting::TranscriptLine;
use realtime::cost::MeetingCost;
use room::RoomConfig;
use room_protocol::Participant;
use serde::Serialize;
use specta::Type;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch, Mutex};
use tokio::task::JoinHandle;

use crate::hosting::OpenRoom;
use crate::notes::{self, Ending, Gathered};
use crate::notes_folder;
use crate::{next_change, Voice};

/// Notes just written, for the window to show and the host to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NotesWritten {
    /// The file's name in the notes folder.
    pub name: String,
    pub path: String,
}

/// The notes keeper's owner.
pub struct NotesKeeper {
    folder: PathBuf,
    written: watch::Receiver<Option<NotesWritten>>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl NotesKeeper {
    /// Starts keeping notes in `folder` of what `voice`, `board` and the open `room` publish.
    pub fn start(folder: PathBuf, voice: &Voice, board: &BoardHandle, room: watch::Receiver<Option<OpenRoom>>) -> Self {
        notes_folder::clear_unfinished(&folder);
        let (written_tx, written) = watch::channel(None);
        let (stop, stopping) = watch::channel(false);
        let keeper = Keeper {
            folder: folder.clone(),
            written: written_tx,
            meeting: voice.meeting(),
            cost: voice.cost(),
            transcript: voice.transcript(),
            changes: board.subscribe(),
            room,
        };
        let task = tokio::spawn(keeper.run(stopping));
        NotesKeeper { folder, written, stop, task: Mutex::new(Some(task)) }
    }

    pub fn folder(&self) -> &std::path::Path {
        &self.folder
    }

    /// The notes written last, as they come.
    pub fn written(&self) -> watch::Receiver<Option<NotesWritten>> {
        self.written.clone()
    }

    /// Writes the notes of the meeting under way, if any, and stops keeping them (quitting).
    pub async fn finish(&self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.lock().await.take() {
            if let Err(err) = task.await {
                log::warn!("the notes keeper failed: {err}");
            }
        }
    }
}

struct Keeper {
    folder: PathBuf,
    written: watch::Sender<Option<NotesWritten>>,
    meeting: watch::Receiver<Option<i64>>,
    cost: watch::Receiver<MeetingCost>,
    transcript: broadcast::Receiver<TranscriptLine>,
    changes: broadcast::Receiver<Arc<Change>>,
    room: watch::Receiver<Option<OpenRoom>>,
}

impl Keeper {
    async fn run(mut self, mut stopping: watch::Receiver<bool>) {
        let mut gathering: Option<Gathered> = None;
        let mut roster: watch::Receiver<Vec<Participant>> = watch::channel(Vec::new()).1;
        let mut room_open = self.follow_room(&mut roster);
        loop {
            let meeting = *self.meeting.borrow_and_update();
            match (meeting, gathering.is_some()) {
                (Some(started_at), false) => {
                    let mut gathered = Gathered::new(started_at);
                    gathered.attendance.seen(started_at, &roster.borrow_and_update());
                    gathering = Some(gathered);
                }
                (None, true) => self.end(gathering.take(), &mut roster).await,
                _ => {}
            }
            if *stopping.borrow_and_update() {
                return self.end(gathering.take(), &mut roster).await;
            }
            tokio::select! {
                () = next_change(&mut self.meeting) => {}
                changed = stopping.changed() => if changed.is_err() {
                    return self.end(gathering.take(), &mut roster).await;
                },
                () = next_change(&mut self.room) => {
                    let was_open = room_open;
                    let last = self.caught_up(gathering.take(), &mut roster);
                    room_open = self.follow_room(&mut roster);
                    gathering = last;
                    if was_open && !room_open && gathering.is_some() {
                        // End room ends the meeting the room held; talk after it is another one.
                        self.write(gathering.take()).await;
                        gathering = Some(Gathered::new(board::actor::now_ms()));
                    }
                }
                () = next_change(&mut roster) => {
                    if let Some(gathered) = gathering.as_mut() {
                        gathered.attendance.seen(board::actor::now_ms(), &roster.borrow_and_update());
                    }
                }
                line = self.transcript.recv() => match line {
                    Ok(line) => if let Some(gathered) = gathering.as_mut() { gathered.heard(line) },
                    Err(err) => self.missed_line(err),
                },
                change = self.changes.recv() => match change {
                    Ok(change) => if let Some(gathered) = gathering.as_mut() { gathered.changed((*change).clone()) },
                    Err(err) => self.missed_change(err),
                },
            }
        }
    }

    /// Writes the notes of the meeting that just ended, with everything published before its end.
    async fn end(&mut self, gathered: Option<Gathered>, roster: &mut watch::Receiver<Vec<Participant>>) {
        let gathered = self.caught_up(gathered, roster);
        self.write(gathered).await;
    }

    /// `gathered` with what is already published but not yet taken in: the meeting's end
    /// can be seen before the last words, changes or departures that came just ahead of it.
    fn caught_up(
        &mut self,
        gathered: Option<Gathered>,
        roster: &mut watch::Receiver<Vec<Participant>>,
    ) -> Option<Gathered> {
        let mut gathered = gathered?;
        // A closed room's last roster counts too: those who left just before it closed.
        if roster.has_changed().unwrap_or(true) {
            gathered.attendance.seen(board::actor::now_ms(), &roster.borrow_and_update());
        }
        loop {
            match self.transcript.try_recv() {
                Ok(line) => gathered.heard(line),
                Err(TryRecvError::Lagged(missed)) => self.missed_line(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => self.missed_line(RecvError::Closed),
                Err(TryRecvError::Empty) => break,
            }
        }
        loop {
            match self.changes.try_recv() {
                Ok(change) => gathered.changed((*change).clone()),
                Err(TryRecvError::Lagged(missed)) => self.missed_change(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => self.missed_change(RecvError::Closed),
                Err(TryRecvError::Empty) => break,
            }
        }
        Some(gathered)
    }

    fn missed_line(&mut self, err: RecvError) {
        match err {
            RecvError::Lagged(missed) => log::warn!("the meeting notes missed {missed} transcript lines"),
            RecvError::Closed => self.transcript = broadcast::channel(1).1,
        }
    }

    fn missed_change(&mut self, err: RecvError) {
        match err {
            RecvError::Lagged(missed) => log::warn!("the meeting notes missed {missed} board changes"),
            RecvError::Closed => self.changes = broadcast::channel(1).1,
        }
    }

    /// Follows the open room's roster (an empty one without a room); whether a room is open.
    fn follow_room(&mut self, roster: &mut watch::Receiver<Vec<Participant>>) -> bool {
        match self.room.borrow_and_update().as_ref() {
            Some(room) => {
                *roster = room.hub.roster();
                true
            }
            None => {
                *roster = watch::channel(Vec::new()).1;
                false
            }
        }
    }

    async fn write(&self, gathered: Option<Gathered>) {
        let Some(gathered) = gathered.filter(|g| !g.transcript.is_empty() || !g.changes.is_empty()) else { return };
        let cost = self.cost.borrow().clone();
        let started: DateTime<Local> = DateTime::from_timestamp_millis(gathered.started_at).unwrap_or_default().into();
        let ending = Ending {
            ended_at: board::actor::now_ms(),
            cost: (cost.tokens.input() > 0).then_some(cost),
            host_name: RoomConfig::default().host_name,
            zone: started.offset().fix(),
        };
        let text = notes::render(&gathered, &ending);
        let stem = format!("{} meeting", started.format("%Y-%m-%d %H.%M"));
        let folder = self.folder.clone();
        match tokio::task::spawn_blocking(move || notes_folder::write_new(&folder, &stem, &text)).await {
            Ok(Ok(path)) => {
                log::info!("the meeting's notes are in {}", path.display());
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                self.written.send_replace(Some(NotesWritten { name, path: path.display().to_string() }));
            }
            Ok(Err(err)) => log::error!("the meeting's notes could not be written to {}: {err}", self.folder.display()),
            Err(err) => log::error!("the meeting's notes could not be written: {err}"),
        }
    }
}
