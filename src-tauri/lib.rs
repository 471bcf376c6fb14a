//! The desktop app: a thin Tauri shell around the board actor and the audio thread.
//! `startup` wires the board, `audio` the room's sound, `voice` the voice operator (with its
//! key in `api_key`), `commands` and `events` are the typed IPC surface (exported to
//! TypeScript by `bindings`), and `settings` keeps the user's preferences, and `hosting` runs the meeting room.

mod api_key;
mod audio;
mod bindings;
mod commands;
mod events;
mod hosting;
mod settings;
mod startup;
mod voice;

use std::path::PathBuf;
use std::time::Instant;

use tauri::Manager;

/// Starts the app and blocks until its last window closes. `data_dir` overrides where the
/// board and settings are kept.
pub fn run(data_dir: Option<PathBuf>) {
    let launched = Instant::now();
    let ipc = bindings::builder!(tauri::Wry);
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .invoke_handler(ipc.invoke_handler())
        .setup(move |app| {
            ipc.mount_events(app);
            let (data_dir, config_dir) = startup::dirs(app.handle(), data_dir.clone())?;
            startup::install(app.handle(), data_dir, launched);
            audio::install(app.handle())?;
            voice::install(app.handle(), &config_dir, voice::VoiceEnvironment::of_this_process());
            hosting::install(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|err| {
            log::error!("Boardroom could not start: {err}");
            std::process::exit(1);
        })
        .run(|app, event| {
            // Quitting while in the room hangs up the voice operator's call properly.
            if let tauri::RunEvent::Exit = event {
                tauri::async_runtime::block_on(async {
                    hosting::end(app, &app.state::<hosting::RoomState>()).await;
                    voice::leave(app).await;
                });
            }
        });
}
