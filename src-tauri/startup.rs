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
use crate::{audio, events, guesting, hosting, notes, settings};

/// Overrides the data directory (tests and people who keep several rooms use it).
const DATA_DIR_VAR: &str = "BOARDROOM_DATA_DIR";

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
