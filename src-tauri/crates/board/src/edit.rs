//! The operations that change a board. Each is validated first and either applies whole,
//! producing one [`Change`], or fails with a [`BoardError`] and leaves the board untouched.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::change::{Change, PlacedCard, Source};
use crate::limits;
use crate::model::{Board, Card, Slot, Status, ACTIVITY_LIMIT, GENERATED_ID_PREFIX};

/// An edit someone asks for. Positions are indexes in the target column; past the end means "at the end".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Edit {
    Create {
        status: Status,
        title: String,
        notes: String,
        tags: Vec<String>,
        position: Option<u32>,
    },
    Move {
        card_id: String,
        status: Status,
        position: Option<u32>,
    },
    AddTags {
        card_id: String,
        tags: Vec<String>,
    },
    /// Replaces the fields that are given; the others stay as they are.
    Update {
        card_id: String,
        title: Option<String>,
        notes: Option<String>,
        tags: Option<Vec<String>>,
    },
    Delete {
        card_id: String,
    },
    /// Reverts the change with this revision, as a new change.
    Undo {
        #[specta(type = u32)]
        revision: u64,
    },
}

impl Edit {
    /// The existing card this edit is about; `None` for creations and undos.
    pub fn card_id(&self) -> Option<&str> {
        match self {
            Edit::Move { card_id, .. }
            | Edit::AddTags { card_id, .. }
            | Edit::Update { card_id, .. }
            | Edit::Delete { card_id } => Some(card_id),
            Edit::Create { .. } | Edit::Undo { .. } => None,
        }
    }
}

/// Why an edit was refused. The board is unchanged whenever one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    #[error("there is no card \"{0}\" on the board (it may have been deleted)")]
    UnknownCard(String),
    #[error("a card needs a title")]
    EmptyTitle,
    #[error("the title is {chars} characters long; the limit is {max}", max = limits::MAX_TITLE_CHARS)]
    TitleTooLong { chars: usize },
    #[error("the notes are {chars} characters long; the limit is {max}", max = limits::MAX_NOTES_CHARS)]
    NotesTooLong { chars: usize },
    #[error("a card can have at most {max} tags; this would give it {count}", max = limits::MAX_TAGS)]
    TooManyTags { count: usize },
    #[error("one change can name at most {max} tags; this one names {named}", max = limits::MAX_TAGS_NAMED)]
    TooManyTagsNamed { named: usize },
    #[error("the tag \"{tag}\" is too long; tags can be at most {max} characters", max = limits::MAX_TAG_CHARS)]
    TagTooLong { tag: String },
    #[error("nothing to change: {0}")]
    NothingToChange(String),
    #[error("change {0} is not in the activity log (only the latest {ACTIVITY_LIMIT} are kept)")]
    UnknownChange(u64),
    #[error("card \"{title}\" has changed since change {revision}; undo that later edit first so it is not lost")]
    UndoConflict { revision: u64, title: String },
    #[error("someone else changed this card while you were editing it (board revision {current}, you saw {seen}); here is the board as it is now")]
    Stale { seen: u64, current: u64 },
}

impl Board {
    /// Validates and applies `edit`; on success the revision goes up by one and the change is logged.
    pub fn apply(&mut self, edit: Edit, source: Source, at: i64) -> Result<Change, BoardError> {
        let (before, after) = match &edit {
            Edit::Create { status, title, notes, tags, position } => {
                let card = Card {
                    id: format!("{GENERATED_ID_PREFIX}{:03}", self.next_card_number),
                    status: *status,
                    title: limits::title(title)?,
                    notes: limits::notes(notes)?,
                    tags: limits::tags(tags)?,
                };
                self.next_card_number += 1;
                (None, Some(self.insert(card, *position)))
            }
            Edit::Move { card_id, status, position } => {
                let (slot, card) = self.existing(card_id)?;
                let target = self.target_index(slot, *status, *position);
                if slot.status == *status && slot.index == target {
                    return Err(BoardError::NothingToChange(format!("\"{}\" is already there", card.title)));
                }
                let before = placed(card.clone(), slot);
                let mut moved = self.remove(slot);
                moved.status = *status;
                (Some(before), Some(self.insert(moved, Some(target as u32))))
            }
            Edit::AddTags { card_id, tags } => {
                let (slot, card) = self.existing(card_id)?;
                let merged = limits::merge_tags(&card.tags, tags)?;
                if merged == card.tags {
                    return Err(BoardError::NothingToChange(format!("\"{}\" already has those tags", card.title)));
                }
                self.replace(slot, |c| c.tags = merged)
            }
            Edit::Update { card_id, title, notes, tags } => {
                let (slot, card) = self.existing(card_id)?;
                let mut updated = card.clone();
                if let Some(title) = title {
                    updated.title = limits::title(title)?;
                }
                if let Some(notes) = notes {
                    updated.notes = limits::notes(notes)?;
                }
                if let Some(tags) = tags {
                    updated.tags = limits::tags(tags)?;
                }
                if &updated == card {
                    return Err(BoardError::NothingToChange(format!("\"{}\" already reads like that", card.title)));
                }
                self.replace(slot, |c| *c = updated)
            }
            Edit::Delete { card_id } => {
                let (slot, card) = self.existing(card_id)?;
                let before = placed(card.clone(), slot);
                self.remove(slot);
                (Some(before), None)
            }
            Edit::Undo { revision } => self.undo(*revision)?,
        };
        self.revision += 1;
        let change = Change { revision: self.revision, at, source, operation: edit, before, after };
        if self.activity.len() == ACTIVITY_LIMIT {
            self.activity.pop_front();
        }
        self.activity.push_back(change.clone());
        Ok(change)
    }

