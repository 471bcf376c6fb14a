//! The operations that change a board. Each is validated first and either applies whole,
//! producing one [`Change`], or fails with a [`BoardError`] and leaves the board untouched.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::change::{Change, PlacedCard, Source};
use crate::limits;
use crate::model::{Board, Card, Slot, Status, ACTIVITY_LIMIT, GENERATED_ID_PREFIX};
use crate::suggestion::{self, Suggestion};

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
    /// Files `edit` as a suggestion for a person to accept or reject; no card changes yet.
    /// Only the voice operator suggests (see [`crate::suggestion`]).
    Suggest {
        edit: Box<Edit>,
    },
    /// Applies the waiting suggestion with this id, as it was suggested.
    Accept {
        #[specta(type = u32)]
        suggestion: u64,
    },
    /// Drops the waiting suggestion with this id.
    Reject {
        #[specta(type = u32)]
        suggestion: u64,
    },
    /// Drops a suggestion nobody answered before the meeting ended.
    Expire {
        #[specta(type = u32)]
        suggestion: u64,
    },
    /// Brings in cards read from a file (see [`crate::import`]) as one change: after the
    /// cards on the board, or in place of them all (`replace`). Only the host imports.
    Import {
        /// The file's name, for the activity log.
        from: String,
        replace: bool,
        /// Logged empty: the change's `batch` holds the cards as placed.
        cards: Vec<NewCard>,
    },
}

/// A card to import. Its `id` is kept when it replaces the board's cards; otherwise, and
/// when it has none, the card gets a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct NewCard {
    pub id: Option<String>,
    pub status: Status,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
}

impl NewCard {
    fn text_bytes(&self) -> usize {
        self.id.as_ref().map_or(0, String::len)
            + self.title.len()
            + self.notes.len()
            + self.tags.iter().map(String::len).sum::<usize>()
    }
}

impl Edit {
    /// The existing card this edit is about; `None` for creations and undos.
    pub fn card_id(&self) -> Option<&str> {
        match self {
            Edit::Move { card_id, .. }
            | Edit::AddTags { card_id, .. }
            | Edit::Update { card_id, .. }
            | Edit::Delete { card_id } => Some(card_id),
            Edit::Create { .. }
            | Edit::Import { .. }
            | Edit::Undo { .. }
            | Edit::Suggest { .. }
            | Edit::Accept { .. }
            | Edit::Reject { .. }
            | Edit::Expire { .. } => None,
        }
    }

    /// Whether this edit may wait as a suggestion: one that changes a single card.
    pub fn can_be_suggested(&self) -> bool {
        matches!(
            self,
            Edit::Create { .. } | Edit::Move { .. } | Edit::AddTags { .. } | Edit::Update { .. } | Edit::Delete { .. }
        )
    }

    /// Whether this edit files or answers a suggestion.
    fn settles_suggestions(&self) -> bool {
        matches!(self, Edit::Suggest { .. } | Edit::Accept { .. } | Edit::Reject { .. } | Edit::Expire { .. })
    }

