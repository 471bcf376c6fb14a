//! Typed events sent to the window.

use std::sync::Arc;

use board::{BoardHandle, Change};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

/// One change to the board, from anyone. The UI applies it when its revision follows the
/// one it has, and fetches the board afresh otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct BoardChanged {
    pub change: Change,
}

/// Forwards every board change to the window until the board shuts down.
pub fn forward_board_changes<R: Runtime>(app: AppHandle<R>, board: &BoardHandle) {
    let mut changes = board.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => {
                    let change = Arc::unwrap_or_clone(change);
                    if let Err(err) = (BoardChanged { change }).emit(&app) {
                        log::warn!("could not send a board change to the window: {err}");
                    }
                }
                // The window sees the revision gap on the next change and re-syncs.
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} board changes"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}
