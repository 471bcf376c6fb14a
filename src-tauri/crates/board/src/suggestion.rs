//! Voice edits that wait for a person: the voice operator's deletions (and, when the host
//! asks for it, all its edits) are filed as suggestions instead of being applied. A person
//! in the window or on a page accepts one (it is applied then, as it was asked) or rejects
//! it; one nobody answered expires when the meeting ends. Filing, answering and expiring
//! are board changes like any other, so they are saved, reach every copy of the board and
//! stay in the activity log with the words that led to them. Plain data and rules, no I/O.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::change::{PlacedCard, Source};
use crate::edit::{BoardError, Edit};
use crate::model::{Board, Card};

/// The most suggestions waiting at once: past it the voice operator is told to wait for
/// answers, so a model that keeps suggesting cannot bury the people in questions.
pub const MAX_PENDING: usize = 16;

/// An edit waiting for a person to accept or reject it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The revision of the change that filed it: unique on this board.
    #[specta(type = u32)]
    pub id: u64,
    /// What would be applied on acceptance: a card's creation, move, tags, update or deletion.
    pub edit: Edit,
    /// Who suggested it: the voice operator, with the words that led to it.
    pub source: Source,
    /// Unix time in milliseconds.
    #[specta(type = u32)]
    pub at: i64,
    /// The card it is about as it was when suggested; none for a new card.
    pub card: Option<Card>,
}

impl Suggestion {
    /// Its text in UTF-8 bytes, for the activity log's size cap (see [`crate::Change::text_bytes`]).
    pub fn text_bytes(&self) -> usize {
        self.edit.text_bytes() + self.source.text_bytes() + self.card.as_ref().map_or(0, Card::text_bytes)
    }
}

/// What a change did to the cards, and the suggestion it filed or answered, if any.
pub(crate) type Settled = (Option<PlacedCard>, Option<PlacedCard>, Option<Suggestion>);

impl Board {
    /// Files `edit`, suggested by `source`, as the suggestion the next change makes. It must
    /// apply to the board as it is now, so nobody is asked to accept what could never work;
    /// the cards stay as they are.
    pub(crate) fn suggest(&mut self, edit: &Edit, source: &Source, at: i64) -> Result<Settled, BoardError> {
        if !matches!(source, Source::Voice { .. }) {
            return Err(BoardError::OnlyVoiceSuggests);
        }
        if !edit.can_be_suggested() {
            return Err(BoardError::NotSuggestable);
        }
        if self.pending.len() >= MAX_PENDING {
            return Err(BoardError::TooManySuggestions);
        }
        let card = edit.card_id().and_then(|id| self.card(id)).cloned();
        let next_card_number = self.next_card_number;
        let (before, after) = self.change_cards(edit)?;
        self.put_back(before, after.as_ref());
        self.next_card_number = next_card_number;
        let suggestion = Suggestion { id: self.revision + 1, edit: edit.clone(), source: source.clone(), at, card };
        self.pending.push(suggestion.clone());
        Ok((None, None, Some(suggestion)))
    }

    /// Applies the waiting suggestion `id`, accepted by `source` (a person). If it no longer
    /// applies (its card was deleted meanwhile), it keeps waiting, to be rejected.
    pub(crate) fn accept(&mut self, id: u64, source: &Source) -> Result<Settled, BoardError> {
        if matches!(source, Source::Voice { .. }) {
            return Err(BoardError::PersonMustAnswer);
        }
        let index = self.pending_index(id)?;
        let (before, after) = self.change_cards(&self.pending[index].edit.clone())?;
        Ok((before, after, Some(self.pending.remove(index))))
    }

    /// Drops the waiting suggestion `id`: rejected by a person, or expired (`source` is then
    /// the voice operator that suggested it) when the meeting ended unanswered.
    pub(crate) fn withdraw(&mut self, id: u64, source: &Source, expired: bool) -> Result<Settled, BoardError> {
        let voice = matches!(source, Source::Voice { .. });
        if voice != expired {
            return Err(if expired { BoardError::OnlyVoiceSuggests } else { BoardError::PersonMustAnswer });
        }
        let index = self.pending_index(id)?;
        Ok((None, None, Some(self.pending.remove(index))))
    }

