//! Who is heard in the room mix: each frame handed out carries the sources that were speaking
//! in it (`MixFrame`), and whoever sends the mix somewhere keeps a bounded log of those frames
//! in the order they went out (`VoiceLog`), so a span of the sent audio ("from 4.3 s to 6.1 s
//! of this call") can later be put down to the people who spoke in it. Plain Rust, no I/O.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::Arc;

use crate::frame::{Frame, FRAME_MS};

/// The sources speaking in one frame, by mixer source id (none: nobody spoke).
pub type Voices = Vec<Arc<str>>;

/// One 20 ms frame of a feed and who was speaking in it.
#[derive(Debug, Clone, PartialEq)]
pub struct MixFrame {
    pub samples: Frame,
    pub voices: Voices,
}

impl Deref for MixFrame {
    type Target = Frame;

    fn deref(&self) -> &Frame {
        &self.samples
    }
}

/// How much of a call's sent audio the log keeps: 2 minutes, longer than any utterance the
/// service cuts (it ends one at a short silence); older frames are forgotten first.
pub const LOG_FRAMES: usize = 2 * 60 * 1000 / FRAME_MS as usize;
/// A source counts in a span only with at least this much speech in it (a cough, a chair
/// scraping, a word bleeding in does not make somebody a speaker)…
const MIN_SPEAKING_FRAMES: usize = 10;
/// …and at least this share of what the span's main speaker said: two people talking over
/// each other are both named, one person's "mm-hm" under another's report is not.
const MIN_SHARE_OF_MAIN: f32 = 0.3;

/// The frames sent on the current call, in order; frame `n` starts at `n × 20 ms` of the
/// call's audio, the clock the service reports speech on.
#[derive(Debug)]
pub struct VoiceLog {
    frames: VecDeque<Voices>,
    /// The call-relative index of `frames[0]`.
    first: u64,
    capacity: usize,
}

impl Default for VoiceLog {
    fn default() -> Self {
        VoiceLog::with_capacity(LOG_FRAMES)
    }
}

impl VoiceLog {
    pub fn with_capacity(capacity: usize) -> VoiceLog {
        VoiceLog { frames: VecDeque::with_capacity(capacity.min(LOG_FRAMES)), first: 0, capacity: capacity.max(1) }
    }

    /// A new call's audio starts at zero: what the last call was sent says nothing about it.
    pub fn new_call(&mut self) {
        self.frames.clear();
        self.first = 0;
    }

    /// One more frame went out on the current call.
    pub fn sent(&mut self, voices: &Voices) {
        if self.frames.len() == self.capacity {
            self.frames.pop_front();
            self.first += 1;
        }
        self.frames.push_back(voices.clone());
    }

    /// Frames sent on the current call so far.
    pub fn frames_sent(&self) -> u64 {
        self.first + self.frames.len() as u64
    }

    /// Who spoke between `start_ms` and `end_ms` of the current call's audio: the sources
    /// with enough speech in it, most speech first. Empty if nobody did (or the span is gone
    /// from the log).
    pub fn speakers(&self, start_ms: u64, end_ms: u64) -> Vec<Arc<str>> {
        let mut counts: Vec<(Arc<str>, usize)> = Vec::new();
        for voices in self.span(start_ms, end_ms) {
            for id in voices {
                match counts.iter_mut().find(|(counted, _)| counted == id) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((Arc::clone(id), 1)),
                }
            }
        }
        let main = counts.iter().map(|(_, count)| *count).max().unwrap_or(0);
        let enough = MIN_SPEAKING_FRAMES.max((main as f32 * MIN_SHARE_OF_MAIN).ceil() as usize);
        counts.retain(|(_, count)| *count >= enough);
        counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        counts.into_iter().map(|(id, _)| id).collect()
    }

    /// When speech first starts at or after `from_ms` (within `within_ms`), in ms of the
    /// call's audio: for measuring how the service's clock lines up with what was sent.
    pub fn onset_after(&self, from_ms: u64, within_ms: u64) -> Option<u64> {
        let from = from_ms / u64::from(FRAME_MS);
        self.span(from_ms, from_ms + within_ms)
            .position(|voices| !voices.is_empty())
            .map(|offset| (from.max(self.first) + offset as u64) * u64::from(FRAME_MS))
    }

    fn span(&self, start_ms: u64, end_ms: u64) -> impl Iterator<Item = &Voices> {
        let frame = |ms: u64| ms / u64::from(FRAME_MS);
        let start = frame(start_ms).max(self.first);
        let end = frame(end_ms).max(start);
        let skip = (start - self.first) as usize;
        let take = (end - start) as usize;
        self.frames.iter().skip(skip).take(take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(script: &[(u64, &[&str])]) -> VoiceLog {
        let mut log = VoiceLog::default();
        for (frames, who) in script {
            let voices: Voices = who.iter().map(|id| Arc::from(*id)).collect();
            for _ in 0..*frames {
                log.sent(&voices);
            }
        }
        log
    }

    fn names(speakers: Vec<Arc<str>>) -> Vec<String> {
        speakers.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn a_span_is_put_down_to_whoever_spoke_in_it() {
        // 0–1 s silence, 1–3 s Ana, 3–4 s silence, 4–6 s Bo, 6–8 s both, then Ana with a short "mm" from Bo.
        let log = log(&[
            (50, &[]),
            (100, &["p1"]),
            (50, &[]),
            (100, &["p2"]),
            (100, &["p1", "p2"]),
            (95, &["p1"]),
            (5, &["p1", "p2"]),
        ]);
        assert_eq!(names(log.speakers(700, 3200)), ["p1"]);
        assert_eq!(names(log.speakers(3700, 6000)), ["p2"]);
        assert_eq!(names(log.speakers(6000, 8000)).len(), 2, "both spoke");
        assert_eq!(names(log.speakers(8000, 10000)), ["p1"], "five frames of Bo under Ana's words do not count");
        assert!(log.speakers(0, 900).is_empty(), "nobody spoke");
        assert!(log.speakers(20_000, 30_000).is_empty(), "not sent yet");
        assert_eq!(log.onset_after(0, 2000), Some(1000));
        assert_eq!(log.onset_after(3100, 2000), Some(4000));
        assert_eq!(log.onset_after(3100, 500), None);
    }

    #[test]
    fn the_log_is_bounded_and_a_new_call_starts_at_zero() {
        let mut log = VoiceLog::with_capacity(100);
        let ana: Voices = vec![Arc::from("p1")];
        for _ in 0..150 {
            log.sent(&ana);
        }
        assert_eq!(log.frames_sent(), 150);
        assert_eq!(log.frames.len(), 100, "the oldest frames are forgotten");
        assert_eq!(names(log.speakers(0, 3000)), ["p1"], "what is left of a span still counts");
        assert!(log.speakers(0, 900).is_empty(), "frames 0–45 are forgotten");
        log.new_call();
        assert_eq!(log.frames_sent(), 0);
        log.sent(&Voices::new());
        assert!(log.speakers(0, 3000).is_empty());
    }
}
