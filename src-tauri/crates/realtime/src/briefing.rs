//! What the model on the current call has been told of the board, and so what it must be
//! told next: a change newer than the last board message, unless the model made it itself
//! (its tool call's answer already says what changed); the board again when the server cut
//! the conversation short (a response read fewer tokens than the one before, which only
//! happens when the oldest items, the board message first, were dropped); the transcription
//! hints when they differ; and one more response after a look-up, so the model can act on
//! what it found, a few times in a row at most. Plain Rust, no I/O.

use std::collections::VecDeque;

use board::{Change, Source};

/// Function calls remembered as answered on this call: their changes arrive right after.
const ANSWERS_KEPT: usize = 64;
/// At most this many look-ups in a row each get a response to act on what was found, so a
/// model that keeps looking cannot loop at our expense.
pub const MAX_LOOKS_IN_A_ROW: u32 = 3;

#[derive(Debug, Clone, Default)]
pub struct Briefing {
    /// The revision of the last board message sent: changes up to it are in it.
    snapshot: Option<u64>,
    answered: VecDeque<String>,
    input_tokens: u64,
    hints: String,
    looks_in_a_row: u32,
    follow_up: bool,
}

impl Briefing {
    /// A new call, set up with these transcription hints.
    pub fn new(hints: String) -> Self {
        Briefing { hints, ..Briefing::default() }
    }

    /// A board message showing `revision` was sent.
    pub fn snapshot_sent(&mut self, revision: u64) {
        self.snapshot = Some(revision);
    }

    /// The function call `call_id` was answered on this call.
    pub fn answered(&mut self, call_id: &str) {
        if self.answered.len() == ANSWERS_KEPT {
            self.answered.pop_front();
        }
        self.answered.push_back(call_id.to_owned());
    }

    /// Whether this change must be sent to the model as a line of its own.
    pub fn needs_telling(&self, change: &Change) -> bool {
        let Some(snapshot) = self.snapshot else { return false };
        if change.revision <= snapshot {
            return false;
        }
        match &change.source {
            Source::Voice { call_id, .. } => !self.answered.iter().any(|answered| answered == call_id),
            Source::Hand | Source::Participant { .. } => true,
        }
    }

    /// A response finished having read `input_tokens` of conversation; true when the server
    /// cut the conversation short since the last one, so the board must be sent again.
    pub fn response_read(&mut self, input_tokens: u64) -> bool {
        let cut = input_tokens < self.input_tokens;
        self.input_tokens = input_tokens;
        cut
    }

    /// The transcription hints the call has now.
    pub fn hints(&self) -> &str {
        &self.hints
    }

    /// The hints to send, if they differ from those the call has.
    pub fn new_hints(&mut self, hints: String) -> Option<String> {
        if hints == self.hints {
            return None;
        }
        self.hints = hints.clone();
        Some(hints)
    }

    /// A look-up was answered: the response it came in is followed by another, unless the
    /// model has looked too often in a row.
    pub fn looked(&mut self) {
        self.looks_in_a_row += 1;
        self.follow_up = self.looks_in_a_row <= MAX_LOOKS_IN_A_ROW;
    }

    /// The model changed the board or chose to do nothing: the next look-up starts a new run.
    pub fn acted(&mut self) {
        self.looks_in_a_row = 0;
    }

    /// Whether the response that just finished must be followed by another.
    pub fn take_follow_up(&mut self) -> bool {
        std::mem::take(&mut self.follow_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::Edit;

    fn change(revision: u64, source: Source) -> Change {
        let operation = Edit::Delete { card_id: "c".into() };
        Change { revision, at: 0, source, operation, before: None, after: None, suggestion: None, batch: None }
    }

    fn voice(call_id: &str) -> Source {
        Source::Voice { call_id: call_id.into(), transcript: None, speakers: vec![] }
    }

    #[test]
    fn changes_after_the_board_message_are_told_except_the_models_own() {
        let mut briefing = Briefing::new(String::new());
        assert!(!briefing.needs_telling(&change(1, Source::Hand)), "nothing before the board message");
        briefing.snapshot_sent(10);
        assert!(!briefing.needs_telling(&change(10, Source::Hand)), "already in the board message");
        assert!(briefing.needs_telling(&change(11, Source::Hand)));
        assert!(briefing.needs_telling(&change(12, Source::Participant { name: "Ana".into() })));
        briefing.answered("call_1");
        assert!(!briefing.needs_telling(&change(13, voice("call_1"))), "its answer said so");
        assert!(briefing.needs_telling(&change(14, voice("call_0"))), "answered on the call before");
    }

    #[test]
    fn only_the_latest_answers_are_remembered() {
        let mut briefing = Briefing::new(String::new());
        briefing.snapshot_sent(0);
        for i in 0..=ANSWERS_KEPT {
            briefing.answered(&format!("call_{i}"));
        }
        assert!(briefing.needs_telling(&change(1, voice("call_0"))));
        assert!(!briefing.needs_telling(&change(1, voice(&format!("call_{ANSWERS_KEPT}")))));
    }

    #[test]
    fn fewer_tokens_read_than_before_means_the_conversation_was_cut() {
        let mut briefing = Briefing::new(String::new());
        assert!(!briefing.response_read(3_000));
        assert!(!briefing.response_read(3_500));
        assert!(!briefing.response_read(3_500));
        assert!(briefing.response_read(2_100), "cut");
        assert!(!briefing.response_read(2_400));
    }

    #[test]
    fn hints_are_sent_only_when_they_change() {
        let mut briefing = Briefing::new("a".into());
        assert_eq!(briefing.new_hints("a".into()), None);
        assert_eq!(briefing.new_hints("b".into()), Some("b".into()));
        assert_eq!(briefing.new_hints("b".into()), None);
    }

    #[test]
    fn look_ups_get_a_follow_up_a_few_times_in_a_row() {
        let mut briefing = Briefing::new(String::new());
        assert!(!briefing.take_follow_up());
        for _ in 0..MAX_LOOKS_IN_A_ROW {
            briefing.looked();
            assert!(briefing.take_follow_up());
            assert!(!briefing.take_follow_up(), "once per response");
        }
        briefing.looked();
        assert!(!briefing.take_follow_up(), "the model keeps looking: no more responses for it");
        briefing.acted();
        briefing.looked();
        assert!(briefing.take_follow_up());
    }
}
