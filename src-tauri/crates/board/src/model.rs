//! The board's data: four columns of cards in order, a revision number, the id counter
//! and the recent activity. Plain data; `edit` holds the operations that change it.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::change::Change;
use crate::limits::MAX_ACTIVITY_TEXT_BYTES;
use crate::suggestion::{Suggestion, MAX_PENDING};

/// A column of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
pub enum Status {
    Backlog,
    #[serde(rename = "In Progress")]
    InProgress,
    Blocked,
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Backlog, Status::InProgress, Status::Blocked, Status::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Backlog => "Backlog",
            Status::InProgress => "In Progress",
            Status::Blocked => "Blocked",
            Status::Done => "Done",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the four columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a column; use Backlog, In Progress, Blocked or Done")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    /// Accepts the column names in any case, with spaces, underscores or dashes
    /// ("in_progress", "In-Progress"), since people and models spell them loosely.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let key: String = raw.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
        match key.as_str() {
            "backlog" => Ok(Status::Backlog),
            "inprogress" => Ok(Status::InProgress),
            "blocked" => Ok(Status::Blocked),
            "done" => Ok(Status::Done),
            _ => Err(UnknownStatus(raw.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Card {
    pub id: String,
    pub status: Status,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
}

impl Card {
    /// The card's text in UTF-8 bytes (id, title, notes, tags): what the board's size cap counts.
    pub fn text_bytes(&self) -> usize {
        self.id.len() + self.title.len() + self.notes.len() + self.tags.iter().map(String::len).sum::<usize>()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Column {
    pub status: Status,
    pub cards: Vec<Card>,
}

/// How many changes the activity log keeps.
pub const ACTIVITY_LIMIT: usize = 500;

/// The whole board state; it is also what gets saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// Bumped by exactly one for every applied change.
    #[specta(type = u32)]
    pub(crate) revision: u64,
    /// The number the next created card gets (`kanban-card-NNN`); never goes down, so ids are never reused.
    #[specta(type = u32)]
    pub(crate) next_card_number: u64,
    pub(crate) columns: Vec<Column>,
    /// The latest changes, oldest first, at most [`ACTIVITY_LIMIT`].
    pub(crate) activity: VecDeque<Change>,
    /// Voice edits waiting for a person to accept or reject them, oldest first, at most
    /// [`MAX_PENDING`]. Boards saved before suggestions existed have none.
    #[serde(default)]
    pub(crate) pending: Vec<Suggestion>,
}

/// Where a card sits: its column and index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub status: Status,
    pub index: usize,
}

impl Board {
    /// A board holding `cards` in the given order, at revision 0.
    pub fn with_cards(cards: Vec<Card>) -> Self {
        let mut columns: Vec<Column> = Status::ALL.iter().map(|&status| Column { status, cards: Vec::new() }).collect();
        for card in cards {
            columns[card.status.index()].cards.push(card);
        }
        Board { revision: 0, next_card_number: 1, columns, activity: VecDeque::new(), pending: Vec::new() }
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn column(&self, status: Status) -> &[Card] {
        &self.columns[status.index()].cards
    }

    pub fn activity(&self) -> impl DoubleEndedIterator<Item = &Change> + ExactSizeIterator {
        self.activity.iter()
    }

    /// The suggestions waiting for an answer, oldest first.
    pub fn pending(&self) -> &[Suggestion] {
        &self.pending
    }

    pub fn cards(&self) -> impl Iterator<Item = &Card> {
        self.columns.iter().flat_map(|c| c.cards.iter())
    }

    pub fn card_count(&self) -> usize {
        self.columns.iter().map(|c| c.cards.len()).sum()
    }

    /// The text all cards hold (see [`Card::text_bytes`]).
    pub fn cards_text_bytes(&self) -> usize {
        self.cards().map(Card::text_bytes).sum()
    }

    pub fn card(&self, id: &str) -> Option<&Card> {
        self.slot(id).map(|slot| &self.columns[slot.status.index()].cards[slot.index])
    }

    pub(crate) fn slot(&self, id: &str) -> Option<Slot> {
        self.columns.iter().find_map(|column| {
            column.cards.iter().position(|c| c.id == id).map(|index| Slot { status: column.status, index })
        })
    }

    pub(crate) fn cards_mut(&mut self, status: Status) -> &mut Vec<Card> {
        &mut self.columns[status.index()].cards
    }

    /// Adds `change` to the activity log, dropping the oldest changes past [`ACTIVITY_LIMIT`]
    /// or [`MAX_ACTIVITY_TEXT_BYTES`] (the newest is always kept); returns them, oldest first.
    pub(crate) fn log(&mut self, change: Change) -> Vec<Change> {
        let mut text = change.text_bytes() + self.activity.iter().map(Change::text_bytes).sum::<usize>();
        self.activity.push_back(change);
        let mut dropped = Vec::new();
        while self.activity.len() > 1 && (self.activity.len() > ACTIVITY_LIMIT || text > MAX_ACTIVITY_TEXT_BYTES) {
            let oldest = self.activity.pop_front().expect("the log holds more than one change");
            text -= oldest.text_bytes();
            dropped.push(oldest);
        }
        dropped
    }

    /// Checks what every board must satisfy; a saved file that breaks any of it is treated as corrupt.
    pub fn check(&self) -> Result<(), String> {
        if self.columns.len() != Status::ALL.len() {
            return Err(format!("expected 4 columns, found {}", self.columns.len()));
        }
        let mut ids = HashSet::new();
        for (column, status) in self.columns.iter().zip(Status::ALL) {
            if column.status != status {
                return Err(format!("column {} is out of order", column.status));
            }
            for card in &column.cards {
                if card.status != status {
                    return Err(format!("card {} says {} but sits in {}", card.id, card.status, status));
                }
                if !ids.insert(card.id.as_str()) {
                    return Err(format!("card id {} appears twice", card.id));
                }
                if let Some(number) = generated_number(&card.id) {
                    if number >= self.next_card_number {
                        return Err(format!(
                            "card id {} is not below the id counter {}",
                            card.id, self.next_card_number
                        ));
                    }
                }
            }
        }
        if self.activity.len() > ACTIVITY_LIMIT {
            return Err(format!("activity log holds {} entries", self.activity.len()));
        }
        if let Some(last) = self.activity.back() {
            if last.revision != self.revision {
                return Err(format!("last change is {} but the board is at revision {}", last.revision, self.revision));
            }
        }
        if !self.activity.iter().zip(self.activity.iter().skip(1)).all(|(a, b)| a.revision < b.revision) {
            return Err("activity log is out of order".into());
        }
        if self.pending.len() > MAX_PENDING {
            return Err(format!("{} suggestions are waiting", self.pending.len()));
        }
        if !self.pending.iter().zip(self.pending.iter().skip(1)).all(|(a, b)| a.id < b.id) {
            return Err("the waiting suggestions are out of order".into());
        }
        if self.pending.iter().any(|s| s.id > self.revision || !s.edit.can_be_suggested()) {
            return Err("a waiting suggestion is not one the board could have made".into());
        }
        Ok(())
    }
}

pub(crate) const GENERATED_ID_PREFIX: &str = "kanban-card-";

/// The number in a generated id (`kanban-card-042` → 42).
pub(crate) fn generated_number(id: &str) -> Option<u64> {
    id.strip_prefix(GENERATED_ID_PREFIX)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_parse_loosely() {
        for raw in ["in progress", "In_Progress", "IN-PROGRESS", "inprogress"] {
            assert_eq!(raw.parse::<Status>().unwrap(), Status::InProgress);
        }
        assert_eq!(" done ".parse::<Status>().unwrap(), Status::Done);
        assert!("Doing".parse::<Status>().is_err());
    }

    #[test]
    fn status_serialises_as_column_title() {
        assert_eq!(serde_json::to_string(&Status::InProgress).unwrap(), "\"In Progress\"");
    }

    #[test]
    fn check_finds_duplicate_ids() {
        let card = Card { id: "a".into(), status: Status::Done, title: "t".into(), notes: String::new(), tags: vec![] };
        let board = Board::with_cards(vec![card.clone(), card]);
        assert!(board.check().unwrap_err().contains("twice"));
    }
}
