//! The voice operator in the app: started when the person joins the room (if a key is
//! configured), stopped when they leave, restarted when the key or endpoint changes. Its
//! state and the transcript go to the window as typed events; the key is never sent there.

use std::path::Path;
use std::sync::{Arc, Mutex};

use meeting::{OperatorStatus, TranscriptLine};
use realtime::api::{env_value, BASE_URL_VAR, DEFAULT_BASE_URL, KEY_VAR, MODEL_VAR};
use realtime::{session, Endpoint, Operator, OperatorConfig, OperatorEvent};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_specta::Event;

use crate::api_key::{ApiKeyStore, KeyError, KeyStatus};
use crate::audio::AudioState;
use crate::commands::CommandError;
use crate::startup::AppState;
use crate::{hosting, settings};

/// How far the operator may fall behind the mix before frames are dropped for it.
const MIX_QUEUE_FRAMES: usize = 50;
const MIX_CONSUMER: &str = "realtime";

/// The voice operator's state changed.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct VoiceStatusChanged {
    pub status: OperatorStatus,
}

/// Something said in the room was transcribed.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct TranscriptAdded {
    pub line: TranscriptLine,
}

/// The voice settings as the window may see them.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct VoiceSettings {
    pub key: KeyStatus,
    pub model: String,
    /// The model is set by `OPENAI_REALTIME_MODEL`, which wins over Settings.
    pub model_from_env: bool,
    pub base_url: String,
    /// The endpoint is set by `OPENAI_BASE_URL`, which wins over Settings.
    pub base_url_from_env: bool,
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
}

pub struct VoiceState {
    keys: Arc<ApiKeyStore>,
    environment: VoiceEnvironment,
    running: tokio::sync::Mutex<Running>,
    status: Arc<Mutex<OperatorStatus>>,
}

#[derive(Default)]
struct Running {
    joined: bool,
    operator: Option<Operator>,
}

pub fn install<R: Runtime>(app: &AppHandle<R>, config_dir: &Path, environment: VoiceEnvironment) {
    app.manage(VoiceState {
        keys: Arc::new(ApiKeyStore::open(config_dir, environment.key.clone())),
        environment,
        running: tokio::sync::Mutex::default(),
        status: Arc::new(Mutex::new(OperatorStatus::Off)),
    });
}

/// A voice setting as it will be used: the environment variable wins, then Settings, then
/// the default. Also says whether the environment set it.
fn chosen(from_env: &Option<String>, setting: &Option<String>, default: &str) -> (String, bool) {
    match from_env {
        Some(value) => (value.clone(), true),
        None => (setting.clone().unwrap_or_else(|| default.to_owned()), false),
    }
}

fn report<R: Runtime>(app: &AppHandle<R>, status: &Mutex<OperatorStatus>, new: OperatorStatus) {
    log::info!("voice operator: {new:?}");
    *status.lock().unwrap_or_else(|e| e.into_inner()) = new.clone();
    if let Some(hub) = hosting::hub(app) {
        hub.voice(new.clone());
    }
    if let Err(err) = (VoiceStatusChanged { status: new }).emit(app) {
        log::debug!("could not send the voice status to the window: {err}");
    }
}

async fn load_key(keys: &Arc<ApiKeyStore>) -> Option<String> {
    let keys = Arc::clone(keys);
    tauri::async_runtime::spawn_blocking(move || keys.load()).await.ok().flatten().map(|(key, _)| key)
}

/// Joins: the operator starts if it can.
pub async fn join<R: Runtime>(app: &AppHandle<R>) {
    let voice = app.state::<VoiceState>();
    let mut running = voice.running.lock().await;
    running.joined = true;
    restart(app, &voice, &mut running).await;
}

/// Leaves: the call is hung up.
pub async fn leave<R: Runtime>(app: &AppHandle<R>) {
    let voice = app.state::<VoiceState>();
    let mut running = voice.running.lock().await;
    running.joined = false;
    if let Some(operator) = running.operator.take() {
        operator.stop().await;
    }
    report(app, &voice.status, OperatorStatus::Off);
}

