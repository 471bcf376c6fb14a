// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    boardroom_app::webview::paint_on_the_cpu();
    room::descriptors::raise_limit();
    let mut args = std::env::args().skip(1);
    let mut data_dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => data_dir = args.next().map(std::path::PathBuf::from),
            "--help" | "-h" => {
                println!("Usage: boardroom [--data-dir DIR] [boardroom://join?url=INVITE-LINK]\n\nDIR holds the board and settings (default: the app's data folder, or $BOARDROOM_DATA_DIR).\nAn invite link opens the window's \"Join a meeting\" with it (in the app already running on DIR, if there is one).");
                return;
            }
            // Taken by the deep-link plugin.
            link if link.starts_with("boardroom://") => {}
            // The log starts with the app, after this.
            other => eprintln!("ignoring unknown argument {other:?}"),
        }
    }
    boardroom_app::run(data_dir);
}
