//! Changes of many cards at once: an import, which adds cards or replaces the board's, and
//! its undo. Each is one change holding a [`Batch`], validated whole before any card moves.

use std::collections::HashSet;

use crate::change::{Batch, PlacedCard, Source};
use crate::edit::{BoardError, NewCard};
use crate::limits;
use crate::model::{generated_number, Board, Card, Status, GENERATED_ID_PREFIX};

impl Board {
    /// Places `cards` after the board's (or instead of them, with `replace`); see [`crate::Edit::Import`].
    pub(crate) fn import(&mut self, cards: &[NewCard], replace: bool, source: &Source) -> Result<Batch, BoardError> {
        if *source != Source::Hand {
            return Err(BoardError::OnlyHostImports);
        }
        if cards.is_empty() {
            return Err(BoardError::NothingToChange("the file holds no cards".into()));
        }
        let kept = if replace { 0 } else { self.card_count() };
        if kept + cards.len() > limits::MAX_CARDS {
            return Err(BoardError::TooManyCards);
        }
        let (incoming, next_card_number) = self.checked(cards, replace)?;
        let removed: Vec<PlacedCard> = if replace { self.placed_cards().collect() } else { Vec::new() };
        let kept_bytes = if replace { 0 } else { self.cards_text_bytes() };
        let bytes = kept_bytes + incoming.iter().map(Card::text_bytes).sum::<usize>();
        if bytes > limits::MAX_CARDS_TEXT_BYTES {
            return Err(BoardError::BoardTooBig { kib: bytes.div_ceil(1024) });
        }
        let mut batch = Batch { removed, added: Vec::new() };
        batch.added = self.placed_after(&batch.removed, incoming);
        fits_one_change(batch.text_bytes())?;
        self.place(&batch);
        self.next_card_number = next_card_number;
        Ok(batch)
    }

    /// The cards of `cards` made valid, with ids, and the id counter after them.
    fn checked(&self, cards: &[NewCard], replace: bool) -> Result<(Vec<Card>, u64), BoardError> {
        let mut next = self.next_card_number;
        let mut ids = HashSet::new();
        let mut checked = Vec::with_capacity(cards.len());
        for (n, card) in cards.iter().enumerate() {
            let at = |error| BoardError::ImportedCard { number: n + 1, error: Box::new(error) };
            // Ids are kept only where no card of the board stays to clash with them.
            let id = match card.id.as_deref().filter(|_| replace) {
                Some(id) => {
                    let id = limits::card_id(id).map_err(at)?;
                    if let Some(number) = generated_number(&id) {
                        next = next.max(number + 1);
                    }
                    if !ids.insert(id.clone()) {
                        return Err(at(BoardError::DuplicateId(id)));
                    }
                    id
                }
                None => String::new(),
            };
            checked.push(Card {
                id,
                status: card.status,
                title: limits::title(&card.title).map_err(at)?,
                notes: limits::notes(&card.notes).map_err(at)?,
                tags: limits::tags(&card.tags).map_err(at)?,
            });
        }
        // New ids count on from every kept one, so none can clash.
        for card in checked.iter_mut().filter(|card| card.id.is_empty()) {
            card.id = format!("{GENERATED_ID_PREFIX}{next:03}");
            next += 1;
        }
        Ok((checked, next))
    }

