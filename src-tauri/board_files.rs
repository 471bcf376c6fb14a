//! The board exported to a file and a file imported, from the window: the system's file
//! dialogs (Tauri's dialog plugin) open from here, so the page never names a path. The file
//! chosen for an import is read and checked at once and kept until the person confirms its
//! columns (or chooses another).

use std::path::PathBuf;
use std::sync::Mutex;

use board::export::ExportFormat;
use board::import::{ImportFormat, Incoming, List};
use board::{Change, Status};
use runtime::board_files::{self, TransferError};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tokio::sync::oneshot;

use crate::error::{sentence, CommandError};

/// The file chosen for an import, read and checked, until it is imported or another is chosen.
#[derive(Default)]
pub struct ChosenImport(Mutex<Option<(PathBuf, Incoming)>>);

/// What a chosen file holds, for the person to confirm.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub file: String,
    pub format: ImportFormat,
    /// The file's lists, each with the column its name says, if it does.
    pub lists: Vec<List>,
    pub cards: u32,
    /// Archived cards, which are not imported.
    pub left_out: u32,
}

/// Asks where to save the board (the one shown: this machine's or the room's it is a guest
/// in) in `format`, and writes it there; `None` when the person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_board<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, runtime::Runtime>,
    format: ExportFormat,
) -> Result<Option<String>, CommandError> {
    let (name, extension) = match format {
        ExportFormat::Markdown => ("Markdown (Obsidian Kanban)", "md"),
        ExportFormat::Json => ("Boardroom JSON", "json"),
        ExportFormat::Csv => ("CSV (spreadsheets)", "csv"),
    };
    let today = chrono::Local::now().format("%Y-%m-%d");
    let dialog = dialog(&app)
        .set_title("Export the board")
        .add_filter(name, &[extension])
        .set_file_name(format!("Boardroom board {today}.{extension}"));
    let (tx, rx) = oneshot::channel();
    dialog.save_file(move |path| drop(tx.send(path)));
    let Some(mut path) = chosen(rx.await.ok().flatten())? else { return Ok(None) };
    if board_files::format_of(&path).ok() != Some(format) {
        path.as_mut_os_string().push(format!(".{extension}"));
    }
    let board = state.shown.board().await?;
    // The save dialog asked before replacing a file.
    board_files::export(&board, &path, format, true).map_err(error)?;
    Ok(Some(board_files::file_name(&path)))
}

/// Asks which file to import, reads and checks it, and says what it holds; `None` when the
/// person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_import<R: Runtime>(
    app: AppHandle<R>,
    chosen_import: State<'_, ChosenImport>,
) -> Result<Option<ImportPreview>, CommandError> {
    let dialog = dialog(&app)
        .set_title("Import cards")
        .add_filter("Boards (Boardroom, Trello JSON, Jira CSV)", &["json", "csv"]);
    let (tx, rx) = oneshot::channel();
    dialog.pick_file(move |path| drop(tx.send(path)));
    let Some(path) = chosen(rx.await.ok().flatten())? else { return Ok(None) };
    let reading = path.clone();
    let incoming = tauri::async_runtime::spawn_blocking(move || board_files::read(&reading))
        .await
        .map_err(|err| CommandError::failed(format!("The file could not be read ({err}).")))?
        .map_err(error)?;
    let preview = ImportPreview {
        file: board_files::file_name(&path),
        format: incoming.format,
        lists: incoming.lists.clone(),
        cards: incoming.card_count() as u32,
        left_out: incoming.left_out,
    };
    *chosen_import.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((path, incoming));
    Ok(Some(preview))
}

/// Imports the chosen file as one change, each of its lists in `columns`: after the board's
/// cards, or in place of them (`replace`). `seen`: the revision the window last showed.
#[tauri::command]
#[specta::specta]
pub async fn import_board(
    state: State<'_, runtime::Runtime>,
    chosen_import: State<'_, ChosenImport>,
    columns: Vec<Status>,
    replace: bool,
    seen: u32,
) -> Result<Change, CommandError> {
    let edit = {
        let chosen = chosen_import.0.lock().unwrap_or_else(|e| e.into_inner());
        let (path, incoming) =
            chosen.as_ref().ok_or_else(|| CommandError::invalid("Choose the file to import first."))?;
        board_files::import_edit(path, incoming, Some(&columns), replace).map_err(error)?
    };
    let change = state.shown.edit(edit, u64::from(seen)).await?;
    chosen_import.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((*change).clone())
}

/// A file dialog over the main window.
fn dialog<R: Runtime>(app: &AppHandle<R>) -> FileDialogBuilder<R> {
    let dialog = app.dialog().file();
    match app.get_webview_window("main") {
        Some(window) => dialog.set_parent(&window),
        None => dialog,
    }
}

fn chosen(path: Option<FilePath>) -> Result<Option<PathBuf>, CommandError> {
    path.map(|path| path.into_path().map_err(|err| CommandError::invalid(format!("That file cannot be used ({err})."))))
        .transpose()
}

fn error(err: TransferError) -> CommandError {
    let message = sentence(err.to_string());
    match err {
        TransferError::Read { .. } | TransferError::Write { .. } => CommandError::failed(message),
        _ => CommandError::invalid(message),
    }
}
