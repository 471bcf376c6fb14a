//! Every typed event sent to the window, how each is made from what the runtime publishes,
//! and the forwarding of what the runtime's `shown` publishes (the board, people, voice
//! status and transcript the window shows, home or guest).

use std::sync::Arc;

use audio::{Levels, MicrophoneStatus, SystemAudioStatus};
use board::Change;
use guest::{GuestStatus, GuestView};
use meeting::{OperatorStatus, TranscriptLine};
use realtime::cost::MeetingCost;
use room::Lobby;
use room_protocol::Participant;
use runtime::{OpenRoom, Shown, Whereabouts};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

/// One change to the board shown, from anyone. The UI applies it when its revision follows
/// the one it has, and fetches the board afresh otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct BoardChanged {
    pub change: Change,
}

/// The microphone started, stopped, went missing or came back.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct MicrophoneChanged {
    pub status: MicrophoneStatus,
}

/// Listening to what this computer plays started, stopped, failed, or heard other applications.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct SystemAudioChanged {
    pub status: SystemAudioStatus,
}

/// Levels of every source and the mix, ten times a second while anybody is in the room.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct AudioLevels {
    pub levels: Levels,
}

/// The voice operator's state changed.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct VoiceStatusChanged {
    pub status: OperatorStatus,
}

/// What this machine's voice operator has cost in this meeting changed (after each response).
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct VoiceCostChanged {
    pub cost: MeetingCost,
}

/// Something said in the room was transcribed.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct TranscriptAdded {
    pub line: TranscriptLine,
}

/// An open room, as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    /// The link to share; it carries the room's secret token.
    pub invite_link: String,
    /// Whether people on the local network can join (otherwise only this machine).
    pub lan: bool,
    /// SHA-256 of the room's self-signed certificate, for people to compare with what their
    /// browser shows when it warns about it.
    pub fingerprint: Option<String>,
    /// Problems that leave the room working for whoever it can reach (a TURN server that
    /// does not answer).
    pub warnings: Vec<String>,
}

impl From<&OpenRoom> for RoomInfo {
    fn from(room: &OpenRoom) -> Self {
        RoomInfo {
            invite_link: room.invite_link.clone(),
            lan: room.lan,
            fingerprint: room.certificate.as_ref().and_then(|certificate| certificate.fingerprint.clone()),
            warnings: room.warnings.clone(),
        }
    }
}

/// A meeting ended and its notes were written, under this name in the notes folder.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct NotesWritten {
    pub name: String,
}

/// The room opened or closed.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct RoomChanged {
    pub room: Option<RoomInfo>,
}

/// Someone joined, left, or changed mute or connection state.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct ParticipantsChanged {
    pub participants: Vec<Participant>,
}

/// Who waits to join, who was removed, and whether the room is locked or asks.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct LobbyChanged {
    pub lobby: Lobby,
}

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

impl From<&Whereabouts> for WhereaboutsChanged {
    fn from(whereabouts: &Whereabouts) -> Self {
        match whereabouts {
            Whereabouts::Home { left } => WhereaboutsChanged { guest: None, left: left.clone() },
            Whereabouts::Guest { session, .. } => {
                WhereaboutsChanged { guest: Some(GuestRoom::of(session)), left: None }
            }
        }
    }
}

impl GuestRoom {
    pub fn of(session: &GuestView) -> GuestRoom {
        let (connection, me) = match &*session.status().borrow() {
            GuestStatus::Connecting | GuestStatus::Ended { .. } => (GuestConnection::Connecting, None),
            GuestStatus::Waiting => (GuestConnection::Waiting, None),
            GuestStatus::In { participant_id } => (GuestConnection::In, Some(participant_id.clone())),
            GuestStatus::Reconnecting { reason } => (GuestConnection::Reconnecting { reason: reason.clone() }, None),
        };
        let participants = session.participants();
        let participants = participants.borrow();
        let host = participants.iter().find(|p| p.host).map(|p| p.name.clone());
        let muted_by_host = participants.iter().any(|p| Some(&p.id) == me.as_ref() && p.muted_by_host);
        GuestRoom { host, connection, muted_by_host }
    }
}

/// A link to join a room reached the app.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct InviteOpened {
    pub link: String,
}

/// Sends the window what it shows as it changes: the board's changes, the people, the voice
/// operator's status and what it heard.
pub fn forward_shown<R: Runtime>(app: &AppHandle<R>, shown: &Shown) {
    forward_each(app.clone(), shown.changes(), |change| BoardChanged { change: Arc::unwrap_or_clone(change) });
    forward_changes(app.clone(), shown.participants(), |participants| {
        Some(ParticipantsChanged { participants: participants.clone() })
    });
    forward_changes(app.clone(), shown.voice(), |status| Some(VoiceStatusChanged { status: status.clone() }));
    forward_each(app.clone(), shown.transcript(), |line| {
        log::info!("heard: {}", line.text);
        TranscriptAdded { line }
    });
}

/// Sends the window what this machine's voice operator costs as it grows.
pub fn forward_voice_cost<R: Runtime>(app: &AppHandle<R>, cost: watch::Receiver<MeetingCost>) {
    forward_changes(app.clone(), cost, |cost| Some(VoiceCostChanged { cost: cost.clone() }));
}

/// Sends each item of `items` to the window as the event `to_event` makes of it, until its
/// publisher is gone. A window that fell behind misses some (logged): board changes carry
/// revisions, so it sees the gap on the next one and takes the board afresh.
fn forward_each<R: Runtime, T, E>(
    app: AppHandle<R>,
    mut items: broadcast::Receiver<T>,
    to_event: impl Fn(T) -> E + Send + 'static,
) where
    T: Clone + Send + 'static,
    E: Event + Serialize + Clone,
{
    tauri::async_runtime::spawn(async move {
        loop {
            match items.recv().await {
                Ok(item) => emit(&app, to_event(item)),
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} {}", E::NAME),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Sends each new value of `values` to the window as the event `to_event` makes of it (none
/// for `None`), until its publisher is gone. Only the latest value matters to the window.
pub fn forward_changes<R: Runtime, T, E>(
    app: AppHandle<R>,
    mut values: watch::Receiver<T>,
    to_event: impl Fn(&T) -> Option<E> + Send + 'static,
) where
    T: Send + Sync + 'static,
    E: Event + Serialize + Clone,
{
    tauri::async_runtime::spawn(async move {
        while values.changed().await.is_ok() {
            // The value is read and let go of before the (slower) send to the window.
            let event = to_event(&values.borrow_and_update());
            if let Some(event) = event {
                emit(&app, event);
            }
        }
    });
}

/// Sends one event; a window that is gone or not yet there misses it (it asks on load).
pub fn emit<R: Runtime, E: Event + Serialize + Clone>(app: &AppHandle<R>, event: E) {
    if let Err(err) = event.emit(app) {
        log::debug!("could not send {} to the window: {err}", E::NAME);
    }
}
