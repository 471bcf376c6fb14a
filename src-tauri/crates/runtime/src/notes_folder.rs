//! The notes folder: one Markdown file per meeting, private, named by when the meeting
//! began. A file is written whole beside its name and linked into place (a link never
//! replaces a file), so a crash leaves no file or a whole one and an earlier meeting's notes
//! are never overwritten; what a crash left half-written is cleared at the next start.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use specta::Type;

/// The notes folder's name in the data folder.
pub const FOLDER: &str = "notes";
const EXTENSION: &str = ".md";
const TEMP_SUFFIX: &str = ".writing";
/// Meetings that began in the same minute get " (2)", " (3)"… up to this.
const MAX_SAME_MINUTE: u32 = 100;
/// The newest notes listed; older ones stay in the folder.
pub const MAX_LISTED: usize = 200;
/// The largest notes file read back (notes are written far smaller).
const MAX_READ_BYTES: u64 = 4 << 20;

#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    #[error("there are no meeting notes called \"{0}\"")]
    Unknown(String),
    #[error("\"{0}\" is larger than meeting notes ever are; open it from the notes folder")]
    TooLarge(String),
    #[error("the notes folder {}: {source}", folder.display())]
    Folder { folder: PathBuf, source: io::Error },
}

/// One meeting's notes as the folder lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NotesFile {
    /// The file's name, which also reads as when the meeting began.
    pub name: String,
    #[specta(type = u32)]
    pub bytes: u64,
}

/// Writes `text` as a new notes file named after `stem` ("2026-12-05 09.00 meeting"), never
/// over an existing one; returns its path.
pub fn write_new(folder: &Path, stem: &str, text: &str) -> io::Result<PathBuf> {
    private_files::dir(folder)?;
    let temp = folder.join(format!(".{stem}.{}{TEMP_SUFFIX}", std::process::id()));
    let mut file = private_files::options().write(true).create(true).truncate(true).open(&temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    let placed = (1..=MAX_SAME_MINUTE).find_map(|n| {
        let name = if n == 1 { format!("{stem}{EXTENSION}") } else { format!("{stem} ({n}){EXTENSION}") };
        let path = folder.join(name);
        match std::fs::hard_link(&temp, &path) {
            Ok(()) => Some(Ok(path)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => None,
            Err(err) => Some(Err(err)),
        }
    });
    let removed = std::fs::remove_file(&temp);
    let path =
        placed.unwrap_or_else(|| Err(io::Error::other(format!("{MAX_SAME_MINUTE} meetings began that minute"))))?;
    removed?;
    // The new name is only durable once the folder is.
    File::open(folder)?.sync_all()?;
    Ok(path)
}

/// Removes what a crash left half-written.
pub fn clear_unfinished(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(TEMP_SUFFIX) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => log::info!("removed notes a crash left half-written: {name}"),
                Err(err) => log::warn!("{name} could not be removed: {err}"),
            }
        }
    }
}

/// The newest notes first (at most [`MAX_LISTED`]); none if the folder is not there yet.
pub fn list(folder: &Path) -> Result<Vec<NotesFile>, NotesError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(NotesError::Folder { folder: folder.to_owned(), source }),
    };
    let mut listed: Vec<(std::time::SystemTime, NotesFile)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let metadata = entry.metadata().ok().filter(|m| m.is_file())?;
            let modified = metadata.modified().ok()?;
            is_notes_name(&name).then_some((modified, NotesFile { name, bytes: metadata.len() }))
        })
        .collect();
    listed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.name.cmp(&a.1.name)));
    Ok(listed.into_iter().take(MAX_LISTED).map(|(_, file)| file).collect())
}

/// The text of the notes called `name` in the folder.
pub fn read(folder: &Path, name: &str) -> Result<String, NotesError> {
    if !is_notes_name(name) {
        return Err(NotesError::Unknown(name.to_owned()));
    }
    let path = folder.join(name);
    let file = File::open(&path).map_err(|_| NotesError::Unknown(name.to_owned()))?;
    let mut text = String::new();
    file.take(MAX_READ_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|source| NotesError::Folder { folder: folder.to_owned(), source })?;
    if text.len() as u64 > MAX_READ_BYTES {
        return Err(NotesError::TooLarge(name.to_owned()));
    }
    Ok(text)
}

/// A notes file's name: a plain Markdown file in the folder itself, not a hidden one.
fn is_notes_name(name: &str) -> bool {
    name.ends_with(EXTENSION) && !name.starts_with('.') && !name.contains(['/', '\\']) && name.len() <= 255
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_never_overwritten_and_read_back_only_from_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        assert_eq!(list(&folder).unwrap(), []);
        let first = write_new(&folder, "2026-12-05 09.00 meeting", "first").unwrap();
        let second = write_new(&folder, "2026-12-05 09.00 meeting", "second").unwrap();
        assert_eq!(first.file_name().unwrap(), "2026-12-05 09.00 meeting.md");
        assert_eq!(second.file_name().unwrap(), "2026-12-05 09.00 meeting (2).md");
        assert_eq!(read(&folder, "2026-12-05 09.00 meeting.md").unwrap(), "first");
        assert_eq!(read(&folder, "2026-12-05 09.00 meeting (2).md").unwrap(), "second");
        let names: Vec<String> = list(&folder).unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names.len(), 2);
        for outside in ["../settings.json", "/etc/passwd.md", ".hidden.md", "none.md", "notes.txt"] {
            assert!(matches!(read(&folder, outside), Err(NotesError::Unknown(_))), "{outside}");
        }
        // What a crash left half-written is not listed, and goes at the next start.
        std::fs::write(folder.join(".2026-12-05 10.00 meeting.123.writing"), "half").unwrap();
        assert_eq!(list(&folder).unwrap().len(), 2);
        clear_unfinished(&folder);
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "notes are private");
        }
    }
}
