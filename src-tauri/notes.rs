//! Meeting notes in the window: the notes the runtime writes when a meeting ends are shown
//! as they come (an event), the last meetings' notes are listed and read, and their folder
//! opens in the system's file manager.

use tauri::{AppHandle, Runtime, State};

use crate::error::{sentence, CommandError};
use crate::events::{self, NotesWritten};
use runtime::notes_folder::{self, NotesError, NotesFile};

/// Tells the window of each meeting's notes as they are written.
pub fn forward<R: Runtime>(app: &AppHandle<R>, notes: &runtime::NotesKeeper) {
    events::forward_changes(app.clone(), notes.written(), |written| {
        written.as_ref().map(|notes| NotesWritten { name: notes.name.clone() })
    });
}

/// The last meetings' notes, newest first.
#[tauri::command]
#[specta::specta]
pub fn list_notes(state: State<'_, runtime::Runtime>) -> Result<Vec<NotesFile>, CommandError> {
    notes_folder::list(state.notes.folder()).map_err(error)
}

/// The text of one meeting's notes (Markdown).
#[tauri::command]
#[specta::specta]
pub fn read_notes(state: State<'_, runtime::Runtime>, name: String) -> Result<String, CommandError> {
    notes_folder::read(state.notes.folder(), &name).map_err(error)
}

/// Opens the notes folder in the system's file manager.
#[tauri::command]
#[specta::specta]
pub fn open_notes_folder(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    let folder = state.notes.folder();
    private_files::dir(folder).map_err(|err| error(NotesError::Folder { folder: folder.to_owned(), source: err }))?;
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    // The file manager runs on its own; it is reaped so it leaves no zombie behind.
    let mut child = std::process::Command::new(opener).arg(folder).spawn().map_err(|err| {
        CommandError::failed(format!(
            "The notes folder {} could not be opened ({err}); open it yourself.",
            folder.display()
        ))
    })?;
    std::thread::spawn(move || child.wait());
    Ok(())
}

fn error(err: NotesError) -> CommandError {
    let message = format!("{}.", sentence(err.to_string()));
    match err {
        NotesError::Unknown(_) => CommandError::not_found(message),
        NotesError::TooLarge(_) => CommandError::invalid(message),
        NotesError::Folder { .. } => CommandError::failed(message),
    }
}
