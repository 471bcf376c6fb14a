//! The voice operator in the window: its status and the transcript, as published by the
//! runtime's voice, go to the window as typed events. It runs while the person is in the
//! room, with what `voice_settings` chooses; the key never reaches the window.

use meeting::{OperatorStatus, TranscriptLine};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Runtime, State};
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::{events, guesting};

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

/// Sends the operator's status and what it hears to the window while it shows this
/// machine's own board (a guest sees the room's operator instead).
pub fn forward<R: Runtime>(app: &AppHandle<R>, voice: &runtime::Voice, away: watch::Receiver<bool>) {
    let elsewhere = away.clone();
    events::forward_changes(app.clone(), voice.status(), move |status| {
        (!*elsewhere.borrow()).then(|| VoiceStatusChanged { status: status.clone() })
    });
    let mut heard = voice.transcript();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match heard.recv().await {
                Ok(line) => {
                    log::info!("heard: {}", line.text);
                    if !*away.borrow() {
                        events::emit(&app, TranscriptAdded { line });
                    }
                }
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} transcript lines"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[tauri::command]
#[specta::specta]
pub fn get_voice_status(state: State<'_, runtime::Runtime>) -> OperatorStatus {
    guesting::voice_status(&state)
}
