//! The desktop app: a thin Tauri shell around the runtime (board, audio, voice operator,
//! room), which it shares with `boardroom-host`. Data flows one way: `settings` (the user's
//! preferences) and `voice_settings` (key, model, endpoint; the key kept by `api_key`) publish
//! what the runtime follows; `events` holds every event the window gets and forwards what
//! the runtime shows (its own board, people and voice operator, or the room's it is a guest
//! in), and `commands` reads and edits that; `audio`, `hosting` and `guesting` carry the
//! person's commands for the microphone, the room this machine hosts and the room it joins,
//! and forward what only they know; `startup` wires them in that order.
//! `board_files` exports the board and imports one through the system's file dialogs.
//! `invites` brings links that open the app to its one window; `webview` says how the
//! page is painted; `notifications` tells of what must not be missed while the window is in
//! the background; `logging` keeps the log file. The typed IPC surface is exported to TypeScript by `bindings`, with
//! failures as `error`'s kinds.

mod api_key;
mod audio;
mod bindings;
mod board_files;
mod commands;
mod error;
mod events;
mod guesting;
mod hosting;
mod invites;
mod logging;
mod notes;
mod notifications;
mod settings;
mod startup;
mod voice_settings;
pub mod webview;

use std::path::PathBuf;
use std::time::Instant;

use tauri::Manager;

/// Starts the app and blocks until its last window closes. `data_dir` overrides where the
/// board and settings are kept.
pub fn run(data_dir: Option<PathBuf>) {
    let launched = Instant::now();
    let ipc = bindings::builder!(tauri::Wry);
    let context = tauri::generate_context!();
    let chosen_dir = data_dir.clone().or_else(startup::data_dir_from_environment);
    tauri::Builder::default()
        // First, so that a second launch hands over its link before anything else starts.
        .plugin(invites::single_instance(&context.config().identifier, chosen_dir.as_deref()))
        .plugin(logging::plugin(chosen_dir.as_deref()))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(board_files::ChosenImport::default())
        .plugin(startup::window_state(chosen_dir.as_deref()))
        .invoke_handler(ipc.invoke_handler())
        .setup(move |app| {
            ipc.mount_events(app);
            invites::install(app.handle());
            startup::save_window_state_as_it_changes(app.handle());
            let (data_dir, config_dir) = startup::dirs(app.handle(), data_dir.clone())?;
            let environment = voice_settings::VoiceEnvironment::of_this_process();
            startup::install(app.handle(), &data_dir, &config_dir, environment, launched)
        })
        .build(context)
        .unwrap_or_else(|err| {
            log::error!("Boardroom could not start: {err}");
            std::process::exit(1);
        })
        .run(|app, event| {
            // Quitting while in the room hangs up the voice operator's call properly.
            if let tauri::RunEvent::Exit = event {
                if let Some(runtime) = app.try_state::<runtime::Runtime>() {
                    tauri::async_runtime::block_on(runtime.shutdown());
                }
            }
        });
}
