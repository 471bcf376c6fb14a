//! The board taken out to a file and a file brought in, for the window and the host alike:
//! the file I/O around the pure `board::export` and `board::import`. An export is written
//! beside its target and renamed over it, so a half-written file never takes a name; an
//! import is read whole (up to [`MAX_IMPORT_BYTES`]) and checked before anything changes.

use std::io::{Read, Write};
use std::path::Path;

use board::export::ExportFormat;
use board::import::{ImportError, Incoming, MAX_IMPORT_BYTES};
use board::{Board, Edit, Status};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{file} could not be read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file} could not be written: {source}")]
    Write { file: String, source: std::io::Error },
    #[error("{file} is not a file Boardroom can write: name it .md (Markdown), .json or .csv")]
    UnknownFormat { file: String },
    #[error("{file} already exists; choose another name or remove it first")]
    Exists { file: String },
    #[error("{file}: {source}")]
    Format { file: String, source: ImportError },
}

/// The name a path is shown by: its file name.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// The format a file's name asks for by its extension.
pub fn format_of(path: &Path) -> Result<ExportFormat, TransferError> {
    let file = file_name(path);
    ExportFormat::for_file(&file).ok_or(TransferError::UnknownFormat { file })
}

/// Writes `board` to `path` in `format`; an existing file is replaced only with `overwrite`
/// (the window's save dialog has asked the person).
pub fn export(board: &Board, path: &Path, format: ExportFormat, overwrite: bool) -> Result<(), TransferError> {
    let file = file_name(path);
    if !overwrite && path.exists() {
        return Err(TransferError::Exists { file });
    }
    let text = format.write(board);
    let write = || -> std::io::Result<()> {
        let temp = path.with_file_name(format!(".{file}.{}.part", std::process::id()));
        let written = (|| {
            let mut out = std::fs::File::create(&temp)?;
            out.write_all(text.as_bytes())?;
            out.sync_all()
        })();
        let placed = written.and_then(|()| std::fs::rename(&temp, path));
        if placed.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        placed
    };
    write().map_err(|source| TransferError::Write { file, source })
}

/// Reads and checks the board file at `path`.
pub fn read(path: &Path) -> Result<Incoming, TransferError> {
    let file = file_name(path);
    let read_error = |source| TransferError::Read { file: file.clone(), source };
    let mut bytes = Vec::new();
    // One byte past the cap tells a file that is too big without reading all of it.
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_IMPORT_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    Incoming::read(&bytes).map_err(|source| TransferError::Format { file, source })
}

/// The edit that imports `incoming` from the file `path`, each list going in `columns`
/// (`None`: the columns the lists' names say).
pub fn import_edit(
    path: &Path,
    incoming: &Incoming,
    columns: Option<&[Status]>,
    replace: bool,
) -> Result<Edit, TransferError> {
    let file = file_name(path);
    let format = |source| TransferError::Format { file: file.clone(), source };
    let columns = match columns {
        Some(columns) => columns.to_vec(),
        None => incoming.guessed_columns().map_err(format)?,
    };
    let cards = incoming.cards(&columns).map_err(format)?;
    Ok(Edit::Import { from: file.clone(), replace, cards })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_never_leaves_a_part_file_and_replaces_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.csv");
        let board = board::seed::board();
        assert_eq!(format_of(&path).unwrap(), ExportFormat::Csv);
        export(&board, &path, ExportFormat::Csv, false).unwrap();
        let err = export(&board, &path, ExportFormat::Csv, false).unwrap_err();
        assert_eq!(err.to_string(), "board.csv already exists; choose another name or remove it first");
        export(&board, &path, ExportFormat::Csv, true).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["board.csv"]);
        let err = format_of(&dir.path().join("board.txt")).unwrap_err();
        assert!(err.to_string().starts_with("board.txt is not a file Boardroom can write"));
        let err = export(&board, &dir.path().join("gone/board.md"), ExportFormat::Markdown, false).unwrap_err();
        assert!(err.to_string().starts_with("board.md could not be written"), "{err}");

        let incoming = read(&path).unwrap();
        assert_eq!(incoming.card_count(), 5);
        let edit = import_edit(&path, &incoming, None, true).unwrap();
        assert!(
            matches!(edit, Edit::Import { ref from, replace: true, ref cards } if from == "board.csv" && cards.len() == 5)
        );
    }

    #[test]
    fn a_file_past_the_cap_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.csv");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_IMPORT_BYTES as u64 + 10).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.to_string(), "huge.csv: the file is larger than 64 MB, the most Boardroom imports");
    }
}
