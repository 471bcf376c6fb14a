//! Which words led to a tool call, and who said them. The server commits each utterance as
//! an input item, transcribes it asynchronously and answers it with a response; a change
//! made by voice carries the transcript of the latest committed utterance, or the latest
//! finished transcript when that one is not done yet. Plain Rust, bounded.

use std::collections::VecDeque;

const REMEMBERED: usize = 64;

#[derive(Default)]
pub struct Transcripts {
    latest_committed: Option<String>,
    /// (item id, what was said), newest last.
    finished: VecDeque<(String, Heard)>,
}

/// An utterance's words and who said them (most speech first; empty if nobody known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub text: String,
    pub speakers: Vec<String>,
}

impl Transcripts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn committed(&mut self, item_id: &str) {
        self.latest_committed = Some(item_id.to_owned());
    }

    pub fn finished(&mut self, item_id: &str, transcript: &str, speakers: Vec<String>) {
        if self.finished.len() == REMEMBERED {
            self.finished.pop_front();
        }
        self.finished.push_back((item_id.to_owned(), Heard { text: transcript.trim().to_owned(), speakers }));
    }

    /// The words behind the call being applied now, and who said them.
    pub fn for_call(&self) -> Option<Heard> {
        let of_committed =
            self.latest_committed.as_ref().and_then(|id| self.finished.iter().rev().find(|(item, _)| item == id));
        of_committed.or(self.finished.back()).map(|(_, heard)| heard.clone()).filter(|heard| !heard.text.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_utterance_wins_over_older_ones() {
        let mut t = Transcripts::new();
        let text = |t: &Transcripts| t.for_call().map(|heard| heard.text);
        assert_eq!(t.for_call(), None);
        t.finished("i1", " I started on ICE restarts. ", vec![]);
        assert_eq!(text(&t).as_deref(), Some("I started on ICE restarts."));
        t.committed("i2");
        t.finished("i3", "later words", vec![]);
        t.finished("i2", "the DTLS card is done", vec!["Bo".into()]);
        t.finished("i4", "newest", vec![]);
        assert_eq!(t.for_call(), Some(Heard { text: "the DTLS card is done".into(), speakers: vec!["Bo".into()] }));
        t.committed("i9");
        assert_eq!(text(&t).as_deref(), Some("newest"));
    }
}
