//! Invite links that open the app. A `boardroom://join?url=…` link clicked anywhere (the
//! participant page's "Open in the Boardroom app", a chat message) starts the app with the
//! link, or — there is one app per data folder — hands it to the one already running, whose
//! window comes to the front and offers to join.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Mutex;

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::events::{self, InviteOpened};

/// The link the app was started with, until the window takes it.
#[derive(Default)]
pub struct OpenedInvite(Mutex<Option<String>>);

/// One running app per data folder: a second launch on the same folder hands its link to
/// the first and exits. Another folder (`--data-dir`) is another app, with its own board.
pub fn single_instance<R: Runtime>(identifier: &str, data_dir: Option<&Path>) -> TauriPlugin<R> {
    let mut id = identifier.to_owned();
    if let Some(dir) = data_dir {
        let mut hasher = DefaultHasher::new();
        dir.hash(&mut hasher);
        id.push_str(&format!(".d{:016x}", hasher.finish()));
    }
    tauri_plugin_single_instance::Builder::new()
        // The deep-link plugin takes the link from the arguments; this brings the window up.
        .callback(|app, _arguments, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        })
        .dbus_id(id)
        .build()
}

/// Keeps the link the app was started with and sends the window each later one.
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    let started_with = app.deep_link().get_current().ok().flatten().and_then(|urls| urls.into_iter().next());
    app.manage(OpenedInvite(Mutex::new(started_with.map(String::from))));
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            log::info!("an invite link reached the app");
            events::emit(&handle, InviteOpened { link: url.into() });
        }
    });
}

/// The link the app was started with, once: the window offers to join with it.
#[tauri::command]
#[specta::specta]
pub fn take_opened_invite(state: State<'_, OpenedInvite>) -> Option<String> {
    state.0.lock().unwrap_or_else(|e| e.into_inner()).take()
}
