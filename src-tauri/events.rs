//! Typed events sent to the window, and the forwarding of what the runtime publishes.

use std::sync::Arc;

use board::{BoardHandle, Change};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

/// One change to the board, from anyone. The UI applies it when its revision follows the
/// one it has, and fetches the board afresh otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct BoardChanged {
    pub change: Change,
}

/// Forwards every change of this machine's board to the window, while it shows it, until
/// the board shuts down.
pub fn forward_board_changes<R: Runtime>(app: AppHandle<R>, board: &BoardHandle, away: watch::Receiver<bool>) {
    let mut changes = board.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) if !*away.borrow() => emit(&app, BoardChanged { change: Arc::unwrap_or_clone(change) }),
                // The window takes this board afresh when it comes home.
                Ok(_) => {}
                // The window sees the revision gap on the next change and re-syncs.
                Err(RecvError::Lagged(missed)) => log::warn!("the window missed {missed} board changes"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Sends each new value of `values` to the window as the event `to_event` makes of it (none
/// for `None`), until its publisher is gone. Only the latest value matters to the window.
pub fn forward_changes<R: Runtime, T, E>(
    app: AppHandle<R>,
    mut values: watch::Receiver<T>,
    to_event: impl Fn(&T) -> Option<E> + Send + 'static,
) where
    T: Send + Sync + 'static,
    E: Event + Serialize + Clone,
{
    tauri::async_runtime::spawn(async move {
        while values.changed().await.is_ok() {
            // The value is read and let go of before the (slower) send to the window.
            let event = to_event(&values.borrow_and_update());
            if let Some(event) = event {
                emit(&app, event);
            }
        }
    });
}

/// Sends one event; a window that is gone or not yet there misses it (it asks on load).
pub fn emit<R: Runtime, E: Event + Serialize + Clone>(app: &AppHandle<R>, event: E) {
    if let Err(err) = event.emit(app) {
        log::debug!("could not send {} to the window: {err}", E::NAME);
    }
}
