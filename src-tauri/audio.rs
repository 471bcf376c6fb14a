//! The room's sound in the app: starts the audio thread, forwards its microphone status and
//! levels to the window as typed events, and offers join, leave, mute and the device list.
//! Joining and leaving also start and stop the voice operator (`voice`).

use audio::{AudioEngine, EngineEvent, Levels, MicrophoneStatus};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_specta::Event;

use crate::commands::CommandError;
use crate::{hosting, settings, voice};

/// The microphone started, stopped, went missing or came back.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct MicrophoneChanged {
    pub status: MicrophoneStatus,
}

/// Levels of every source and the mix, ten times a second.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct AudioLevels {
    pub levels: Levels,
}

/// How far the room's encoder may fall behind the microphone before frames are dropped for it.
const MICROPHONE_QUEUE_FRAMES: usize = 10;

pub struct AudioState {
    engine: AudioEngine,
}

impl AudioState {
    /// A new consumer of the room mix.
    pub fn attach(&self, name: &str, queue_frames: usize) -> Option<audio::MixReceiver> {
        self.engine.attach(audio::Feed::Room, name, queue_frames)
    }

    /// For adding the room's participants to the mix.
    pub fn sources(&self) -> audio::Sources {
        self.engine.sources()
    }

    /// This machine's microphone alone, for the room's participants.
    pub fn microphone_feed(&self) -> Option<audio::MixReceiver> {
        self.engine.attach(audio::Feed::Microphone, "room", MICROPHONE_QUEUE_FRAMES)
    }

    /// Plays the participants on this machine's speakers, or stops.
    pub fn set_speakers(&self, on: bool) {
        self.engine.set_speakers(on);
    }
}

/// Starts the audio thread; its events go straight to the window.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> std::io::Result<()> {
    let handle = app.clone();
    let engine = AudioEngine::start(move |event| {
        let sent = match event {
            EngineEvent::Microphone(status) => {
                log::info!("microphone: {status:?}");
                MicrophoneChanged { status }.emit(&handle)
            }
            EngineEvent::Levels(levels) => {
                if let Some(hub) = hosting::hub(&handle) {
                    hub.levels(levels.sources.clone());
                }
                AudioLevels { levels }.emit(&handle)
            }
        };
        if let Err(err) = sent {
            log::debug!("could not send audio news to the window: {err}");
        }
    })?;
    app.manage(AudioState { engine });
    Ok(())
}

/// Turns the microphone on (the one chosen in Settings, or the system default) and starts
/// the voice operator.
#[tauri::command]
#[specta::specta]
pub async fn join_room<R: Runtime>(app: AppHandle<R>, state: State<'_, AudioState>) -> Result<(), CommandError> {
    let device = settings::get_settings(app.clone())?.microphone;
    state.engine.join(device);
    voice::join(&app).await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn leave_room<R: Runtime>(app: AppHandle<R>, state: State<'_, AudioState>) -> Result<(), CommandError> {
    state.engine.leave();
    voice::leave(&app).await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn set_muted<R: Runtime>(app: AppHandle<R>, state: State<'_, AudioState>, muted: bool) {
    state.engine.set_muted(muted);
    if let Some(hub) = hosting::hub(&app) {
        hub.host_muted(muted);
    }
}

/// The input devices, the system default first.
#[tauri::command]
#[specta::specta]
pub async fn list_microphones() -> Result<Vec<String>, CommandError> {
    tauri::async_runtime::spawn_blocking(audio::input_names)
        .await
        .map_err(|err| CommandError::failed(format!("The microphones could not be listed: {err}")))
}
