//! The user's preferences, kept with tauri-plugin-store in `settings.json` beside the board,
//! and published: the whole settings for whoever reads them (the voice settings, the room),
//! the chosen microphone, whether to cancel echo and whether to hear what the computer
//! plays on their own, for the audio, and what
//! the voice operator follows during a call (ask before changes, the meeting's language).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_store::StoreExt;
use tokio::sync::watch;

use realtime::cost::Prices;
use realtime::{Language, Preferences};
use room::ice::{parse_port_range, IceConfig, IceUrl, TurnSecret};

use crate::error::CommandError;

const STORE_FILE: &str = "settings.json";
const THEME_KEY: &str = "theme";
const MICROPHONE_KEY: &str = "microphone";
const HEADSET_KEY: &str = "headset";
const SYSTEM_AUDIO_KEY: &str = "systemAudio";
const MODEL_KEY: &str = "realtimeModel";
const PRICES_KEY: &str = "realtimePrices";
const BASE_URL_KEY: &str = "realtimeBaseUrl";
const ROOM_LAN_KEY: &str = "roomLan";
const ROOM_PORT_KEY: &str = "roomPort";
const ROOM_ASK_KEY: &str = "roomAskToJoin";
const ASK_VOICE_KEY: &str = "askBeforeVoiceChanges";
const LANGUAGE_KEY: &str = "meetingLanguage";
const ICE_SERVERS_KEY: &str = "iceServers";
const PUBLIC_IP_KEY: &str = "publicIp";
const UDP_PORTS_KEY: &str = "udpPorts";
const YOUR_NAME_KEY: &str = "yourName";
/// Kept in the store, never sent to the window (it only learns whether one is set).
const TURN_SECRET_KEY: &str = "turnSecret";
const MAX_MODEL_CHARS: usize = 100;
/// No token costs more than this many dollars per million: a higher figure is a typo.
const MAX_PRICE: f64 = 10_000.0;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// Follow the operating system's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub theme: Theme,
    /// The input device by name; `None` follows the system default.
    pub microphone: Option<String>,
    /// The person wears a headset: nothing the speakers play reaches the microphone, so
    /// echo cancellation is off (it is on whenever the speakers play otherwise).
    pub headset: bool,
    /// "Also listen to this computer's audio": the voice operator hears what the computer
    /// plays (the call app) as "call audio". Off when a caller leaves it out.
    #[serde(default)]
    pub system_audio: bool,
    /// The Realtime model; `None` uses the default (`OPENAI_REALTIME_MODEL` wins over both).
    pub model: Option<String>,
    /// What the model's tokens cost, in dollars per million, for the cost meter; `None` uses
    /// the model's list prices (a model we do not know has none: its tokens are counted only).
    pub prices: Option<Prices>,
    /// The API base URL; `None` uses OpenAI's (`OPENAI_BASE_URL` wins over both).
    pub base_url: Option<String>,
    /// "Let people on my network join": the room listens on the LAN address, not just loopback.
    pub room_lan: bool,
    /// The room's port; `None` picks a free one each time.
    pub room_port: Option<u16>,
    /// "Ask me before people join": newcomers wait until the host admits them.
    pub room_ask_to_join: bool,
    /// "Ask before voice changes": every change the voice operator makes waits for a person
    /// to accept it (its deletions always do). Off when a caller leaves it out.
    #[serde(default)]
    pub ask_before_voice_changes: bool,
    /// The meeting's language as a two-letter code; `None` follows this computer's language.
    #[serde(default)]
    pub meeting_language: Option<String>,
    /// STUN and TURN servers (`stun:`, `turn:`, `turns:` URLs) for the room and every page.
    pub ice_servers: Vec<String>,
    /// This computer's public address, behind a 1:1 NAT.
    pub public_ip: Option<String>,
    /// The UDP ports the room's audio uses, as `FIRST-LAST`.
    pub udp_ports: Option<String>,
    /// The name this person joins other people's rooms with.
    pub your_name: Option<String>,
}

/// The TURN shared secret is set apart from the other settings: the window can set or
/// clear it but never read it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TurnSecretState {
    pub configured: bool,
}

