//! Joining somebody else's room from the window. While this machine is a guest there, the
//! window shows that room — its board, people, voice operator and transcript — through the
//! same commands and events as its own (`get_board`, `edit_board`, `BoardChanged`, …), so
//! the UI has one code path whichever board it shows; this module forwards the room's side
//! and says where the window is (`WhereaboutsChanged`). Home again, the window's own board
//! is as it was left.

use std::sync::Arc;

use board::{Board, Change, Edit};
use guest::{EditError, GuestStatus, GuestView};
use meeting::OperatorStatus;
use room::Participant;
use runtime::Whereabouts;
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Runtime, State};
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

use crate::error::{sentence, CommandError, ErrorKind};
use crate::events::{self, BoardChanged};
use crate::hosting::ParticipantsChanged;
use crate::voice::{TranscriptAdded, VoiceStatusChanged};

/// The room this machine is a guest in, as the banner shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct GuestRoom {
    /// The host's name, once in.
    pub host: Option<String>,
    pub connection: GuestConnection,
    /// The host muted this person for everyone.
    pub muted_by_host: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum GuestConnection {
    Connecting,
    /// The host lets people in one by one.
    Waiting,
    In,
    Reconnecting {
        reason: String,
    },
}

/// Where the window is: home (its own board) or a guest in a room.
#[derive(Debug, Clone, PartialEq, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct WhereaboutsChanged {
    pub guest: Option<GuestRoom>,
    /// Why the last room was left, when it was not by choice (removed, the room ended…).
    pub left: Option<String>,
}

fn room_of(session: &GuestView) -> GuestRoom {
    let connection = match &*session.status().borrow() {
        GuestStatus::Connecting | GuestStatus::Ended { .. } => GuestConnection::Connecting,
        GuestStatus::Waiting => GuestConnection::Waiting,
        GuestStatus::In { .. } => GuestConnection::In,
        GuestStatus::Reconnecting { reason } => GuestConnection::Reconnecting { reason: reason.clone() },
    };
    let me = my_id(session);
    let participants = session.participants();
    let participants = participants.borrow();
    let host = participants.iter().find(|p| p.host).map(|p| p.name.clone());
    let muted_by_host = participants.iter().any(|p| Some(&p.id) == me.as_ref() && p.muted_by_host);
    GuestRoom { host, connection, muted_by_host }
}

/// This machine's person in the room, once in.
fn my_id(session: &GuestView) -> Option<String> {
    match &*session.status().borrow() {
        GuestStatus::In { participant_id } => Some(participant_id.clone()),
        _ => None,
    }
}

fn whereabouts_of(whereabouts: &Whereabouts) -> WhereaboutsChanged {
    match whereabouts {
        Whereabouts::Home { left } => WhereaboutsChanged { guest: None, left: left.clone() },
        Whereabouts::Guest { session, .. } => WhereaboutsChanged { guest: Some(room_of(session)), left: None },
    }
}

/// Everyone in the room but this machine's own person, who is "You" in the panel.
fn others(session: &GuestView) -> Vec<Participant> {
    let me = my_id(session);
    session.participants().borrow().iter().filter(|p| Some(&p.id) != me.as_ref()).cloned().collect()
}

