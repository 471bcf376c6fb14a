//! Hosting a meeting room from the window: start and end it, the invite link, the
//! participants list, and the host's controls (mute someone in the mix, remove them).
//! The room itself lives in the `room` crate; this is the thin Tauri shell around it.

use std::sync::Mutex;

use room::tls::CertificateSource;
use room::{Access, HubHandle, Participant, Room, RoomAudio, RoomConfig};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_specta::Event;

use crate::audio::AudioState;
use crate::commands::CommandError;
use crate::settings;
use crate::startup::AppState;

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

#[derive(Default)]
pub struct RoomState {
    open: tokio::sync::Mutex<Option<(Room, RoomInfo)>>,
    /// The open room's hub, for the audio thread and the voice operator to feed (levels,
    /// status, transcript) without waiting on the lock above.
    hub: Mutex<Option<HubHandle>>,
}

impl RoomState {
    /// The open room's hub, if a room is open.
    pub fn hub(&self) -> Option<HubHandle> {
        self.hub.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_hub(&self, hub: Option<HubHandle>) {
        *self.hub.lock().unwrap_or_else(|e| e.into_inner()) = hub;
    }
}

pub fn install<R: Runtime>(app: &AppHandle<R>) {
    app.manage(RoomState::default());
}

/// The open room's hub, when a room is open (for the audio thread and the voice operator).
pub fn hub<R: Runtime>(app: &AppHandle<R>) -> Option<HubHandle> {
    app.try_state::<RoomState>().and_then(|state| state.hub())
}

/// Opens the room with the room settings (network, port) and returns its invite link.
#[tauri::command]
#[specta::specta]
pub async fn start_room<R: Runtime>(app: AppHandle<R>, state: State<'_, RoomState>) -> Result<RoomInfo, CommandError> {
    let mut open = state.open.lock().await;
    if let Some((_, info)) = open.as_ref() {
        return Ok(info.clone());
    }
    let settings = settings::get_settings(app.clone())?;
    let state_dir = app.state::<AppState>().data_dir.clone();
    let access = match settings.room_lan {
        true => Access::Network(CertificateSource::SelfSigned { dir: state_dir.join(CERTIFICATE_DIR) }),
        false => Access::ThisComputer,
    };
    let ice = settings
        .ice_config(settings::turn_secret(&app)?)
        .map_err(|message| CommandError::invalid(format!("The room could not start: {message}")))?;
    let config = RoomConfig { access, port: settings.room_port.unwrap_or(0), ice, ..RoomConfig::default() };
    let board = app.state::<AppState>().board.clone();
    let audio = app.state::<AudioState>();
    let room_audio = RoomAudio { sources: audio.sources(), microphone: audio.microphone_feed() };
    let room = Room::start(config, board, room_audio)
        .await
        .map_err(|err| CommandError::failed(format!("The room could not start: {err}.")))?;
    // The host hears the participants (and never themselves) while the room is open.
    audio.set_speakers(true);
    let info = RoomInfo {
        invite_link: room.invite_link().to_owned(),
        lan: settings.room_lan,
        fingerprint: room.certificate().and_then(|certificate| certificate.fingerprint.clone()),
        warnings: room.warnings().to_vec(),
    };
    let hub = room.hub().clone();
    forward_participants(app.clone(), &hub);
    hub.voice(crate::voice::current_status(&app));
    state.set_hub(Some(hub));
    *open = Some((room, info.clone()));
    emit_room(&app, Some(info.clone()));
    Ok(info)
}

/// Ends the room: everyone is told, every connection and peer is closed, the port is freed.
#[tauri::command]
#[specta::specta]
pub async fn end_room<R: Runtime>(app: AppHandle<R>, state: State<'_, RoomState>) -> Result<(), CommandError> {
    end(&app, &state).await;
    Ok(())
}

pub async fn end<R: Runtime>(app: &AppHandle<R>, state: &RoomState) {
    let Some((room, _)) = state.open.lock().await.take() else { return };
    state.set_hub(None);
    room.end().await;
    app.state::<AudioState>().set_speakers(false);
    emit_room(app, None);
    if let Err(err) = (ParticipantsChanged { participants: Vec::new() }).emit(app) {
        log::debug!("could not send the participants to the window: {err}");
    }
}

#[tauri::command]
#[specta::specta]
pub async fn get_room(state: State<'_, RoomState>) -> Result<Option<RoomInfo>, CommandError> {
    Ok(state.open.lock().await.as_ref().map(|(_, info)| info.clone()))
}

#[tauri::command]
#[specta::specta]
pub async fn get_participants(state: State<'_, RoomState>) -> Result<Vec<Participant>, CommandError> {
    Ok(state.hub().map(|hub| hub.roster().borrow().clone()).unwrap_or_default())
}

/// Takes a participant out of the mix (nobody hears them, nor does the voice operator) or back in.
#[tauri::command]
#[specta::specta]
pub async fn mute_participant(state: State<'_, RoomState>, id: String, muted: bool) -> Result<(), CommandError> {
    let hub = state.hub().ok_or_else(no_room)?;
    hub.mute_in_mix(&id, muted).await.map_err(|err| CommandError::not_found(format!("{err}.")))
}

#[tauri::command]
#[specta::specta]
pub async fn remove_participant(state: State<'_, RoomState>, id: String) -> Result<(), CommandError> {
    let hub = state.hub().ok_or_else(no_room)?;
    hub.remove(&id).await.map_err(|err| CommandError::not_found(format!("{err}.")))
}

fn no_room() -> CommandError {
    CommandError::not_found("No room is open.")
}

fn emit_room<R: Runtime>(app: &AppHandle<R>, room: Option<RoomInfo>) {
    if let Err(err) = (RoomChanged { room }).emit(app) {
        log::debug!("could not send the room to the window: {err}");
    }
}

/// Sends the participants list to the window whenever it changes, until the room ends.
fn forward_participants<R: Runtime>(app: AppHandle<R>, hub: &HubHandle) {
    let mut roster = hub.roster();
    tauri::async_runtime::spawn(async move {
        loop {
            let participants = roster.borrow_and_update().clone();
            if let Err(err) = (ParticipantsChanged { participants }).emit(&app) {
                log::debug!("could not send the participants to the window: {err}");
            }
            if roster.changed().await.is_err() {
                return;
            }
        }
    });
}