impl Settings {
    /// Trims the voice fields (blank means "default") and refuses values that cannot work.
    fn validated(mut self) -> Result<Self, CommandError> {
        let blank_is_none = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        self.model = blank_is_none(self.model);
        self.base_url = blank_is_none(self.base_url).map(|url| url.trim_end_matches('/').to_owned());
        if let Some(model) = &self.model {
            if model.chars().count() > MAX_MODEL_CHARS || model.chars().any(char::is_whitespace) {
                return Err(CommandError::invalid(format!("\"{model}\" is not a model name.")));
            }
        }
        if let Some(prices) = &self.prices {
            let each = [
                prices.text_in,
                prices.cached_text_in,
                prices.audio_in,
                prices.cached_audio_in,
                prices.text_out,
                prices.audio_out,
            ];
            if each.iter().any(|price| !price.is_finite() || !(0.0..=MAX_PRICE).contains(price)) {
                return Err(CommandError::invalid(format!(
                    "Prices are dollars per million tokens, from 0 to {MAX_PRICE}."
                )));
            }
        }
        self.ice_servers = self.ice_servers.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        self.public_ip = blank_is_none(self.public_ip);
        self.udp_ports = blank_is_none(self.udp_ports);
        self.your_name = blank_is_none(self.your_name);
        self.meeting_language = blank_is_none(self.meeting_language)
            .map(|code| Language::from_code(&code).map(|language| language.code.to_owned()))
            .transpose()
            .map_err(|err| CommandError::invalid(format!("{err}.")))?;
        if let Some(name) = &self.your_name {
            room_protocol::names::name(name).map_err(|err| CommandError::invalid(format!("Your name: {err}.")))?;
        }
        self.ice_config(None).map_err(CommandError::invalid)?;
        if let Some(url) = &self.base_url {
            realtime::api::check_base_url(url).map_err(|err| CommandError::invalid(format!("{err}.")))?;
        }
        Ok(self)
    }

    /// The room's ICE settings; TURN servers are only checked for a secret when one is given.
    pub fn ice_config(&self, turn_secret: Option<String>) -> Result<IceConfig, String> {
        let servers = self.ice_servers.iter().map(|url| IceUrl::parse(url)).collect::<Result<Vec<_>, _>>();
        let public_ip = match &self.public_ip {
            Some(ip) => Some(ip.parse().map_err(|_| format!("\"{ip}\" is not an IP address."))?),
            None => None,
        };
        let udp_ports = self.udp_ports.as_deref().map(parse_port_range).transpose().map_err(|err| format!("{err}."))?;
        let has_secret = turn_secret.is_some();
        let config = IceConfig {
            servers: servers.map_err(|err| format!("{err}."))?,
            turn_secret: turn_secret.and_then(TurnSecret::new),
            public_ip,
            udp_ports,
            ..IceConfig::default()
        };
        if has_secret {
            config.validate().map_err(|err| format!("{err}."))?;
        }
        Ok(config)
    }
}

/// The settings' owner: the data folder they are kept in, and what is published from them.
pub struct SettingsState {
    data_dir: PathBuf,
    published: watch::Sender<Settings>,
    microphone: watch::Sender<Option<String>>,
    echo_cancellation: watch::Sender<bool>,
    system_audio: watch::Sender<bool>,
    ask_to_join: watch::Sender<bool>,
    voice_preferences: watch::Sender<Preferences>,
    /// The language of this computer's locale: the meeting's unless the person picks another.
    system_language: Language,
}

impl SettingsState {
    pub fn current(&self) -> Settings {
        self.published.borrow().clone()
    }

    pub fn system_language(&self) -> Language {
        self.system_language
    }

    /// What the voice operator follows, from `settings`.
    fn voice_preferences(&self, settings: &Settings) -> Preferences {
        let chosen = settings.meeting_language.as_deref().and_then(|code| Language::from_code(code).ok());
        Preferences { ask_first: settings.ask_before_voice_changes, language: chosen.unwrap_or(self.system_language) }
    }

    /// The folder the settings are kept in, with the board and the room's certificate.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// What the settings publish, for the parts downstream.
pub struct Published {
    pub settings: watch::Receiver<Settings>,
    pub microphone: watch::Receiver<Option<String>>,
    pub echo_cancellation: watch::Receiver<bool>,
    pub system_audio: watch::Receiver<bool>,
    pub ask_to_join: watch::Receiver<bool>,
    pub voice_preferences: watch::Receiver<Preferences>,
}

/// Reads the saved settings from `data_dir` and starts publishing them.
pub fn install<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> Result<Published, CommandError> {
    keep_private(&data_dir.join(STORE_FILE))
        .map_err(|err| CommandError::failed(format!("Settings could not be made private: {err}")))?;
    let saved = read(&*open_store(app, data_dir)?);
    let state = SettingsState {
        data_dir: data_dir.to_path_buf(),
        microphone: watch::Sender::new(saved.microphone.clone()),
        echo_cancellation: watch::Sender::new(!saved.headset),
        system_audio: watch::Sender::new(saved.system_audio),
        ask_to_join: watch::Sender::new(saved.room_ask_to_join),
        voice_preferences: watch::Sender::new(Preferences::default()),
        system_language: realtime::language::of_environment(|var| std::env::var(var).ok()).unwrap_or_default(),
        published: watch::Sender::new(saved),
    };
    state.voice_preferences.send_replace(state.voice_preferences(&state.current()));
    let published = Published {
        settings: state.published.subscribe(),
        microphone: state.microphone.subscribe(),
        echo_cancellation: state.echo_cancellation.subscribe(),
        system_audio: state.system_audio.subscribe(),
        ask_to_join: state.ask_to_join.subscribe(),
        voice_preferences: state.voice_preferences.subscribe(),
    };
    app.manage(state);
    Ok(published)
}

/// The store rewrites its file in place, which keeps the file's mode: so the file (which
/// holds the TURN secret) is made private, in a private folder, before the store opens it.
fn keep_private(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        return private_files::write(path, b"{}");
    }
    if let Some(dir) = path.parent() {
        private_files::dir(dir)?;
    }
    private_files::restrict_file(path)
}

