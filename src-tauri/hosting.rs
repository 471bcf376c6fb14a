//! Hosting a meeting room from the window: start and end it, the invite link, the
//! participants list, and the host's controls (mute someone for everyone, remove them, let
//! people in or not, lock the room).
//! The runtime's hosting owns the room; this turns the settings into its configuration and
//! what it publishes into typed events.

use room::tls::CertificateSource;
use room::{Access, Lobby, Participant, RoomConfig};
use runtime::OpenRoom;
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Runtime, State};
use tauri_specta::Event;
use tokio::sync::watch;

use crate::error::CommandError;
use crate::events;
use crate::settings::{self, Settings, SettingsState};

/// Where the room's own certificate is kept, in the data folder, so its fingerprint stays.
const CERTIFICATE_DIR: &str = "room-tls";

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

/// Sends the room, and while it is open its participants and lobby, to the window; and
/// makes the open room follow the "ask to join" setting.
pub fn forward<R: Runtime>(app: &AppHandle<R>, hosting: &runtime::Hosting, settings: watch::Receiver<Settings>) {
    follow_ask_to_join(hosting, settings);
    let mut rooms = hosting.room();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while rooms.changed().await.is_ok() {
            let room = rooms.borrow_and_update().clone();
            events::emit(&app, RoomChanged { room: room.as_ref().map(RoomInfo::from) });
            match room {
                // Follows the roster until the room ends and its hub lets go of it.
                Some(room) => {
                    let roster = room.hub.roster();
                    let participants = roster.borrow().clone();
                    events::emit(&app, ParticipantsChanged { participants });
                    events::forward_changes(app.clone(), roster, |participants| {
                        Some(ParticipantsChanged { participants: participants.clone() })
                    });
                    let lobby = room.hub.lobby();
                    events::emit(&app, LobbyChanged { lobby: lobby.borrow().clone() });
                    events::forward_changes(app.clone(), lobby, |lobby| Some(LobbyChanged { lobby: lobby.clone() }));
                }
                None => {
                    events::emit(&app, ParticipantsChanged { participants: Vec::new() });
                    events::emit(&app, LobbyChanged { lobby: Lobby::default() });
                }
            }
        }
    });
}

/// A change of the "ask to join" setting applies to the open room at once.
fn follow_ask_to_join(hosting: &runtime::Hosting, mut settings: watch::Receiver<Settings>) {
    let rooms = hosting.room();
    let mut asked = settings.borrow_and_update().room_ask_to_join;
    tauri::async_runtime::spawn(async move {
        while settings.changed().await.is_ok() {
            let ask = settings.borrow_and_update().room_ask_to_join;
            if ask == asked {
                continue;
            }
            asked = ask;
            let hub = rooms.borrow().as_ref().map(|room| room.hub.clone());
            if let Some(hub) = hub {
                hub.ask_to_join(ask).await;
            }
        }
    });
}

/// Opens the room with the room settings (network, port, asking to join) and returns its invite link.
#[tauri::command]
#[specta::specta]
pub async fn start_room<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, runtime::Runtime>,
    chosen: State<'_, SettingsState>,
) -> Result<RoomInfo, CommandError> {
    let settings = chosen.current();
    let access = match settings.room_lan {
        true => Access::Network(CertificateSource::SelfSigned { dir: chosen.data_dir().join(CERTIFICATE_DIR) }),
        false => Access::ThisComputer,
    };
    let ice = settings
        .ice_config(settings::turn_secret(&app)?)
        .map_err(|message| CommandError::invalid(format!("The room could not start: {message}")))?;
    let config = RoomConfig {
        access,
        port: settings.room_port.unwrap_or(0),
        ask_to_join: settings.room_ask_to_join,
        ice,
        ..RoomConfig::default()
    };
    if state.guesting.session().is_some() {
        return Err(CommandError::invalid("You are in somebody else's room; leave it before starting your own."));
    }
    let room = state
        .hosting
        .start(config, true)
        .await
        .map_err(|err| CommandError::failed(format!("The room could not start: {err}.")))?;
    Ok(RoomInfo::from(&room))
}

/// Ends the room: everyone is told, every connection and peer is closed, the port is freed.
#[tauri::command]
#[specta::specta]
pub async fn end_room(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.hosting.end().await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn get_room(state: State<'_, runtime::Runtime>) -> Result<Option<RoomInfo>, CommandError> {
    Ok(state.hosting.room().borrow().as_ref().map(RoomInfo::from))
}

#[tauri::command]
#[specta::specta]
pub fn get_participants(state: State<'_, runtime::Runtime>) -> Result<Vec<Participant>, CommandError> {
    if let Some(participants) = crate::guesting::participants(&state) {
        return Ok(participants);
    }
    Ok(state.hosting.hub().map(|hub| hub.roster().borrow().clone()).unwrap_or_default())
}

/// Mutes a participant for everyone (the others, this computer, the voice operator) or unmutes them.
#[tauri::command]
#[specta::specta]
pub async fn mute_participant(state: State<'_, runtime::Runtime>, id: String, muted: bool) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.mute_for_everyone(&id, muted).await.map_err(|err| CommandError::not_found(format!("{err}.")))
}

/// Removes a participant for the rest of the room's life (their browser stays out until let back).
#[tauri::command]
#[specta::specta]
pub async fn remove_participant(state: State<'_, runtime::Runtime>, id: String) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.remove(&id).await.map_err(|err| CommandError::not_found(format!("{err}.")))
}

#[tauri::command]
#[specta::specta]
pub fn get_lobby(state: State<'_, runtime::Runtime>) -> Result<Lobby, CommandError> {
    Ok(state.hosting.hub().map(|hub| hub.lobby().borrow().clone()).unwrap_or_default())
}

/// Lets in someone waiting to join.
#[tauri::command]
#[specta::specta]
pub async fn admit_participant(state: State<'_, runtime::Runtime>, id: String) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.admit(&id).await.map_err(admit_error)
}

/// Turns away someone waiting to join.
#[tauri::command]
#[specta::specta]
pub async fn decline_participant(state: State<'_, runtime::Runtime>, id: String) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.decline(&id).await.map_err(admit_error)
}

/// Lets someone who was removed come back (they join as a newcomer).
#[tauri::command]
#[specta::specta]
pub async fn allow_back(state: State<'_, runtime::Runtime>, id: String) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.allow_back(&id).await.map_err(|err| CommandError::not_found(format!("{err}.")))
}

/// Locks the open room (nobody new can join) or unlocks it.
#[tauri::command]
#[specta::specta]
pub async fn set_room_locked(state: State<'_, runtime::Runtime>, locked: bool) -> Result<(), CommandError> {
    let hub = state.hosting.hub().ok_or_else(no_room)?;
    hub.lock(locked).await;
    Ok(())
}

fn admit_error(err: room::hub::AdmitError) -> CommandError {
    match err {
        room::hub::AdmitError::NotWaiting(_) => CommandError::not_found(format!("{err}.")),
        room::hub::AdmitError::Full(_) => CommandError::invalid(format!("{err}.")),
    }
}

fn no_room() -> CommandError {
    CommandError::not_found("No room is open.")
}