    /// Every card with its place, in board order.
    fn placed_cards(&self) -> impl Iterator<Item = PlacedCard> + '_ {
        self.columns.iter().flat_map(|column| {
            column
                .cards
                .iter()
                .enumerate()
                .map(|(index, card)| PlacedCard { card: card.clone(), position: index as u32 })
        })
    }

    /// Where `cards` land at the end of their columns once `removed` is off the board, in board order.
    fn placed_after(&self, removed: &[PlacedCard], cards: Vec<Card>) -> Vec<PlacedCard> {
        let mut lengths = Status::ALL.map(|status| self.column(status).len());
        for gone in removed {
            lengths[gone.card.status.index()] -= 1;
        }
        let mut placed: Vec<PlacedCard> = cards
            .into_iter()
            .map(|card| {
                let length = &mut lengths[card.status.index()];
                *length += 1;
                PlacedCard { card, position: *length as u32 - 1 }
            })
            .collect();
        placed.sort_by_key(|p| (p.card.status.index(), p.position));
        placed
    }

    /// Whether the change with this revision is a batch.
    pub(crate) fn is_batch(&self, revision: u64) -> bool {
        self.activity.iter().any(|change| change.revision == revision && change.batch.is_some())
    }

    /// Takes back the batch change `revision`, if every card it put on is still as it left it.
    pub(crate) fn undo_batch(&mut self, revision: u64) -> Result<Batch, BoardError> {
        let change =
            self.activity.iter().find(|c| c.revision == revision).ok_or(BoardError::UnknownChange(revision))?;
        let batch = change.batch.clone().ok_or(BoardError::NothingToUndo(revision))?;
        let mut removed = Vec::with_capacity(batch.added.len());
        for added in &batch.added {
            let conflict = || BoardError::UndoConflict { revision, title: added.card.title.clone() };
            let slot = self.slot(&added.card.id).ok_or_else(conflict)?;
            if self.column(slot.status)[slot.index] != added.card {
                return Err(conflict());
            }
            removed.push(PlacedCard { card: added.card.clone(), position: slot.index as u32 });
        }
        removed.sort_by_key(|p| (p.card.status.index(), p.position));
        let text = |cards: &[PlacedCard]| cards.iter().map(|p| p.card.text_bytes()).sum::<usize>();
        let count = self.card_count() - removed.len() + batch.removed.len();
        if count > limits::MAX_CARDS {
            return Err(BoardError::TooManyCards);
        }
        let bytes = self.cards_text_bytes() + text(&batch.removed) - text(&removed);
        if bytes > limits::MAX_CARDS_TEXT_BYTES {
            return Err(BoardError::BoardTooBig { kib: bytes.div_ceil(1024) });
        }
        fits_one_change(text(&removed) + text(&batch.removed))?;
        // The cards come back where they were, or at their column's end if it has fewer cards now.
        self.take_off(&removed);
        let added = batch.removed.into_iter().map(|p| self.insert(p.card, Some(p.position))).collect();
        Ok(Batch { removed, added })
    }

    /// Makes the change `batch` records: its removed cards off, its added ones on in order.
    pub(crate) fn place(&mut self, batch: &Batch) {
        self.take_off(&batch.removed);
        for added in &batch.added {
            if let Some(number) = generated_number(&added.card.id) {
                self.next_card_number = self.next_card_number.max(number + 1);
            }
            self.insert(added.card.clone(), Some(added.position));
        }
    }

    fn take_off(&mut self, cards: &[PlacedCard]) {
        let gone: HashSet<&str> = cards.iter().map(|p| p.card.id.as_str()).collect();
        for column in &mut self.columns {
            column.cards.retain(|card| !gone.contains(card.id.as_str()));
        }
    }

    /// Whether `batch` describes a change made on this board: each card it removes is here as
    /// it says, and each it adds is new or one it removes.
    pub(crate) fn describes_batch(&self, batch: &Batch) -> bool {
        let removed: HashSet<&str> = batch.removed.iter().map(|p| p.card.id.as_str()).collect();
        batch.removed.iter().all(|p| self.column(p.card.status).get(p.position as usize) == Some(&p.card))
            && batch.added.iter().all(|p| removed.contains(p.card.id.as_str()) || self.card(&p.card.id).is_none())
    }
}

