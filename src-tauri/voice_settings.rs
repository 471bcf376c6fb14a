//! What the voice operator will use: the API key (kept by `api_key`, never sent to the
//! window), the model and the endpoint, each from the environment, else Settings, else the
//! default. Follows the settings and the stored key, and publishes the choice for the voice.

use std::path::Path;
use std::sync::Arc;

use realtime::api::{env_value, BASE_URL_VAR, DEFAULT_BASE_URL, KEY_VAR, MODEL_VAR};
use realtime::cost::{self, Prices};
use realtime::{session, Endpoint, Language};
use runtime::VoiceChoice;
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tokio::sync::watch;

use crate::api_key::{ApiKeyStore, KeyError, KeyStatus};
use crate::error::CommandError;
use crate::settings::{Settings, SettingsState};

const NO_KEY: &str = "No OpenAI API key. Add one in Settings (or set OPENAI_API_KEY) so the voice operator can listen.";

/// The voice settings as the window may see them.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct VoiceSettings {
    pub key: KeyStatus,
    pub model: String,
    /// The Realtime models that exist today, to pick from (any other name may be typed).
    pub models: Vec<String>,
    /// The model's list prices, if it is one we know, and when they were read.
    pub list_prices: Option<Prices>,
    pub prices_as_of: String,
    /// The model is set by `OPENAI_REALTIME_MODEL`, which wins over Settings.
    pub model_from_env: bool,
    pub base_url: String,
    /// The endpoint is set by `OPENAI_BASE_URL`, which wins over Settings.
    pub base_url_from_env: bool,
    /// The languages a meeting can be held in, each by its own name.
    pub languages: Vec<MeetingLanguage>,
    /// This computer's language: the meeting's unless another is picked.
    pub system_language: MeetingLanguage,
}

/// A meeting language as a person picks it: its code and its name in itself ("Deutsch").
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MeetingLanguage {
    pub code: String,
    pub name: String,
}

impl From<Language> for MeetingLanguage {
    fn from(language: Language) -> Self {
        MeetingLanguage { code: language.code.to_owned(), name: language.own.to_owned() }
    }
}

/// The voice settings the process environment overrides (`OPENAI_API_KEY`,
/// `OPENAI_REALTIME_MODEL`, `OPENAI_BASE_URL`), read once at start and handed in, so
/// tests decide what the environment says instead of inheriting the developer's.
#[derive(Debug, Clone, Default)]
pub struct VoiceEnvironment {
    pub key: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
}

impl VoiceEnvironment {
    pub fn of_this_process() -> Self {
        VoiceEnvironment { key: env_value(KEY_VAR), model: env_value(MODEL_VAR), base_url: env_value(BASE_URL_VAR) }
    }

    /// The model and endpoint in force with these settings, and whether the environment set each.
    fn model_and_endpoint(&self, settings: &Settings) -> ((String, bool), (String, bool)) {
        (
            chosen(&self.model, &settings.model, session::DEFAULT_MODEL),
            chosen(&self.base_url, &settings.base_url, DEFAULT_BASE_URL),
        )
    }
}

/// A voice setting as it will be used: the environment variable wins, then Settings, then
/// the default. Also says whether the environment set it.
fn chosen(from_env: &Option<String>, setting: &Option<String>, default: &str) -> (String, bool) {
    match from_env {
        Some(value) => (value.clone(), true),
        None => (setting.clone().unwrap_or_else(|| default.to_owned()), false),
    }
}

#[derive(Clone)]
pub struct VoiceSettingsState {
    inner: Arc<Inner>,
}

struct Inner {
    keys: ApiKeyStore,
    environment: VoiceEnvironment,
    settings: watch::Receiver<Settings>,
    choice: watch::Sender<VoiceChoice>,
    /// One refresh at a time, so the last one published reads the latest key and settings.
    refreshing: tokio::sync::Mutex<()>,
}

