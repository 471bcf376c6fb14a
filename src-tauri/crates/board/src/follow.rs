//! Following a board kept elsewhere (a room joined as a guest): each change record the room
//! sends is placed on this copy as it says — the card as it is after the change, at its
//! position, or gone — so the copy stays what the room's board is. Changes come in revision
//! order; one already seen is ignored, and a missing one means the copy must be replaced by
//! the whole board.

use crate::change::Change;
use crate::edit::Edit;
use crate::model::{generated_number, Board};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    Applied,
    /// Already part of this copy.
    Stale,
    /// One or more changes before it are missing: take the whole board again.
    Gap,
}

impl Board {
    /// Places `change`, made on the board this copy follows, onto the copy.
    pub fn follow(&mut self, change: &Change) -> Followed {
        if change.revision <= self.revision {
            return Followed::Stale;
        }
        if change.revision != self.revision + 1 {
            return Followed::Gap;
        }
        let id = change.card_id().to_owned();
        if let Some(slot) = self.slot(&id) {
            self.cards_mut(slot.status).remove(slot.index);
        }
        if let Some(batch) = &change.batch {
            self.place(batch);
        }
        if let Some(after) = &change.after {
            // A card created there: ids made here later (none, while following) stay unique.
            if let Some(number) = generated_number(&after.card.id) {
                self.next_card_number = self.next_card_number.max(number + 1);
            }
            let cards = self.cards_mut(after.card.status);
            let position = (after.position as usize).min(cards.len());
            cards.insert(position, after.card.clone());
        }
        if let Some(suggestion) = &change.suggestion {
            self.pending.retain(|waiting| waiting.id != suggestion.id);
            if matches!(change.operation, Edit::Suggest { .. }) {
                self.pending.push(suggestion.clone());
            }
        }
        self.revision = change.revision;
        self.log(change.clone());
        Followed::Applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Source;
    use crate::model::Status;
    use crate::seed;

    #[test]
    fn a_copy_that_follows_the_changes_stays_the_board() {
        let mut room = seed::board();
        let mut copy = room.clone();
        let source = Source::Participant { name: "Ana".into() };
        let edits = [
            Edit::Move { card_id: "card-003".into(), status: Status::Done, position: None },
            Edit::Create {
                title: "Write the release notes".into(),
                notes: String::new(),
                tags: vec!["docs".into()],
                status: Status::InProgress,
                position: None,
            },
            Edit::Move { card_id: "card-001".into(), status: Status::Backlog, position: Some(3) },
            Edit::AddTags { card_id: "card-002".into(), tags: vec!["urgent".into()] },
            Edit::Delete { card_id: "card-004".into() },
            Edit::Undo { revision: 5 },
            Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-003".into() }) },
            Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-002".into() }) },
            Edit::Accept { suggestion: 7 },
            Edit::Reject { suggestion: 8 },
            Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-001".into() }) },
        ];
        let voice = Source::Voice { call_id: "call_9".into(), transcript: Some("drop it".into()), speakers: vec![] };
        for (n, edit) in edits.into_iter().enumerate() {
            let source = if matches!(edit, Edit::Suggest { .. }) { voice.clone() } else { source.clone() };
            let change = room.apply(edit, source, n as i64).unwrap();
            assert_eq!(copy.follow(&change), Followed::Applied);
            assert_eq!(copy.columns(), room.columns(), "after change {}", change.revision);
            assert_eq!(copy.pending(), room.pending(), "after change {}", change.revision);
            assert_eq!(copy.follow(&change), Followed::Stale);
        }
        assert_eq!(copy.revision(), room.revision());
        assert_eq!(copy.pending().len(), 1);
        copy.check().expect("the copy is a consistent board");
        assert_eq!(copy.activity().collect::<Vec<_>>(), room.activity().collect::<Vec<_>>());
    }

    #[test]
    fn a_missing_change_is_a_gap_and_changes_nothing() {
        let mut room = seed::board();
        let mut copy = room.clone();
        let first = room.apply(Edit::Delete { card_id: "card-001".into() }, Source::Hand, 0).unwrap();
        let second = room.apply(Edit::Delete { card_id: "card-002".into() }, Source::Hand, 0).unwrap();
        let before = copy.clone();
        assert_eq!(copy.follow(&second), Followed::Gap);
        assert_eq!(copy, before);
        assert_eq!(copy.follow(&first), Followed::Applied);
        assert_eq!(copy.follow(&second), Followed::Applied);
        assert_eq!(copy.columns(), room.columns());
    }
}