    fn pending_index(&self, id: u64) -> Result<usize, BoardError> {
        self.pending.iter().position(|s| s.id == id).ok_or(BoardError::UnknownSuggestion(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::seed;

    fn voice(words: &str) -> Source {
        Source::Voice { call_id: "call_1".into(), transcript: Some(words.into()), speakers: vec![] }
    }

    fn suggest(board: &mut Board, edit: Edit) -> Result<crate::Change, BoardError> {
        board.apply(Edit::Suggest { edit: Box::new(edit) }, voice("delete the ICE card"), 5)
    }

    #[test]
    fn a_suggestion_changes_no_card_until_a_person_accepts_it() {
        let mut board = seed::board();
        let cards = board.columns().to_vec();
        let filed = suggest(&mut board, Edit::Delete { card_id: "card-003".into() }).unwrap();
        assert_eq!(board.columns(), cards, "nothing changes on the board");
        let suggestion = filed.suggestion.clone().unwrap();
        assert_eq!(suggestion.id, filed.revision);
        assert_eq!(suggestion.card.as_ref().unwrap().id, "card-003");
        assert_eq!(board.pending(), std::slice::from_ref(&suggestion));

        let ana = Source::Participant { name: "Ana".into() };
        let accepted = board.apply(Edit::Accept { suggestion: suggestion.id }, ana.clone(), 9).unwrap();
        assert!(board.card("card-003").is_none());
        assert_eq!(accepted.before.unwrap().card.id, "card-003");
        assert_eq!(accepted.suggestion, Some(suggestion.clone()));
        assert!(board.pending().is_empty());
        // Answered once only.
        let again = board.apply(Edit::Reject { suggestion: suggestion.id }, ana, 9).unwrap_err();
        assert_eq!(again, BoardError::UnknownSuggestion(suggestion.id));
        // An accepted deletion is undone like any other.
        board.apply(Edit::Undo { revision: accepted.revision }, Source::Hand, 10).unwrap();
        assert_eq!(board.columns(), cards);
        board.check().unwrap();
    }

    #[test]
    fn a_rejected_or_expired_suggestion_changes_no_card() {
        let mut board = seed::board();
        let cards = board.columns().to_vec();
        let create = Edit::Create {
            status: Status::Backlog,
            title: "Ship it".into(),
            notes: String::new(),
            tags: vec![],
            position: None,
        };
        let first = suggest(&mut board, create.clone()).unwrap().revision;
        let second = suggest(&mut board, create).unwrap().revision;
        assert_eq!(board.next_card_number, 1, "a suggested card takes no id until it exists");
        board.apply(Edit::Reject { suggestion: first }, Source::Hand, 6).unwrap();
        let expired = board.apply(Edit::Expire { suggestion: second }, voice("x"), 7).unwrap();
        assert_eq!((expired.before, expired.after), (None, None));
        assert_eq!(board.columns(), cards);
        assert!(board.pending().is_empty());
        assert_eq!(board.activity().count(), 4, "each step is in the activity log");
        assert_eq!(board.apply(Edit::Undo { revision: first }, Source::Hand, 8), Err(BoardError::NothingToUndo(first)));
        board.check().unwrap();
    }

    #[test]
    fn only_the_voice_suggests_and_only_a_person_answers() {
        let mut board = seed::board();
        let delete = Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-001".into() }) };
        assert_eq!(board.apply(delete.clone(), Source::Hand, 0), Err(BoardError::OnlyVoiceSuggests));
        let id = board.apply(delete, voice("x"), 0).unwrap().revision;
        assert_eq!(board.apply(Edit::Accept { suggestion: id }, voice("yes"), 0), Err(BoardError::PersonMustAnswer));
        assert_eq!(board.apply(Edit::Reject { suggestion: id }, voice("no"), 0), Err(BoardError::PersonMustAnswer));
        assert_eq!(board.apply(Edit::Expire { suggestion: id }, Source::Hand, 0), Err(BoardError::OnlyVoiceSuggests));
        assert_eq!(board.pending().len(), 1);
    }

    #[test]
    fn what_could_never_apply_is_refused_before_anyone_is_asked() {
        let mut board = seed::board();
        let before = board.clone();
        let unknown = suggest(&mut board, Edit::Delete { card_id: "card-999".into() }).unwrap_err();
        assert_eq!(unknown, BoardError::UnknownCard("card-999".into()));
        let nested = Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-001".into() }) };
        assert_eq!(suggest(&mut board, nested), Err(BoardError::NotSuggestable));
        assert_eq!(suggest(&mut board, Edit::Undo { revision: 1 }), Err(BoardError::NotSuggestable));
        assert_eq!(board, before);
    }

    #[test]
    fn a_suggestion_whose_card_went_keeps_waiting_to_be_rejected() {
        let mut board = seed::board();
        let move_it = Edit::Move { card_id: "card-002".into(), status: Status::Done, position: None };
        let id = suggest(&mut board, move_it).unwrap().revision;
        board.apply(Edit::Delete { card_id: "card-002".into() }, Source::Hand, 1).unwrap();
        let refused = board.apply(Edit::Accept { suggestion: id }, Source::Hand, 2).unwrap_err();
        assert_eq!(refused, BoardError::UnknownCard("card-002".into()));
        assert_eq!(board.pending().len(), 1);
        board.apply(Edit::Reject { suggestion: id }, Source::Hand, 3).unwrap();
        board.check().unwrap();
    }

    #[test]
    fn at_most_so_many_wait() {
        let mut board = seed::board();
        for _ in 0..MAX_PENDING {
            suggest(&mut board, Edit::Delete { card_id: "card-001".into() }).unwrap();
        }
        let refused = suggest(&mut board, Edit::Delete { card_id: "card-001".into() }).unwrap_err();
        assert_eq!(refused, BoardError::TooManySuggestions);
        assert!(refused.to_string().contains("accept or reject some first"), "{refused}");
        board.check().unwrap();
    }
}