/// Opens the key store (which may ask the OS keychain over D-Bus) and starts publishing
/// the choice, following `settings`.
pub fn install<R: Runtime>(
    app: &AppHandle<R>,
    config_dir: &Path,
    environment: VoiceEnvironment,
    settings: watch::Receiver<Settings>,
) -> watch::Receiver<VoiceChoice> {
    let keys = ApiKeyStore::open(config_dir, environment.key.clone());
    let first = choose(&environment, &settings.borrow(), keys.load().map(|(key, _)| key));
    let inner = Arc::new(Inner {
        keys,
        environment,
        settings: settings.clone(),
        choice: watch::Sender::new(first),
        refreshing: tokio::sync::Mutex::default(),
    });
    let choice = inner.choice.subscribe();
    let state = VoiceSettingsState { inner };
    let follower = state.clone();
    let mut settings = settings;
    tauri::async_runtime::spawn(async move {
        while settings.changed().await.is_ok() {
            follower.refresh().await;
        }
    });
    app.manage(state);
    choice
}

fn choose(environment: &VoiceEnvironment, settings: &Settings, key: Option<String>) -> VoiceChoice {
    let ((model, _), (base_url, _)) = environment.model_and_endpoint(settings);
    // Settings refuse such an address; OPENAI_BASE_URL is checked here.
    if let Err(err) = realtime::api::check_base_url(&base_url) {
        return VoiceChoice::Unavailable { reason: format!("The API address {err}.") };
    }
    match key {
        Some(api_key) => {
            let prices = settings.prices.or_else(|| cost::list_prices(&model));
            VoiceChoice::Ready { endpoint: Endpoint { base_url, api_key }, model, prices }
        }
        None => VoiceChoice::Unavailable { reason: NO_KEY.into() },
    }
}

impl VoiceSettingsState {
    /// Reads the key (off the async runtime: the keychain may wait on D-Bus) and publishes
    /// the choice if it changed.
    async fn refresh(&self) {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let inner = Arc::clone(&self.inner);
        let key = tauri::async_runtime::spawn_blocking(move || inner.keys.load()).await.ok().flatten();
        let choice = choose(&self.inner.environment, &self.inner.settings.borrow(), key.map(|(key, _)| key));
        self.inner.choice.send_if_modified(|current| {
            let changed = *current != choice;
            *current = choice;
            changed
        });
    }

    /// Changes the stored key off the async runtime, then publishes the choice with whatever
    /// key is now in force.
    async fn change_key(
        &self,
        done: &str,
        change: impl FnOnce(&ApiKeyStore) -> Result<(), KeyError> + Send + 'static,
    ) -> Result<KeyStatus, CommandError> {
        let inner = Arc::clone(&self.inner);
        let status = tauri::async_runtime::spawn_blocking(move || change(&inner.keys).map(|()| inner.keys.status()))
            .await
            .map_err(|err| CommandError::failed(format!("The API key could not be {done}: {err}")))?
            .map_err(|err| CommandError::invalid(format!("The API key was not {done}: {err}.")))?;
        self.refresh().await;
        Ok(status)
    }
}

#[tauri::command]
#[specta::specta]
pub async fn get_voice_settings(
    state: State<'_, VoiceSettingsState>,
    settings: State<'_, SettingsState>,
) -> Result<VoiceSettings, CommandError> {
    let ((model, model_from_env), (base_url, base_url_from_env)) =
        state.inner.environment.model_and_endpoint(&settings.current());
    let inner = Arc::clone(&state.inner);
    let key = tauri::async_runtime::spawn_blocking(move || inner.keys.status())
        .await
        .map_err(|err| CommandError::failed(format!("The API key could not be checked: {err}")))?;
    Ok(VoiceSettings {
        key,
        models: cost::MODELS.iter().map(|(name, _)| (*name).to_owned()).collect(),
        list_prices: cost::list_prices(&model),
        prices_as_of: cost::PRICES_AS_OF.to_owned(),
        model,
        model_from_env,
        base_url,
        base_url_from_env,
        languages: realtime::language::LANGUAGES.into_iter().map(MeetingLanguage::from).collect(),
        system_language: settings.system_language().into(),
    })
}

/// Stores a key entered in Settings; when in the room, the operator reconnects with it.
#[tauri::command]
#[specta::specta]
pub async fn set_api_key(state: State<'_, VoiceSettingsState>, key: String) -> Result<KeyStatus, CommandError> {
    state.change_key("saved", move |keys| keys.save(&key)).await
}

#[tauri::command]
#[specta::specta]
pub async fn forget_api_key(state: State<'_, VoiceSettingsState>) -> Result<KeyStatus, CommandError> {
    state.change_key("removed", ApiKeyStore::forget).await
}
