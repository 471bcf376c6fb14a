//! Wiring at launch: where data lives, the settings and the voice settings, the runtime
//! (board, audio, voice, room) that follows them, what each publishes forwarded to the
//! window, and what happened to a bad board file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use runtime::{BoardOpened, Listening, RuntimeConfig};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, Runtime};

use crate::voice_settings::{self, VoiceEnvironment};
use crate::{audio, events, guesting, hosting, notes, notifications, settings};

/// Overrides the data directory (tests and people who keep several rooms use it).
const DATA_DIR_VAR: &str = "BOARDROOM_DATA_DIR";
const WINDOW_STATE_FILE: &str = "window-state.json";

/// Something the user must know about the start, shown until dismissed.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupNotice {
    pub message: String,
    /// Where the unusable board file was moved, when it could be.
    pub moved_to: Option<String>,
}

/// What the window's own commands share.
pub struct AppState {
    pub notice: Mutex<Option<StartupNotice>>,
    pub launched: Instant,
}

/// The data folder `BOARDROOM_DATA_DIR` names, if any.
pub fn data_dir_from_environment() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_VAR).map(PathBuf::from)
}

/// Where the board (data) and the stored API key (config) live. A folder given with
/// `--data-dir` or `BOARDROOM_DATA_DIR` holds both; otherwise the OS's app folders are used.
pub fn dirs<R: Runtime>(app: &AppHandle<R>, chosen: Option<PathBuf>) -> tauri::Result<(PathBuf, PathBuf)> {
    match chosen.or_else(data_dir_from_environment) {
        Some(dir) => Ok((dir.clone(), dir)),
        None => Ok((app.path().app_data_dir()?, app.path().app_config_dir()?)),
    }
}

/// Keeps the window's size and place from one launch to the next, in the config folder (the
/// chosen data folder, if one was given). Wayland does not let an app place its window, so
/// there only its size is kept.
pub fn window_state<R: Runtime>(chosen: Option<&Path>) -> tauri::plugin::TauriPlugin<R> {
    // An absolute name: the plugin joins it to the OS's config folder, which it then replaces.
    let file = match chosen.map(std::path::absolute) {
        Some(Ok(dir)) => dir.join(WINDOW_STATE_FILE).to_string_lossy().into_owned(),
        _ => WINDOW_STATE_FILE.to_owned(),
    };
    tauri_plugin_window_state::Builder::default().with_state_flags(window_state_flags()).with_filename(file).build()
}

fn window_state_flags() -> tauri_plugin_window_state::StateFlags {
    use tauri_plugin_window_state::StateFlags;
    let mut flags = StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED;
    if std::env::var_os("WAYLAND_DISPLAY").is_some() {
        flags.remove(StateFlags::POSITION);
    }
    flags
}

/// Saves the window's size and place a moment after it last moved or changed size: the
/// plugin saves only when the app exits normally, and a crash or a kill should keep it too.
pub fn save_window_state_as_it_changes<R: Runtime>(app: &AppHandle<R>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::AppHandleExt;
    const SAVE_AFTER: std::time::Duration = std::time::Duration::from_millis(500);
    let Some(window) = app.get_webview_window("main") else { return };
    let changes = std::sync::Arc::new(AtomicU64::new(0));
    let app = app.clone();
    window.on_window_event(move |event| {
        if !matches!(event, tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)) {
            return;
        }
        let this = changes.fetch_add(1, Ordering::Relaxed) + 1;
        let (app, changes) = (app.clone(), std::sync::Arc::clone(&changes));
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(SAVE_AFTER).await;
            // Only the last change of a drag saves.
            if changes.load(Ordering::Relaxed) == this {
                if let Err(err) = app.save_window_state(window_state_flags()) {
                    log::warn!("the window's size and place could not be kept: {err}");
                }
            }
        });
    });
}

/// Starts everything in flow order — settings, voice settings, then the runtime that
/// follows them — registers each part's state and forwards what each publishes.
pub fn install<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    config_dir: &Path,
    environment: VoiceEnvironment,
    launched: Instant,
) -> Result<(), Box<dyn std::error::Error>> {
    // The runtime spawns its tasks on the current Tokio runtime: Tauri's.
    let _tokio = tauri::async_runtime::handle().inner().enter();
    let published = settings::install(app, data_dir).map_err(|err| err.message)?;
    let voice_choice = voice_settings::install(app, config_dir, environment, published.settings);
    let config = RuntimeConfig {
        program: "the Boardroom app",
        microphone: published.microphone,
        echo_cancellation: published.echo_cancellation,
        system_audio: published.system_audio,
        voice: voice_choice,
        listening: Listening::WhileJoined,
        ask_to_join: published.ask_to_join,
        voice_preferences: published.voice_preferences,
    };
    let (runtime, opened) = runtime::Runtime::start(data_dir, config)?;
    let notice = notice_for(&opened);
    match (&notice, opened.new) {
        (Some(notice), _) => log::warn!("{}", notice.message),
        (None, true) => log::info!("new board; it will be saved in {}", opened.path.display()),
        (None, false) => log::info!("board loaded from {}", opened.path.display()),
    }
    events::forward_shown(app, &runtime.shown);
    events::forward_voice_cost(app, runtime.voice.cost());
    audio::forward(app, &runtime.audio);
    hosting::forward(app, &runtime.hosting);
    guesting::forward(app, &runtime.guesting);
    notes::forward(app, &runtime.notes);
    notifications::install(app, &runtime);
    app.manage(runtime);
    app.manage(AppState { notice: Mutex::new(notice), launched });
    Ok(())
}

fn notice_for(opened: &BoardOpened) -> Option<StartupNotice> {
    Some(StartupNotice {
        message: opened.problem.clone()?,
        moved_to: opened.moved_to.as_ref().map(|path| path.display().to_string()),
    })
}
