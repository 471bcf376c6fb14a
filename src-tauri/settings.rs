//! The user's preferences, kept with tauri-plugin-store in `settings.json` beside the board.

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_store::StoreExt;

use crate::commands::CommandError;
use crate::startup::AppState;
use crate::voice;

const STORE_FILE: &str = "settings.json";
const THEME_KEY: &str = "theme";
const MICROPHONE_KEY: &str = "microphone";
const MODEL_KEY: &str = "realtimeModel";
const BASE_URL_KEY: &str = "realtimeBaseUrl";
const ROOM_LAN_KEY: &str = "roomLan";
const ROOM_PORT_KEY: &str = "roomPort";
const MAX_MODEL_CHARS: usize = 100;

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
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub theme: Theme,
    /// The input device by name; `None` follows the system default.
    pub microphone: Option<String>,
    /// The Realtime model; `None` uses the default (`OPENAI_REALTIME_MODEL` wins over both).
    pub model: Option<String>,
    /// The API base URL; `None` uses OpenAI's (`OPENAI_BASE_URL` wins over both).
    pub base_url: Option<String>,
    /// "Let people on my network join": the room listens on the LAN address, not just loopback.
    pub room_lan: bool,
    /// The room's port; `None` picks a free one each time.
    pub room_port: Option<u16>,
}

impl Settings {
    /// Trims the voice fields (blank means "default") and refuses values that cannot work.
    fn validated(mut self) -> Result<Self, CommandError> {
        let blank_is_none = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        self.model = blank_is_none(self.model);
        self.base_url = blank_is_none(self.base_url).map(|url| url.trim_end_matches('/').to_owned());
        if let Some(model) = &self.model {
            if model.chars().count() > MAX_MODEL_CHARS || model.chars().any(char::is_whitespace) {
                return Err(CommandError { message: format!("\"{model}\" is not a model name.") });
            }
        }
        if let Some(url) = &self.base_url {
            let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(CommandError {
                    message: format!("\"{url}\" is not an http(s) address like https://api.openai.com/v1."),
                });
            }
        }
        Ok(self)
    }
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
    let read = |key| store.get(key).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    Ok(Settings {
        theme,
        microphone: read(MICROPHONE_KEY),
        model: read(MODEL_KEY),
        base_url: read(BASE_URL_KEY),
        room_lan: store.get(ROOM_LAN_KEY).and_then(|v| v.as_bool()).unwrap_or(false),
        room_port: store.get(ROOM_PORT_KEY).and_then(|v| serde_json::from_value(v).ok()).flatten(),
    })
}

/// Saves the settings; a changed model or endpoint reconnects the voice operator.
#[tauri::command]
#[specta::specta]
pub async fn set_settings<R: Runtime>(app: AppHandle<R>, settings: Settings) -> Result<(), CommandError> {
    let settings = settings.validated()?;
    let before = get_settings(app.clone())?;
    let store = store(&app)?;
    store.set(THEME_KEY, serde_json::json!(settings.theme));
    store.set(MICROPHONE_KEY, serde_json::json!(settings.microphone));
    store.set(MODEL_KEY, serde_json::json!(settings.model));
    store.set(BASE_URL_KEY, serde_json::json!(settings.base_url));
    store.set(ROOM_LAN_KEY, serde_json::json!(settings.room_lan));
    store.set(ROOM_PORT_KEY, serde_json::json!(settings.room_port));
    store.save().map_err(|err| CommandError { message: format!("Settings could not be saved: {err}") })?;
    if (&before.model, &before.base_url) != (&settings.model, &settings.base_url) {
        voice::settings_changed(&app).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(model: Option<&str>, base_url: Option<&str>) -> Settings {
        Settings { model: model.map(Into::into), base_url: base_url.map(Into::into), ..Settings::default() }
    }

    #[test]
    fn voice_fields_are_trimmed_and_checked() {
        let ok = with(Some(" gpt-realtime "), Some("http://127.0.0.1:9000/v1/")).validated().unwrap();
        assert_eq!(ok.model.as_deref(), Some("gpt-realtime"));
        assert_eq!(ok.base_url.as_deref(), Some("http://127.0.0.1:9000/v1"));
        assert_eq!(with(Some("  "), Some("")).validated().unwrap(), Settings::default());
        assert!(with(None, Some("ftp://example.com")).validated().is_err());
        assert!(with(None, Some("not a url")).validated().is_err());
        assert!(with(Some("two words"), None).validated().is_err());
    }
}
