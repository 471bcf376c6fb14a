//! Hosting a meeting room from the window: start and end it, the invite link, and the
//! host's controls (mute someone for everyone, remove them, let people in or not, lock the
//! room). The runtime's hosting owns the room; this turns the settings into its
//! configuration and sends the open room and its lobby to the window.

use room::tls::CertificateSource;
use room::{Access, Lobby, RoomConfig};
use tauri::{AppHandle, Runtime, State};

use crate::error::{sentence, CommandError};
use crate::events::{self, LobbyChanged, RoomChanged, RoomInfo};
use crate::settings::{self, SettingsState};

/// Where the room's own certificate is kept, in the data folder, so its fingerprint stays.
const CERTIFICATE_DIR: &str = "room-tls";

/// Sends the room, and while it is open its lobby, to the window.
pub fn forward<R: Runtime>(app: &AppHandle<R>, hosting: &runtime::Hosting) {
    let mut rooms = hosting.room();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while rooms.changed().await.is_ok() {
            let room = rooms.borrow_and_update().clone();
            events::emit(&app, RoomChanged { room: room.as_ref().map(RoomInfo::from) });
            match room {
                // Follows the lobby until the room ends and its hub lets go of it.
                Some(room) => {
                    let lobby = room.hub.lobby();
                    events::emit(&app, LobbyChanged { lobby: lobby.borrow().clone() });
                    events::forward_changes(app.clone(), lobby, |lobby| Some(LobbyChanged { lobby: lobby.clone() }));
                }
                None => events::emit(&app, LobbyChanged { lobby: Lobby::default() }),
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
    let config = RoomConfig { access, port: settings.room_port.unwrap_or(0), ice, ..RoomConfig::default() };
    let room = state.start_room(config, true).await.map_err(|err| match err {
        runtime::StartRoomError::Guest => CommandError::invalid(format!("{}.", sentence(err.to_string()))),
        runtime::StartRoomError::Room(err) => CommandError::failed(format!("The room could not start: {err}.")),
    })?;
    Ok(RoomInfo::from(&room))
}

/// Ends the room: everyone is told, every connection and peer is closed, the port is freed.
#[tauri::command]
#[specta::specta]
pub async fn end_room(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.hosting.end().await;
    Ok(())
}

/// Gives the room a new link: the old one lets nobody in from now on (those in stay), and
/// the next rooms open with the new one.
#[tauri::command]
#[specta::specta]
pub async fn new_room_link(state: State<'_, runtime::Runtime>) -> Result<Option<RoomInfo>, CommandError> {
    let renewed = state.hosting.new_link().await;
    let renewed = renewed.map_err(|err| CommandError::failed(format!("The new link could not be kept: {err}.")))?;
    Ok(renewed.as_ref().map(RoomInfo::from))
}

#[tauri::command]
#[specta::specta]
pub fn get_room(state: State<'_, runtime::Runtime>) -> Result<Option<RoomInfo>, CommandError> {
    Ok(state.hosting.room().borrow().as_ref().map(RoomInfo::from))
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
        room::hub::AdmitError::Full(_) | room::hub::AdmitError::BadName(_) => CommandError::invalid(format!("{err}.")),
    }
}

fn no_room() -> CommandError {
    CommandError::not_found("No room is open.")
}