fn open_store<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
) -> Result<std::sync::Arc<tauri_plugin_store::Store<R>>, CommandError> {
    app.store(data_dir.join(STORE_FILE))
        .map_err(|err| CommandError::failed(format!("Settings could not be opened: {err}")))
}

fn store<R: Runtime>(app: &AppHandle<R>) -> Result<std::sync::Arc<tauri_plugin_store::Store<R>>, CommandError> {
    open_store(app, app.state::<SettingsState>().data_dir())
}

/// The settings as saved. A value this version does not understand falls back to the
/// default rather than failing.
fn read<R: Runtime>(store: &tauri_plugin_store::Store<R>) -> Settings {
    Settings {
        theme: value(store, THEME_KEY),
        microphone: value(store, MICROPHONE_KEY),
        headset: value(store, HEADSET_KEY),
        system_audio: value(store, SYSTEM_AUDIO_KEY),
        model: value(store, MODEL_KEY),
        prices: value(store, PRICES_KEY),
        base_url: value(store, BASE_URL_KEY),
        room_lan: value(store, ROOM_LAN_KEY),
        room_port: value(store, ROOM_PORT_KEY),
        room_ask_to_join: value(store, ROOM_ASK_KEY),
        ask_before_voice_changes: value(store, ASK_VOICE_KEY),
        meeting_language: value::<_, Option<String>>(store, LANGUAGE_KEY)
            .filter(|code| Language::from_code(code).is_ok()),
        ice_servers: value(store, ICE_SERVERS_KEY),
        public_ip: value(store, PUBLIC_IP_KEY),
        udp_ports: value(store, UDP_PORTS_KEY),
        your_name: value(store, YOUR_NAME_KEY),
    }
}

fn value<R: Runtime, T: serde::de::DeserializeOwned + Default>(store: &tauri_plugin_store::Store<R>, key: &str) -> T {
    store.get(key).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, SettingsState>) -> Result<Settings, CommandError> {
    Ok(state.current())
}

/// The stored TURN secret, for the room.
pub fn turn_secret<R: Runtime>(app: &AppHandle<R>) -> Result<Option<String>, CommandError> {
    Ok(store(app)?.get(TURN_SECRET_KEY).and_then(|v| v.as_str().map(str::to_owned)).filter(|s| !s.is_empty()))
}

#[tauri::command]
#[specta::specta]
pub fn get_turn_secret_state<R: Runtime>(app: AppHandle<R>) -> Result<TurnSecretState, CommandError> {
    Ok(TurnSecretState { configured: turn_secret(&app)?.is_some() })
}

/// Sets the TURN shared secret (coturn's static-auth-secret), or clears it with `None`.
#[tauri::command]
#[specta::specta]
pub fn set_turn_secret<R: Runtime>(app: AppHandle<R>, secret: Option<String>) -> Result<TurnSecretState, CommandError> {
    let secret = secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let store = store(&app)?;
    match &secret {
        Some(secret) => store.set(TURN_SECRET_KEY, serde_json::json!(secret)),
        None => {
            store.delete(TURN_SECRET_KEY);
        }
    }
    store.save().map_err(|err| CommandError::failed(format!("Settings could not be saved: {err}")))?;
    Ok(TurnSecretState { configured: secret.is_some() })
}