    /// The edit's text in UTF-8 bytes, as it was asked (see [`crate::Change::text_bytes`]).
    pub fn text_bytes(&self) -> usize {
        let tags = |tags: &[String]| tags.iter().map(String::len).sum::<usize>();
        match self {
            Edit::Create { title, notes, tags: t, .. } => title.len() + notes.len() + tags(t),
            Edit::Move { card_id, .. } | Edit::Delete { card_id } => card_id.len(),
            Edit::AddTags { card_id, tags: t } => card_id.len() + tags(t),
            Edit::Update { card_id, title, notes, tags: t } => {
                card_id.len()
                    + title.as_ref().map_or(0, String::len)
                    + notes.as_ref().map_or(0, String::len)
                    + t.as_deref().map_or(0, tags)
            }
            Edit::Suggest { edit } => edit.text_bytes(),
            Edit::Import { from, cards, .. } => from.len() + cards.iter().map(NewCard::text_bytes).sum::<usize>(),
            Edit::Undo { .. } | Edit::Accept { .. } | Edit::Reject { .. } | Edit::Expire { .. } => 0,
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
    #[error("the board is full: it holds {max} cards, the most it can; delete some first", max = limits::MAX_CARDS)]
    TooManyCards,
    #[error("the board is full: its cards would hold {kib} KB of text and the limit is {max} KB; shorten or delete some cards first", max = limits::MAX_CARDS_TEXT_BYTES / 1024)]
    BoardTooBig { kib: usize },
    #[error("nothing to change: {0}")]
    NothingToChange(String),
    #[error("change {0} is not in the activity log (only the latest {ACTIVITY_LIMIT} are kept)")]
    UnknownChange(u64),
    #[error("card \"{title}\" has changed since change {revision}; undo that later edit first so it is not lost")]
    UndoConflict { revision: u64, title: String },
    #[error("change {0} changed no card, so there is nothing to undo")]
    NothingToUndo(u64),
    #[error("suggestion {0} is no longer waiting: someone answered it, or it expired")]
    UnknownSuggestion(u64),
    #[error("only a card's creation, move, tags, update or deletion can be suggested")]
    NotSuggestable,
    #[error("{max} suggestions are already waiting for an answer; accept or reject some first", max = suggestion::MAX_PENDING)]
    TooManySuggestions,
    #[error("only the voice operator makes suggestions, and only it lets them expire")]
    OnlyVoiceSuggests,
    #[error("a person accepts or rejects a suggestion, not the voice operator")]
    PersonMustAnswer,
    #[error("only the host imports cards, from the window or the host's command line")]
    OnlyHostImports,
    #[error("card {number} of the file: {error}")]
    ImportedCard { number: usize, error: Box<BoardError> },
    #[error("\"{0}\" cannot be a card id: use 1 to {max} letters, digits, dashes, underscores or dots", max = limits::MAX_ID_CHARS)]
    BadId(String),
    #[error("two cards have the id \"{0}\"")]
    DuplicateId(String),
    #[error("this import would change {kib} KB of cards at once; one import can change at most {max} KB, so that it can be undone: import fewer cards, or add them rather than replace the board's", max = limits::MAX_ACTIVITY_TEXT_BYTES / 1024)]
    ImportTooBig { kib: usize },
    #[error("someone else changed this card while you were editing it (board revision {current}, you saw {seen}); here is the board as it is now")]
    Stale { seen: u64, current: u64 },
}

/// An applied edit with what it takes to revert it (see [`Board::revert`]).
#[derive(Debug)]
pub(crate) struct Applied {
    pub change: Change,
    next_card_number: u64,
    /// The oldest changes the activity log dropped to make room for this one.
    dropped: Vec<Change>,
    /// The waiting suggestions before, when this change filed or answered one.
    pending: Option<Vec<Suggestion>>,
}

impl Board {
    /// Validates and applies `edit`; on success the revision goes up by one and the change is logged.
    pub fn apply(&mut self, edit: Edit, source: Source, at: i64) -> Result<Change, BoardError> {
        self.apply_revertibly(edit, source, at).map(|applied| applied.change)
    }

    /// [`Board::apply`], keeping what [`Board::revert`] needs to take the edit back.
    pub(crate) fn apply_revertibly(&mut self, edit: Edit, source: Source, at: i64) -> Result<Applied, BoardError> {
        let next_card_number = self.next_card_number;
        let pending = edit.settles_suggestions().then(|| self.pending.clone());
        let mut batch = None;
        let settled = match &edit {
            Edit::Import { cards, replace, .. } => {
                batch = Some(self.import(cards, *replace, &source)?);
                Ok((None, None, None))
            }
            Edit::Undo { revision } if self.is_batch(*revision) => {
                batch = Some(self.undo_batch(*revision)?);
                Ok((None, None, None))
            }
            Edit::Suggest { edit } => self.suggest(edit, &source, at),
            Edit::Accept { suggestion } => self.accept(*suggestion, &source),
            Edit::Reject { suggestion } => self.withdraw(*suggestion, &source, false),
            Edit::Expire { suggestion } => self.withdraw(*suggestion, &source, true),
            cards => {
                let (before, after) = self.change_cards(cards)?;
                Ok((before, after, None))
            }
        };
        let (before, after, suggestion) = settled?;
        self.revision += 1;
        let operation = match edit {
            // The cards are in the batch already; kept once.
            Edit::Import { from, replace, .. } => Edit::Import { from, replace, cards: Vec::new() },
            edit => edit,
        };
        let change = Change { revision: self.revision, at, source, operation, before, after, suggestion, batch };
        let dropped = self.log(change.clone());
        Ok(Applied { change, next_card_number, dropped, pending })
    }

    /// Changes the cards as `edit` asks; the caller logs the change.
    pub(crate) fn change_cards(&mut self, edit: &Edit) -> Result<(Option<PlacedCard>, Option<PlacedCard>), BoardError> {
        Ok(match edit {
            Edit::Create { status, title, notes, tags, position } => {
                let card = Card {
                    id: format!("{GENERATED_ID_PREFIX}{:03}", self.next_card_number),
                    status: *status,
                    title: limits::title(title)?,
                    notes: limits::notes(notes)?,
                    tags: limits::tags(tags)?,
                };
                self.room_for(&card, None)?;
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
                let updated = Card { tags: merged, ..card.clone() };
                self.room_for(&updated, Some(card))?;
                self.replace(slot, |c| *c = updated)
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
                self.room_for(&updated, Some(card))?;
                self.replace(slot, |c| *c = updated)
            }
            Edit::Delete { card_id } => {
                let (slot, card) = self.existing(card_id)?;
                let before = placed(card.clone(), slot);
                self.remove(slot);
                (Some(before), None)
            }
            Edit::Undo { revision } => self.undo(*revision)?,
            Edit::Suggest { .. }
            | Edit::Accept { .. }
            | Edit::Reject { .. }
            | Edit::Expire { .. }
            | Edit::Import { .. } => return Err(BoardError::NotSuggestable),
        })
    }

    /// Takes back the edit `applied` records, which must be the last one applied: the board
    /// is again exactly as it was before it. For when a change could not be saved.
    pub(crate) fn revert(&mut self, applied: Applied) {
        let Applied { change, next_card_number, dropped, pending } = applied;
        debug_assert_eq!(self.activity.back(), Some(&change), "only the last change can be reverted");
        self.put_back(change.before, change.after.as_ref());
        if let Some(batch) = &change.batch {
            self.place(&batch.inverse());
        }
        if let Some(pending) = pending {
            self.pending = pending;
        }
        self.activity.pop_back();
        for old in dropped.into_iter().rev() {
            self.activity.push_front(old);
        }
        self.next_card_number = next_card_number;
        self.revision -= 1;
    }

    /// Puts the card a change left as `after` back as it was `before`.
    pub(crate) fn put_back(&mut self, before: Option<PlacedCard>, after: Option<&PlacedCard>) {
        if let Some(after) = after {
            self.cards_mut(after.card.status).remove(after.position as usize);
        }
        if let Some(before) = before {
            self.insert(before.card, Some(before.position));
        }
    }

    /// Applies `edit` made by someone who last saw the board at revision `seen` (see [`Board::check_seen`]).
    pub fn apply_seen(&mut self, edit: Edit, source: Source, at: i64, seen: u64) -> Result<Change, BoardError> {
        self.check_seen(&edit, seen)?;
        self.apply(edit, source, at)
    }

    /// Whether `edit`, made by someone who last saw the board at revision `seen`, may be
    /// applied. Changes made since then to other cards do not matter; if one touched the card
    /// this edit is about (or they are too old to tell), the edit is refused as stale rather
    /// than overwriting them.
    pub fn check_seen(&self, edit: &Edit, seen: u64) -> Result<(), BoardError> {
        if seen < self.revision {
            let stale = BoardError::Stale { seen, current: self.revision };
            let oldest_kept = self.activity.front().map_or(self.revision + 1, |c| c.revision);
            if oldest_kept > seen + 1 {
                return Err(stale);
            }
            if let Some(card_id) = edit.card_id() {
                if self.activity.iter().any(|c| c.revision > seen && c.touches(card_id)) {
                    return Err(stale);
                }
            }
        }
        Ok(())
    }

    /// Refuses to put `new` in place of `old` (`None`: add it) when that would take the board
    /// past [`limits::MAX_CARDS`] or [`limits::MAX_CARDS_TEXT_BYTES`]. A board already past a
    /// cap (saved by an older version) may still shrink.
    pub(crate) fn room_for(&self, new: &Card, old: Option<&Card>) -> Result<(), BoardError> {
        if old.is_none() && self.card_count() >= limits::MAX_CARDS {
            return Err(BoardError::TooManyCards);
        }
        let (grown, shrunk) = (new.text_bytes(), old.map_or(0, Card::text_bytes));
        if grown > shrunk {
            let bytes = self.cards_text_bytes() - shrunk + grown;
            if bytes > limits::MAX_CARDS_TEXT_BYTES {
                return Err(BoardError::BoardTooBig { kib: bytes.div_ceil(1024) });
            }
        }
        Ok(())
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
                self.room_for(&before.card, None)?;
                Ok((None, Some(self.insert(before.card, Some(before.position)))))
            }
            // A move or an edit: restore the old card; a move also restores the old place.
            (Some(before), Some(after)) => {
                let slot = self.slot(&after.card.id).ok_or_else(|| conflict(&after.card))?;
                self.room_for(&before.card, Some(&after.card))?;
                let current = self.remove_if_equal(slot, &after.card).ok_or_else(|| conflict(&after.card))?;
                let was_move = before.card.status != after.card.status || before.position != after.position;
                let position = if was_move { before.position } else { slot.index as u32 };
                let previous = placed(current, slot);
                Ok((Some(previous), Some(self.insert(before.card, Some(position)))))
            }
            // Filing or answering a suggestion that changed no card.
            (None, None) => Err(BoardError::NothingToUndo(revision)),
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

    pub(crate) fn insert(&mut self, card: Card, position: Option<u32>) -> PlacedCard {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed;

    /// Applies `edit`, checks that reverting it gives the board back exactly, then applies it again.
    fn apply_and_revert(board: &mut Board, edit: Edit) {
        let before = board.clone();
        let applied = board.apply_revertibly(edit.clone(), Source::Hand, 7).unwrap();
        board.revert(applied);
        assert_eq!(*board, before, "reverting {edit:?}");
        board.apply(edit, Source::Hand, 7).unwrap();
    }

    #[test]
    fn reverting_gives_the_board_back() {
        let mut board = seed::board();
        let card = |id: &str| id.to_owned();
        let edits = [
            Edit::Create {
                status: Status::Done,
                title: "New".into(),
                notes: "n".into(),
                tags: vec!["a".into()],
                position: Some(0),
            },
            Edit::Move { card_id: card("card-002"), status: Status::Blocked, position: None },
            Edit::Move { card_id: card("card-004"), status: Status::Backlog, position: Some(0) },
            Edit::AddTags { card_id: card("card-001"), tags: vec!["urgent".into()] },
            Edit::Update { card_id: card("card-003"), title: Some("Renamed".into()), notes: None, tags: None },
            Edit::Delete { card_id: card("card-005") },
            Edit::Undo { revision: 6 },
            Edit::Undo { revision: 1 },
            Edit::Undo { revision: 2 },
            Edit::Undo { revision: 5 },
        ];
        for edit in edits {
            apply_and_revert(&mut board, edit);
        }
        // Past the activity log's cap the oldest change is dropped, and put back by a revert.
        for n in 0..ACTIVITY_LIMIT {
            let status = if n % 2 == 0 { Status::Done } else { Status::Backlog };
            board.apply(Edit::Move { card_id: card("card-001"), status, position: Some(0) }, Source::Hand, 0).unwrap();
        }
        apply_and_revert(&mut board, Edit::Delete { card_id: card("card-001") });
        board.check().unwrap();
    }

    #[test]
    fn the_board_is_capped_in_cards_and_text() {
        let card = |n: usize, notes: usize| Card {
            id: format!("c{n}"),
            status: Status::ALL[n % 4],
            title: "t".into(),
            notes: "n".repeat(notes),
            tags: vec![],
        };
        let create = |notes: usize| Edit::Create {
            status: Status::Backlog,
            title: "One more".into(),
            notes: "n".repeat(notes),
            tags: vec![],
            position: None,
        };
        let mut full = Board::with_cards((0..limits::MAX_CARDS).map(|n| card(n, 0)).collect());
        let err = full.apply(create(0), Source::Hand, 0).unwrap_err();
        assert_eq!(err, BoardError::TooManyCards);
        assert_eq!(err.to_string(), "the board is full: it holds 2000 cards, the most it can; delete some first");
        full.apply(Edit::Delete { card_id: "c0".into() }, Source::Hand, 0).unwrap();
        full.apply(create(0), Source::Hand, 0).unwrap();
        // Undoing that delete would make one card too many.
        assert_eq!(full.apply(Edit::Undo { revision: 1 }, Source::Hand, 0), Err(BoardError::TooManyCards));

        // 261 cards of 8,000 bytes of notes leave less than one card's notes of room.
        let mut big = Board::with_cards((0..261).map(|n| card(n, limits::MAX_NOTES_CHARS)).collect());
        let room = limits::MAX_CARDS_TEXT_BYTES - big.cards_text_bytes();
        let new_card = "kanban-card-001".len() + "One more".len();
        let err = big.apply(create(room), Source::Hand, 0).unwrap_err();
        let kib = (limits::MAX_CARDS_TEXT_BYTES + new_card).div_ceil(1024);
        assert_eq!(err, BoardError::BoardTooBig { kib });
        let message = format!("the board is full: its cards would hold {kib} KB of text and the limit is 2048 KB");
        assert!(err.to_string().starts_with(&message), "{err}");
        big.apply(create(room - new_card - 5), Source::Hand, 0).unwrap();
        let grow = Edit::Update { card_id: "c1".into(), title: Some("much longer".into()), notes: None, tags: None };
        assert!(matches!(big.apply(grow, Source::Hand, 0), Err(BoardError::BoardTooBig { .. })));
        let tag = Edit::AddTags { card_id: "c1".into(), tags: vec!["x".repeat(limits::MAX_TAG_CHARS)] };
        assert!(matches!(big.apply(tag, Source::Hand, 0), Err(BoardError::BoardTooBig { .. })));
        // What shrinks, keeps or moves a card always goes through.
        let shrink = Edit::Update { card_id: "c1".into(), title: None, notes: Some("short".into()), tags: None };
        big.apply(shrink, Source::Hand, 0).unwrap();
        big.apply(Edit::Move { card_id: "c2".into(), status: Status::Done, position: Some(0) }, Source::Hand, 0)
            .unwrap();
        assert_eq!(big.apply(Edit::Undo { revision: 2 }, Source::Hand, 0).map(|c| c.revision), Ok(4));
    }
}
