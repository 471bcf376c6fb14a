//! Reading a board file made elsewhere into cards to import: our own JSON and CSV
//! ([`crate::export`]), a Trello board's JSON export and a Jira CSV export. A file is read and
//! checked whole first, with errors that name the line or field; its lists (Trello's lists,
//! Jira's statuses, our columns) are matched to the board's columns by name, and a person
//! confirms or changes that before [`crate::Edit::Import`] places the cards.

mod jira;
mod ours;
mod trello;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::edit::{BoardError, NewCard};
use crate::limits;
use crate::model::Status;

/// The largest file read: Trello's exports carry the board's whole history beside its cards.
pub const MAX_IMPORT_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ImportFormat {
    /// Boardroom's JSON.
    Json,
    /// Boardroom's CSV.
    Csv,
    /// A Trello board exported as JSON.
    Trello,
    /// Jira issues exported as CSV.
    Jira,
}

/// A list of the file and the column its cards go in, if its name says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct List {
    pub name: String,
    pub column: Option<Status>,
    pub cards: u32,
}

/// A file read and checked, before its cards go on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub format: ImportFormat,
    pub lists: Vec<List>,
    /// Archived cards and lists, which are not imported.
    pub left_out: u32,
    /// Each card with the index of its list.
    cards: Vec<(usize, Draft)>,
}

/// A card as the file gives it, already checked against the board's limits.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    id: Option<String>,
    title: String,
    notes: String,
    tags: Vec<String>,
}

/// Why a file cannot be imported. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("this is not a board Boardroom can import: it reads its own JSON or CSV, a Trello board's JSON export and a Jira CSV export ({0})")]
    NotRecognised(String),
    #[error("line {line}, column {column}: {message}")]
    Json { line: usize, column: usize, message: String },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("{at}: {message}")]
    Field { at: String, message: String },
    #[error("{at}: {error}")]
    Card { at: String, error: BoardError },
    #[error("the file holds {count} cards; a board holds at most {max}", max = limits::MAX_CARDS)]
    TooManyCards { count: usize },
    #[error("the file is larger than {max} MB, the most Boardroom imports", max = MAX_IMPORT_BYTES >> 20)]
    TooBig,
    #[error("say which column the cards of {0} go in")]
    Unmapped(String),
    #[error("{given} columns were given for the file's {lists} lists")]
    WrongMapping { given: usize, lists: usize },
}

impl From<serde_json::Error> for ImportError {
    fn from(err: serde_json::Error) -> Self {
        let message = err.to_string();
        // serde_json ends its messages with " at line L column C"; it is said up front instead.
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        ImportError::Json { line: err.line(), column: err.column(), message }
    }
}

impl From<csv::Error> for ImportError {
    fn from(err: csv::Error) -> Self {
        let line = err.position().map_or(0, csv::Position::line);
        let message = match err.kind() {
            csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_owned(),
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("this row has {len} fields where the header has {expected_len}")
            }
            _ => err.to_string(),
        };
        ImportError::Csv { line, message }
    }
}