/// Saves the settings and publishes them (a changed model or endpoint reconnects the voice
/// operator; a changed microphone is switched to; a headset turns echo cancellation off;
/// "call audio" starts or stops listening to what the computer plays).
#[tauri::command]
#[specta::specta]
pub fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, SettingsState>,
    settings: Settings,
) -> Result<(), CommandError> {
    let settings = settings.validated()?;
    let store = store(&app)?;
    store.set(THEME_KEY, serde_json::json!(settings.theme));
    store.set(MICROPHONE_KEY, serde_json::json!(settings.microphone));
    store.set(HEADSET_KEY, serde_json::json!(settings.headset));
    store.set(SYSTEM_AUDIO_KEY, serde_json::json!(settings.system_audio));
    store.set(MODEL_KEY, serde_json::json!(settings.model));
    store.set(PRICES_KEY, serde_json::json!(settings.prices));
    store.set(BASE_URL_KEY, serde_json::json!(settings.base_url));
    store.set(ROOM_LAN_KEY, serde_json::json!(settings.room_lan));
    store.set(ROOM_PORT_KEY, serde_json::json!(settings.room_port));
    store.set(ROOM_ASK_KEY, serde_json::json!(settings.room_ask_to_join));
    store.set(ASK_VOICE_KEY, serde_json::json!(settings.ask_before_voice_changes));
    store.set(LANGUAGE_KEY, serde_json::json!(settings.meeting_language));
    store.set(ICE_SERVERS_KEY, serde_json::json!(settings.ice_servers));
    store.set(PUBLIC_IP_KEY, serde_json::json!(settings.public_ip));
    store.set(UDP_PORTS_KEY, serde_json::json!(settings.udp_ports));
    store.set(YOUR_NAME_KEY, serde_json::json!(settings.your_name));
    store.save().map_err(|err| CommandError::failed(format!("Settings could not be saved: {err}")))?;
    state.microphone.send_if_modified(|chosen| replace_if_new(chosen, &settings.microphone));
    state.echo_cancellation.send_if_modified(|on| replace_if_new(on, &!settings.headset));
    state.system_audio.send_if_modified(|on| replace_if_new(on, &settings.system_audio));
    state.ask_to_join.send_if_modified(|ask| replace_if_new(ask, &settings.room_ask_to_join));
    let preferences = state.voice_preferences(&settings);
    state.voice_preferences.send_if_modified(|now| replace_if_new(now, &preferences));
    state.published.send_if_modified(|current| replace_if_new(current, &settings));
    Ok(())
}

/// Only a real change wakes the subscribers.
fn replace_if_new<T: PartialEq + Clone>(current: &mut T, new: &T) -> bool {
    let changed = current != new;
    if changed {
        *current = new.clone();
    }
    changed
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
        let in_clear = with(None, Some("http://api.example.com/v1")).validated().unwrap_err();
        assert!(in_clear.message.contains("would send the API key unencrypted"), "{}", in_clear.message);
        assert!(with(None, Some("https://api.example.com/v1")).validated().is_ok());
        assert!(with(None, Some("http://localhost:9000/v1")).validated().is_ok());
        assert!(with(Some("two words"), None).validated().is_err());
    }

    #[test]
    fn the_meeting_language_is_a_known_code() {
        let speaking = |code: &str| Settings { meeting_language: Some(code.into()), ..Settings::default() };
        assert_eq!(speaking(" DE ").validated().unwrap().meeting_language.as_deref(), Some("de"));
        assert_eq!(speaking("").validated().unwrap().meeting_language, None, "blank follows the computer");
        let wrong = speaking("klingon").validated().unwrap_err();
        assert!(wrong.message.starts_with("\"klingon\" is not a meeting language"), "{}", wrong.message);
    }

    #[test]
    fn prices_must_be_dollars_per_million_tokens() {
        let priced = |audio_in: f64| Settings {
            prices: Some(Prices { audio_in, ..realtime::cost::list_prices("gpt-realtime-2").unwrap() }),
            ..Settings::default()
        };
        assert!(priced(28.5).validated().is_ok());
        for wrong in [-1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert!(priced(wrong).validated().is_err(), "{wrong}");
        }
    }

    #[test]
    fn network_fields_are_checked() {
        let network = |servers: &[&str], ip: Option<&str>, ports: Option<&str>| Settings {
            ice_servers: servers.iter().map(|s| s.to_string()).collect(),
            public_ip: ip.map(Into::into),
            udp_ports: ports.map(Into::into),
            ..Settings::default()
        };
        let ok = network(
            &[" stun:s.example ", "", "turn:t.example?transport=tcp"],
            Some(" 203.0.113.7 "),
            Some("40000-40100"),
        );
        let ok = ok.validated().unwrap();
        assert_eq!(ok.ice_servers, vec!["stun:s.example", "turn:t.example?transport=tcp"]);
        let ice = ok.ice_config(Some("north".into())).unwrap();
        assert_eq!((ice.servers.len(), ice.udp_ports), (2, Some((40000, 40100))));
        assert!(network(&["http://x"], None, None).validated().unwrap_err().message.contains("not a STUN"));
        assert!(network(&[], Some("here"), None).validated().unwrap_err().message.contains("IP address"));
        assert!(network(&[], None, Some("5")).validated().unwrap_err().message.contains("port range"));
        let turn_only = network(&["turn:t.example"], None, None).validated().unwrap();
        assert!(turn_only.ice_config(None).is_ok(), "checked for a secret only when the room starts");
    }
}
