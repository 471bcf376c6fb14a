//! Wiring at launch: where data lives, loading the saved board, starting its actor and
//! telling the window what happened to a bad board file.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use board::{actor::now_ms, BoardActor, BoardFile, BoardHandle, LoadOutcome};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, Runtime};

use crate::events;

/// Overrides the data directory (tests and people who keep several rooms use it).
const DATA_DIR_VAR: &str = "BOARDROOM_DATA_DIR";

/// Something the user must know about the start, shown until dismissed.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupNotice {
    pub message: String,
    /// Where the unusable board file was moved, when it could be.
    pub moved_to: Option<String>,
}

/// What the commands share. Each piece has one owner: the board lives in its actor.
pub struct AppState {
    pub board: BoardHandle,
    pub notice: Mutex<Option<StartupNotice>>,
    pub launched: Instant,
    pub data_dir: PathBuf,
}

/// Where the board (data) and the stored API key (config) live. A folder given with
/// `--data-dir` or `BOARDROOM_DATA_DIR` holds both; otherwise the OS's app folders are used.
pub fn dirs<R: Runtime>(app: &AppHandle<R>, chosen: Option<PathBuf>) -> tauri::Result<(PathBuf, PathBuf)> {
    match chosen.or_else(|| std::env::var_os(DATA_DIR_VAR).map(PathBuf::from)) {
        Some(dir) => Ok((dir.clone(), dir)),
        None => Ok((app.path().app_data_dir()?, app.path().app_config_dir()?)),
    }
}

/// Loads the board from `data_dir`, starts its actor and registers the shared state.
pub fn install<R: Runtime>(app: &AppHandle<R>, data_dir: PathBuf, launched: Instant) {
    let file = BoardFile::in_dir(&data_dir);
    let outcome = file.load(now_ms());
    let notice = notice_for(&outcome, &file);
    match (&notice, &outcome) {
        (Some(notice), _) => log::warn!("{}", notice.message),
        (None, LoadOutcome::New(_)) => log::info!("new board; it will be saved in {}", file.path().display()),
        (None, _) => log::info!("board loaded from {}", file.path().display()),
    }
    let may_save = outcome.may_save();
    let (actor, board) = BoardActor::new(outcome.into_board(), may_save.then_some(file));
    tauri::async_runtime::spawn(actor.run());
    events::forward_board_changes(app.clone(), &board);
    app.manage(AppState { board, notice: Mutex::new(notice), launched, data_dir });
}

fn notice_for(outcome: &LoadOutcome, file: &BoardFile) -> Option<StartupNotice> {
    let message = outcome.problem(file)?;
    Some(StartupNotice { message, moved_to: outcome.moved_to().map(|path| path.display().to_string()) })
}