    /// Applies `edit` made by someone who last saw the board at revision `seen`. Changes made
    /// since then to other cards do not matter; if one touched the card this edit is about (or
    /// they are too old to tell), the edit is refused as stale rather than overwriting them.
    pub fn apply_seen(&mut self, edit: Edit, source: Source, at: i64, seen: u64) -> Result<Change, BoardError> {
        if seen < self.revision {
            let stale = BoardError::Stale { seen, current: self.revision };
            let oldest_kept = self.activity.front().map_or(self.revision + 1, |c| c.revision);
            if oldest_kept > seen + 1 {
                return Err(stale);
            }
            if let Some(card_id) = edit.card_id() {
                if self.activity.iter().any(|c| c.revision > seen && c.card_id() == card_id) {
                    return Err(stale);
                }
            }
        }
        self.apply(edit, source, at)
    }

    /// Puts back the card as it was before change `revision`, if nothing has touched it since.
    fn undo(&mut self, revision: u64) -> Result<(Option<PlacedCard>, Option<PlacedCard>), BoardError> {
        let change = self
            .activity
            .iter()
            .find(|c| c.revision == revision)
            .cloned()
            .ok_or(BoardError::UnknownChange(revision))?;
        let conflict = |card: &Card| BoardError::UndoConflict { revision, title: card.title.clone() };
        match (change.before, change.after) {
            // A creation: remove the card, if it is still as created.
            (None, Some(after)) => {
                let slot = self.slot(&after.card.id).ok_or_else(|| conflict(&after.card))?;
                let current = self.remove_if_equal(slot, &after.card).ok_or_else(|| conflict(&after.card))?;
                Ok((Some(placed(current, slot)), None))
            }
            // A deletion: put the card back where it was (ids are never reused, so it cannot clash).
            (Some(before), None) => {
                if self.slot(&before.card.id).is_some() {
                    return Err(conflict(&before.card));
                }
                Ok((None, Some(self.insert(before.card, Some(before.position)))))
            }
            // A move or an edit: restore the old card; a move also restores the old place.
            (Some(before), Some(after)) => {
                let slot = self.slot(&after.card.id).ok_or_else(|| conflict(&after.card))?;
                let current = self.remove_if_equal(slot, &after.card).ok_or_else(|| conflict(&after.card))?;
                let was_move = before.card.status != after.card.status || before.position != after.position;
                let position = if was_move { before.position } else { slot.index as u32 };
                let previous = placed(current, slot);
                Ok((Some(previous), Some(self.insert(before.card, Some(position)))))
            }
            (None, None) => Err(BoardError::UnknownChange(revision)),
        }
    }

    fn existing(&self, id: &str) -> Result<(Slot, &Card), BoardError> {
        let slot = self.slot(id).ok_or_else(|| BoardError::UnknownCard(limits::shorten(id, 60)))?;
        Ok((slot, &self.column(slot.status)[slot.index]))
    }

    /// Where a card moving from `from` ends up: `position` in the target column once the
    /// card has left its old place, clamped to the end.
    fn target_index(&self, from: Slot, status: Status, position: Option<u32>) -> usize {
        let len = self.column(status).len() - usize::from(from.status == status);
        position.map_or(len, |p| (p as usize).min(len))
    }

    fn insert(&mut self, card: Card, position: Option<u32>) -> PlacedCard {
        let cards = self.cards_mut(card.status);
        let index = position.map_or(cards.len(), |p| (p as usize).min(cards.len()));
        cards.insert(index, card.clone());
        PlacedCard { card, position: index as u32 }
    }

    fn remove(&mut self, slot: Slot) -> Card {
        self.cards_mut(slot.status).remove(slot.index)
    }

    fn remove_if_equal(&mut self, slot: Slot, expected: &Card) -> Option<Card> {
        (self.column(slot.status)[slot.index] == *expected).then(|| self.remove(slot))
    }

    fn replace(&mut self, slot: Slot, edit: impl FnOnce(&mut Card)) -> (Option<PlacedCard>, Option<PlacedCard>) {
        let card = &mut self.cards_mut(slot.status)[slot.index];
        let before = placed(card.clone(), slot);
        edit(card);
        let after = placed(card.clone(), slot);
        (Some(before), Some(after))
    }
}

fn placed(card: Card, slot: Slot) -> PlacedCard {
    PlacedCard { card, position: slot.index as u32 }
}
