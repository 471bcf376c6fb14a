//! The user's preferences, kept with tauri-plugin-store in `settings.json` beside the board.

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_store::StoreExt;

use crate::commands::CommandError;
use crate::startup::AppState;

const STORE_FILE: &str = "settings.json";
const THEME_KEY: &str = "theme";
const MICROPHONE_KEY: &str = "microphone";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// Follow the operating system's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Settings {
    pub theme: Theme,
    /// The input device by name; `None` follows the system default.
    pub microphone: Option<String>,
}

fn store<R: Runtime>(app: &AppHandle<R>) -> Result<std::sync::Arc<tauri_plugin_store::Store<R>>, CommandError> {
    let dir = &app.state::<AppState>().data_dir;
    app.store(dir.join(STORE_FILE))
        .map_err(|err| CommandError { message: format!("Settings could not be opened: {err}") })
}

#[tauri::command]
#[specta::specta]
pub fn get_settings<R: Runtime>(app: AppHandle<R>) -> Result<Settings, CommandError> {
    let store = store(&app)?;
    // A value this version does not understand falls back to the default rather than failing.
    let theme = store.get(THEME_KEY).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let microphone = store.get(MICROPHONE_KEY).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    Ok(Settings { theme, microphone })
}

#[tauri::command]
#[specta::specta]
pub fn set_settings<R: Runtime>(app: AppHandle<R>, settings: Settings) -> Result<(), CommandError> {
    let store = store(&app)?;
    store.set(THEME_KEY, serde_json::json!(settings.theme));
    store.set(MICROPHONE_KEY, serde_json::json!(settings.microphone));
    store.save().map_err(|err| CommandError { message: format!("Settings could not be saved: {err}") })
}
