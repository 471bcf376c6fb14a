//! Which words led to a tool call. The server commits each utterance as an input item,
//! transcribes it asynchronously and answers it with a response; a change made by voice
//! carries the transcript of the latest committed utterance, or the latest finished
//! transcript when that one is not done yet. Plain Rust, bounded.

use std::collections::VecDeque;

const REMEMBERED: usize = 64;

#[derive(Default)]
pub struct Transcripts {
    latest_committed: Option<String>,
    /// (item id, transcript), newest last.
    finished: VecDeque<(String, String)>,
}

impl Transcripts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn committed(&mut self, item_id: &str) {
        self.latest_committed = Some(item_id.to_owned());
    }

    pub fn finished(&mut self, item_id: &str, transcript: &str) {
        if self.finished.len() == REMEMBERED {
            self.finished.pop_front();
        }
        self.finished.push_back((item_id.to_owned(), transcript.trim().to_owned()));
    }

    /// The words behind the call being applied now.
    pub fn for_call(&self) -> Option<String> {
        let of_committed =
            self.latest_committed.as_ref().and_then(|id| self.finished.iter().rev().find(|(item, _)| item == id));
        of_committed.or(self.finished.back()).map(|(_, text)| text.clone()).filter(|text| !text.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_utterance_wins_over_older_ones() {
        let mut t = Transcripts::new();
        assert_eq!(t.for_call(), None);
        t.finished("i1", " I started on ICE restarts. ");
        assert_eq!(t.for_call().as_deref(), Some("I started on ICE restarts."));
        t.committed("i2");
        t.finished("i3", "later words");
        t.finished("i2", "the DTLS card is done");
        t.finished("i4", "newest");
        assert_eq!(t.for_call().as_deref(), Some("the DTLS card is done"));
        t.committed("i9");
        assert_eq!(t.for_call().as_deref(), Some("newest"));
    }
}