impl Incoming {
    /// Reads `bytes`, telling the format from what the file holds.
    pub fn read(bytes: &[u8]) -> Result<Incoming, ImportError> {
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(ImportError::TooBig);
        }
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|err| {
            let line = bytes[..err.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            ImportError::Csv { line, message: "the file is not UTF-8 text".into() }
        })?;
        let incoming = if text.trim_start().starts_with('{') {
            let value: serde_json::Value = serde_json::from_str(text)?;
            if value.get("boardroom").is_some() {
                ours::json(text)?
            } else if value.get("lists").is_some() && value.get("cards").is_some() {
                trello::read(text)?
            } else {
                return Err(ImportError::NotRecognised(
                    "a JSON file without Boardroom's columns or Trello's lists".into(),
                ));
            }
        } else {
            let header = csv_reader(text).headers()?.clone();
            let has = |name: &str| header.iter().any(|field| field.trim().eq_ignore_ascii_case(name));
            if has("summary") && has("status") {
                jira::read(text)?
            } else if has("title") && (has("column") || has("status")) {
                ours::csv(text)?
            } else {
                let first: Vec<&str> = header.iter().take(6).collect();
                return Err(ImportError::NotRecognised(format!("its first line reads {}", first.join(","))));
            }
        };
        let count = incoming.cards.len();
        if count > limits::MAX_CARDS {
            return Err(ImportError::TooManyCards { count });
        }
        Ok(incoming)
    }

    pub fn card_count(&self) -> usize {
        self.cards.len()
    }

    /// The column of each list as its name says, or which lists need one.
    pub fn guessed_columns(&self) -> Result<Vec<Status>, ImportError> {
        let unmapped: Vec<String> =
            self.lists.iter().filter(|list| list.column.is_none()).map(|list| format!("\"{}\"", list.name)).collect();
        if !unmapped.is_empty() {
            return Err(ImportError::Unmapped(unmapped.join(", ")));
        }
        Ok(self.lists.iter().filter_map(|list| list.column).collect())
    }

    /// The cards to import, each list's going in `columns[list]`, in the file's order.
    pub fn cards(&self, columns: &[Status]) -> Result<Vec<NewCard>, ImportError> {
        if columns.len() != self.lists.len() {
            return Err(ImportError::WrongMapping { given: columns.len(), lists: self.lists.len() });
        }
        let mut by_column: Vec<NewCard> = self
            .cards
            .iter()
            .map(|(list, draft)| NewCard {
                id: draft.id.clone(),
                status: columns[*list],
                title: draft.title.clone(),
                notes: draft.notes.clone(),
                tags: draft.tags.clone(),
            })
            .collect();
        // Stable: each column keeps the file's order.
        by_column.sort_by_key(|card| card.status.index());
        Ok(by_column)
    }

    /// Starts an `Incoming` of `format` with no lists yet.
    fn new(format: ImportFormat) -> Incoming {
        Incoming { format, lists: Vec::new(), left_out: 0, cards: Vec::new() }
    }

    /// The index of the list named `name`, added if new (with the column its name suggests).
    fn list(&mut self, name: &str) -> usize {
        let name = name.trim();
        if let Some(index) = self.lists.iter().position(|list| list.name == name) {
            return index;
        }
        self.lists.push(List { name: name.to_owned(), column: guess_column(name), cards: 0 });
        self.lists.len() - 1
    }

    /// Adds a card to list `list`, checked against the board's limits; `at` says where it is in the file.
    fn card(&mut self, list: usize, at: impl Fn() -> String, draft: Draft) -> Result<(), ImportError> {
        if self.cards.len() >= limits::MAX_CARDS {
            return Err(ImportError::TooManyCards { count: self.cards.len() + 1 });
        }
        let checked = (|| {
            Ok::<_, BoardError>(Draft {
                id: draft.id.as_deref().map(limits::card_id).transpose()?,
                title: limits::title(&draft.title)?,
                notes: limits::notes(&draft.notes)?,
                tags: limits::tags(&draft.tags)?,
            })
        })()
        .map_err(|error| ImportError::Card { at: at(), error })?;
        self.lists[list].cards += 1;
        self.cards.push((list, checked));
        Ok(())
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes())
}

/// The column a list's name means, in the words Trello's, Jira's and people's boards use.
pub fn guess_column(name: &str) -> Option<Status> {
    if let Ok(status) = name.parse() {
        return Some(status);
    }
    let key: String = name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    let status = match key.as_str() {
        "todo"
        | "open"
        | "new"
        | "ideas"
        | "next"
        | "upcoming"
        | "later"
        | "icebox"
        | "selectedfordevelopment"
        | "ready" => Status::Backlog,
        "doing" | "wip" | "started" | "inreview" | "review" | "codereview" | "ongoing" | "active" => Status::InProgress,
        "onhold" | "waiting" | "impeded" | "stuck" => Status::Blocked,
        "complete" | "completed" | "closed" | "resolved" | "shipped" | "finished" | "released" => Status::Done,
        _ => return None,
    };
    Some(status)
}

/// A tag cell of our CSV or a label list: one a line, or comma-separated when on one line.
fn split_tags(cell: &str) -> Vec<String> {
    let parts: Vec<&str> = if cell.contains('\n') { cell.lines().collect() } else { cell.split(',').collect() };
    parts.into_iter().map(str::trim).filter(|tag| !tag.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests;
