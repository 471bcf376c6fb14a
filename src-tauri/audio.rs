//! The room's sound in the window: the microphone's status, what the computer plays ("call
//! audio") and the levels, as the runtime's
//! audio publishes them, go to the window as typed events; join, leave, mute and the device
//! list are its commands.

use tauri::{AppHandle, Runtime, State};

use crate::error::CommandError;
use crate::events::{self, AudioLevels, MicrophoneChanged, SystemAudioChanged};

/// Sends the microphone's status, whether the computer's audio is heard, and the levels to the window.
pub fn forward<R: Runtime>(app: &AppHandle<R>, audio: &runtime::Audio) {
    events::forward_changes(app.clone(), audio.microphone(), |status| {
        Some(MicrophoneChanged { status: status.clone() })
    });
    events::forward_changes(app.clone(), audio.system_audio(), |status| {
        Some(SystemAudioChanged { status: status.clone() })
    });
    events::forward_changes(app.clone(), audio.levels(), |levels| {
        levels.as_ref().map(|levels| AudioLevels { levels: levels.clone() })
    });
}

/// Turns the microphone on (the one chosen in Settings, or the system default); the voice
/// operator starts with it.
#[tauri::command]
#[specta::specta]
pub async fn join_room(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.audio.join();
    Ok(())
}

/// Turns the microphone off; the voice operator hangs up (this returns once it has, within 2 s).
#[tauri::command]
#[specta::specta]
pub async fn leave_room(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.leave().await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn set_muted(state: State<'_, runtime::Runtime>, muted: bool) {
    state.audio.set_muted(muted);
}

/// The input devices, the system default first.
#[tauri::command]
#[specta::specta]
pub async fn list_microphones() -> Result<Vec<String>, CommandError> {
    tauri::async_runtime::spawn_blocking(audio::input_names)
        .await
        .map_err(|err| CommandError::failed(format!("The microphones could not be listed: {err}")))
}