/// (Re)starts the operator with the current key and settings, if the person is in the room.
async fn restart<R: Runtime>(app: &AppHandle<R>, voice: &VoiceState, running: &mut Running) {
    if let Some(operator) = running.operator.take() {
        operator.stop().await;
    }
    if !running.joined {
        return;
    }
    let Some(api_key) = load_key(&voice.keys).await else {
        let reason = "No OpenAI API key. Add one in Settings (or set OPENAI_API_KEY) so the voice operator can listen.";
        report(app, &voice.status, OperatorStatus::Stopped { reason: reason.into() });
        return;
    };
    let settings = settings::get_settings(app.clone()).unwrap_or_default();
    let (model, _) = chosen(&voice.environment.model, &settings.model, session::DEFAULT_MODEL);
    let (base_url, _) = chosen(&voice.environment.base_url, &settings.base_url, DEFAULT_BASE_URL);
    let Some(mix) = app.state::<AudioState>().attach(MIX_CONSUMER, MIX_QUEUE_FRAMES) else {
        report(app, &voice.status, OperatorStatus::Stopped { reason: "The audio thread has stopped.".into() });
        return;
    };
    let board = app.state::<AppState>().board.clone();
    let (handle, status) = (app.clone(), Arc::clone(&voice.status));
    let notify = Arc::new(move |event| match event {
        OperatorEvent::Status(new) => report(&handle, &status, new),
        OperatorEvent::Transcript(line) => {
            log::info!("heard: {}", line.text);
            if let Some(hub) = hosting::hub(&handle) {
                hub.transcript(line.clone());
            }
            if let Err(err) = (TranscriptAdded { line }).emit(&handle) {
                log::debug!("could not send the transcript to the window: {err}");
            }
        }
    });
    let config = OperatorConfig::new(Endpoint { base_url, api_key }, model);
    running.operator = Some(Operator::start(config, board, mix, notify));
}

#[tauri::command]
#[specta::specta]
pub fn get_voice_status(state: State<'_, VoiceState>) -> OperatorStatus {
    state.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The operator's status now (for a room that just opened).
pub fn current_status<R: Runtime>(app: &AppHandle<R>) -> OperatorStatus {
    get_voice_status(app.state::<VoiceState>())
}

#[tauri::command]
#[specta::specta]
pub async fn get_voice_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, VoiceState>,
) -> Result<VoiceSettings, CommandError> {
    let settings = settings::get_settings(app)?;
    let (model, model_from_env) = chosen(&state.environment.model, &settings.model, session::DEFAULT_MODEL);
    let (base_url, base_url_from_env) = chosen(&state.environment.base_url, &settings.base_url, DEFAULT_BASE_URL);
    let keys = Arc::clone(&state.keys);
    let key = tauri::async_runtime::spawn_blocking(move || keys.status())
        .await
        .map_err(|err| CommandError::failed(format!("The API key could not be checked: {err}")))?;
    Ok(VoiceSettings { key, model, model_from_env, base_url, base_url_from_env })
}

/// Stores a key entered in Settings and, when in the room, reconnects with it.
#[tauri::command]
#[specta::specta]
pub async fn set_api_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, VoiceState>,
    key: String,
) -> Result<KeyStatus, CommandError> {
    change_key(&app, &state, "saved", move |keys| keys.save(&key)).await
}

#[tauri::command]
#[specta::specta]
pub async fn forget_api_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, VoiceState>,
) -> Result<KeyStatus, CommandError> {
    change_key(&app, &state, "removed", ApiKeyStore::forget).await
}

/// Changes the stored key off the async runtime (the keychain may wait on D-Bus), then
/// restarts the operator with whatever key is now in force.
async fn change_key<R: Runtime>(
    app: &AppHandle<R>,
    state: &VoiceState,
    done: &str,
    change: impl FnOnce(&ApiKeyStore) -> Result<(), KeyError> + Send + 'static,
) -> Result<KeyStatus, CommandError> {
    let keys = Arc::clone(&state.keys);
    let status = tauri::async_runtime::spawn_blocking(move || change(&keys).map(|()| keys.status()))
        .await
        .map_err(|err| CommandError::failed(format!("The API key could not be {done}: {err}")))?
        .map_err(|err| CommandError::invalid(format!("The API key was not {done}: {err}.")))?;
    let mut running = state.running.lock().await;
    restart(app, state, &mut running).await;
    Ok(status)
}

/// Applies changed model or endpoint settings to a running operator.
pub async fn settings_changed<R: Runtime>(app: &AppHandle<R>) {
    let voice = app.state::<VoiceState>();
    let mut running = voice.running.lock().await;
    if running.operator.is_some() {
        restart(app, &voice, &mut running).await;
    }
}