/// A batch is one entry of the activity log, so it must fit in it whole.
fn fits_one_change(bytes: usize) -> Result<(), BoardError> {
    if bytes > limits::MAX_ACTIVITY_TEXT_BYTES {
        return Err(BoardError::ImportTooBig { kib: bytes.div_ceil(1024) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Change;
    use crate::edit::Edit;
    use crate::seed;

    fn new(id: Option<&str>, status: Status, title: &str) -> NewCard {
        NewCard { id: id.map(str::to_owned), status, title: title.into(), notes: String::new(), tags: vec![] }
    }

    fn import(replace: bool, cards: Vec<NewCard>) -> Edit {
        Edit::Import { from: "board.csv".into(), replace, cards }
    }

    fn titles(board: &Board, status: Status) -> Vec<&str> {
        board.column(status).iter().map(|c| c.title.as_str()).collect()
    }

    #[test]
    fn an_import_adds_after_the_cards_and_undoes_as_one_change() {
        let mut board = seed::board();
        let before = board.clone();
        let cards = vec![new(Some("card-001"), Status::Done, "Ship"), new(None, Status::Backlog, "Plan")];
        let change = board.apply(import(false, cards), Source::Hand, 1).unwrap();
        let batch = change.batch.as_ref().unwrap();
        assert!(batch.removed.is_empty());
        // Added ids are new even when the file names one, given in the file's order; the batch is in board order.
        let added: Vec<_> = batch.added.iter().map(|p| (p.card.id.as_str(), p.card.title.as_str())).collect();
        assert_eq!(added, [("kanban-card-002", "Plan"), ("kanban-card-001", "Ship")]);
        assert_eq!(titles(&board, Status::Done).last(), Some(&"Ship"));
        assert_eq!(board.card_count(), before.card_count() + 2);
        assert_eq!(change.operation, Edit::Import { from: "board.csv".into(), replace: false, cards: vec![] });
        board.check().unwrap();

        board.apply(Edit::Undo { revision: change.revision }, Source::Hand, 2).unwrap();
        assert_eq!(board.columns(), before.columns());
        board.check().unwrap();
    }

    #[test]
    fn a_replacing_import_keeps_the_files_ids_and_its_undo_brings_the_board_back() {
        let mut board = seed::board();
        let before = board.clone();
        let cards = vec![new(Some("kanban-card-040"), Status::Blocked, "Wait"), new(None, Status::Blocked, "Then")];
        let change = board.apply(import(true, cards), Source::Hand, 1).unwrap();
        assert_eq!(board.card_count(), 2);
        assert_eq!(board.column(Status::Blocked)[1].id, "kanban-card-041", "new ids count on from kept ones");
        board.check().unwrap();
        // Someone adds a card after the import; undoing the import keeps it.
        let create = Edit::Create {
            status: Status::Done,
            title: "Later".into(),
            notes: "".into(),
            tags: vec![],
            position: Some(0),
        };
        board.apply(create, Source::Hand, 2).unwrap();
        let undo = board.apply(Edit::Undo { revision: change.revision }, Source::Hand, 3).unwrap();
        assert_eq!(board.card_count(), before.card_count() + 1);
        assert_eq!(titles(&board, Status::Done)[0], "Later");
        board.check().unwrap();
        // And the undo can be undone.
        board.apply(Edit::Undo { revision: undo.revision }, Source::Hand, 4).unwrap();
        assert_eq!(titles(&board, Status::Blocked), ["Wait", "Then"]);
        board.check().unwrap();
    }

    #[test]
    fn a_bad_import_changes_nothing_and_says_which_card() {
        let mut board = seed::board();
        let before = board.clone();
        let refused =
            |board: &mut Board, replace, cards| board.apply(import(replace, cards), Source::Hand, 0).unwrap_err();
        let err = refused(&mut board, false, vec![new(None, Status::Done, "ok"), new(None, Status::Done, "  ")]);
        assert_eq!(err.to_string(), "card 2 of the file: a card needs a title");
        let twice = vec![new(Some("a"), Status::Done, "one"), new(Some("a"), Status::Done, "two")];
        assert_eq!(refused(&mut board, true, twice).to_string(), "card 2 of the file: two cards have the id \"a\"");
        let bad_id = vec![new(Some("no spaces"), Status::Done, "one")];
        assert!(refused(&mut board, true, bad_id).to_string().contains("cannot be a card id"));
        assert!(matches!(refused(&mut board, false, vec![]), BoardError::NothingToChange(_)));
        let participant = Source::Participant { name: "Ana".into() };
        let by_ana = board.apply(import(false, vec![new(None, Status::Done, "x")]), participant, 0);
        assert_eq!(by_ana.unwrap_err(), BoardError::OnlyHostImports);
        let many = (0..=limits::MAX_CARDS).map(|n| new(None, Status::Backlog, &format!("c{n}"))).collect();
        assert_eq!(refused(&mut board, true, many), BoardError::TooManyCards);
        // 80 cards of 8,000 characters of notes: 640 KB in one change, more than the activity log holds.
        let big = (0..80)
            .map(|n| NewCard {
                notes: "n".repeat(limits::MAX_NOTES_CHARS),
                ..new(None, Status::Backlog, &format!("c{n}"))
            })
            .collect();
        assert!(matches!(refused(&mut board, true, big), BoardError::ImportTooBig { .. }));
        assert_eq!(board, before);
    }

    #[test]
    fn an_import_is_not_undone_over_a_later_edit_of_its_cards() {
        let mut board = seed::board();
        let change = board.apply(import(false, vec![new(None, Status::Done, "Ship")]), Source::Hand, 1).unwrap();
        let id = change.batch.as_ref().unwrap().added[0].card.id.clone();
        board.apply(Edit::Move { card_id: id, status: Status::Backlog, position: None }, Source::Hand, 2).unwrap();
        let before = board.clone();
        let err = board.apply(Edit::Undo { revision: change.revision }, Source::Hand, 3).unwrap_err();
        assert!(matches!(err, BoardError::UndoConflict { .. }), "{err}");
        assert_eq!(board, before);
    }

    #[test]
    fn a_copy_follows_imports_and_their_undos_and_a_journal_replays_them() {
        let mut room = seed::board();
        let start = room.clone();
        let mut copy = room.clone();
        let edits = [
            import(false, vec![new(None, Status::Done, "Ship"), new(None, Status::Backlog, "Plan")]),
            Edit::Delete { card_id: "card-002".into() },
            import(true, vec![new(Some("x.1"), Status::Blocked, "Wait"), new(None, Status::Done, "Go")]),
            Edit::Undo { revision: 3 },
            Edit::Undo { revision: 1 },
        ];
        let mut changes = Vec::new();
        for edit in edits {
            let change = room.apply(edit, Source::Hand, 0).unwrap();
            assert_eq!(copy.follow(&change), crate::Followed::Applied);
            assert_eq!(copy.columns(), room.columns(), "after change {}", change.revision);
            changes.push(change);
        }
        copy.check().unwrap();
        let mut replayed = start;
        crate::journal::replay(&mut replayed, &changes).unwrap();
        assert_eq!(replayed.columns(), room.columns());
        // A record that does not match the board it is replayed on is refused.
        let mut other = seed::board();
        other.apply(Edit::Delete { card_id: "card-001".into() }, Source::Hand, 0).unwrap();
        let wrong = Change { revision: 2, ..changes[2].clone() };
        assert!(crate::journal::replay(&mut other, &[wrong]).is_err());
    }
}
