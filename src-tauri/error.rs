//! What a failed command tells the window: a kind it acts on, and words for the person.

use board::{BoardError, EditFailed};
use guest::EditError;
use runtime::ShownError;
use serde::Serialize;
use specta::Type;

/// A failed command: what kind of failure, so the window can act on it, and the words for
/// the person who tried it.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Someone else changed it meanwhile: the window takes the board as it is now.
    Conflict,
    /// The card, participant or room is not there (any more): the window lets go of it.
    NotFound,
    /// What was asked is not valid (too long, a bad address…): correct it and try again.
    Invalid,
    /// Something on this computer failed (saving, a device, the keychain): try again later.
    Failed,
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError { kind, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::Invalid, message)
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::Failed, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::NotFound, message)
    }
}

impl From<EditFailed> for CommandError {
    fn from(err: EditFailed) -> Self {
        let kind = match &err {
            EditFailed::Refused(BoardError::Stale { .. } | BoardError::UndoConflict { .. }) => ErrorKind::Conflict,
            EditFailed::Refused(
                BoardError::UnknownCard(_) | BoardError::UnknownChange(_) | BoardError::UnknownSuggestion(_),
            ) => ErrorKind::NotFound,
            EditFailed::Refused(_) => ErrorKind::Invalid,
            EditFailed::NotSaved(_) | EditFailed::Stopped => ErrorKind::Failed,
        };
        CommandError::new(kind, sentence(err.to_string()))
    }
}

impl From<ShownError> for CommandError {
    fn from(err: ShownError) -> Self {
        match err {
            ShownError::Board(err) => err.into(),
            // The room refuses edits on cards changed since (or gone); the window takes its board afresh.
            ShownError::Room(EditError::Refused(message)) => CommandError::new(ErrorKind::Conflict, message),
            ShownError::Room(EditError::NotConnected | EditError::Dropped) | ShownError::NotArrived => {
                CommandError::failed(format!("{}.", sentence(err.to_string())))
            }
        }
    }
}

/// Capitalises the first letter so errors read as sentences in the UI.
pub(crate) fn sentence(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}