/// Tells the window where it is, and while it is a guest forwards the room's board
/// changes, people, voice status and transcript.
pub fn forward<R: Runtime>(app: &AppHandle<R>, guesting: &runtime::Guesting) {
    let mut whereabouts = guesting.whereabouts();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut relay: Option<tauri::async_runtime::JoinHandle<()>> = None;
        loop {
            let now = whereabouts.borrow_and_update().clone();
            if let Some(relay) = relay.take() {
                relay.abort();
            }
            events::emit(&app, whereabouts_of(&now));
            if let Whereabouts::Guest { session, .. } = now {
                relay = Some(tauri::async_runtime::spawn(relay_room(app.clone(), session)));
            }
            if whereabouts.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Forwards one session's side of the room to the window until it is aborted.
async fn relay_room<R: Runtime>(app: AppHandle<R>, session: GuestView) {
    let mut status = session.status();
    let mut participants = session.participants();
    let mut voice = session.voice();
    let mut changes = session.changes();
    let mut transcript = session.transcript();
    events::emit(&app, ParticipantsChanged { participants: others(&session) });
    events::emit(&app, VoiceStatusChanged { status: voice.borrow_and_update().clone() });
    loop {
        tokio::select! {
            Ok(()) = status.changed() => {
                // Over: the way home (with why) is `forward`'s to say, and nothing may follow it.
                if matches!(*status.borrow_and_update(), GuestStatus::Ended { .. }) {
                    return;
                }
                events::emit(&app, WhereaboutsChanged { guest: Some(room_of(&session)), left: None });
            }
            Ok(()) = participants.changed() => {
                participants.mark_unchanged();
                if matches!(*status.borrow(), GuestStatus::Ended { .. }) {
                    return;
                }
                events::emit(&app, ParticipantsChanged { participants: others(&session) });
                events::emit(&app, WhereaboutsChanged { guest: Some(room_of(&session)), left: None });
            }
            Ok(()) = voice.changed() => {
                events::emit(&app, VoiceStatusChanged { status: voice.borrow_and_update().clone() });
            }
            change = changes.recv() => match change {
                Ok(change) => events::emit(&app, BoardChanged { change: Arc::unwrap_or_clone(change) }),
                // The window sees the revision gap on the next change and takes the board afresh.
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} of the room's board changes"),
                Err(RecvError::Closed) => return,
            },
            line = transcript.recv() => match line {
                Ok(line) => events::emit(&app, TranscriptAdded { line }),
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} transcript lines"),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// The board the window shows: this machine's own, or the room's it is a guest in.
pub async fn board(state: &runtime::Runtime) -> Result<Board, CommandError> {
    match state.guesting.session() {
        None => Ok(state.board.snapshot().await?),
        Some(session) => session.board().borrow().clone().ok_or_else(|| {
            CommandError::new(ErrorKind::Failed, "The room's board has not arrived yet; it shows as soon as it does.")
        }),
    }
}

/// An edit in the room this machine is a guest in, as a participant's edit.
pub async fn edit(session: &GuestView, edit: Edit, seen: u64) -> Result<Change, CommandError> {
    session.edit(edit, seen).await.map_err(|err| match err {
        // The room refuses edits on cards changed since (or gone); the window takes its board afresh.
        EditError::Refused(message) => CommandError::new(ErrorKind::Conflict, message),
        EditError::NotConnected | EditError::Dropped => CommandError::failed(format!("{}.", sentence(err.to_string()))),
    })
}

/// The voice operator status the window shows: the room's while a guest.
pub fn voice_status(state: &runtime::Runtime) -> OperatorStatus {
    match state.guesting.session() {
        Some(session) => session.voice().borrow().clone(),
        None => state.voice.status().borrow().clone(),
    }
}

/// The people the window shows besides "You": the room's while a guest.
pub fn participants(state: &runtime::Runtime) -> Option<Vec<Participant>> {
    state.guesting.session().map(|session| others(&session))
}

/// Joins the room the invite link leads to, as `name`, with this machine's microphone and
/// speakers; the window then shows that room until it leaves.
#[tauri::command]
#[specta::specta]
pub async fn join_meeting(state: State<'_, runtime::Runtime>, link: String, name: String) -> Result<(), CommandError> {
    state.join_room(&link, &name).await.map(|_| ()).map_err(|err| {
        let kind = match err {
            runtime::JoinError::DeviceKey { .. } => ErrorKind::Failed,
            _ => ErrorKind::Invalid,
        };
        CommandError::new(kind, format!("{}.", sentence(err.to_string())))
    })
}

/// Leaves the room this machine is a guest in; the window shows its own board again.
#[tauri::command]
#[specta::specta]
pub async fn leave_meeting(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.guesting.leave().await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn get_whereabouts(state: State<'_, runtime::Runtime>) -> WhereaboutsChanged {
    whereabouts_of(&state.guesting.whereabouts().borrow())
}
