//! Who said each utterance. The server marks where speech starts and stops in the call's
//! audio (`audio_start_ms`, `audio_end_ms`, on the clock of what was sent); the log of who
//! was heard in each frame sent (`audio::VoiceLog`) says whose speech that span holds, and
//! the room's names turn source ids into people. Plain Rust, bounded.

use std::collections::{BTreeMap, VecDeque};

use audio::VoiceLog;

use crate::session::{PREFIX_PADDING_MS, SILENCE_DURATION_MS};

/// Utterances remembered; far more than are ever waiting for their transcript.
const REMEMBERED: usize = 64;
/// How much speech an utterance whose start was missed is judged on.
const MISSED_START_SPAN_MS: u64 = 2000;

/// The people behind the mixer's sources (a participant's id, this machine's microphone),
/// as the room names them now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpeakerNames(BTreeMap<String, String>);

impl SpeakerNames {
    pub fn new(names: impl IntoIterator<Item = (String, String)>) -> Self {
        SpeakerNames(names.into_iter().collect())
    }

    /// Takes in `more` names (a source's newer name replaces its older one); whether anything changed.
    pub fn add(&mut self, more: SpeakerNames) -> bool {
        let before = self.0.clone();
        self.0.extend(more.0);
        self.0 != before
    }

    pub fn name_of(&self, source: &str) -> Option<&str> {
        self.0.get(source).map(String::as_str)
    }
}

/// The utterances of the current call between speech starting and their transcript.
#[derive(Debug, Default)]
pub struct Speakers {
    /// (item id, where its speech started), newest last.
    started: VecDeque<(String, u64)>,
    /// (item id, who said it), newest last.
    said_by: VecDeque<(String, Vec<String>)>,
}

impl Speakers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn started(&mut self, item_id: &str, audio_start_ms: u64) {
        push_bounded(&mut self.started, (item_id.to_owned(), audio_start_ms));
    }

    /// The utterance ended: who spoke in it, by name, most speech first. The span the server
    /// reports is trimmed of its padding and of the silence that ended it, so the words of
    /// whoever spoke just before or after do not count.
    pub fn stopped(&mut self, item_id: &str, audio_end_ms: u64, sent: &VoiceLog, names: &SpeakerNames) -> Vec<String> {
        let start = match self.started.iter().position(|(id, _)| id == item_id) {
            Some(i) => self.started.remove(i).map_or(0, |(_, start)| start),
            // Its start was missed (a renewal): the last moments before it stopped will do.
            None => audio_end_ms.saturating_sub(SILENCE_DURATION_MS + PREFIX_PADDING_MS + MISSED_START_SPAN_MS),
        };
        let end = audio_end_ms.saturating_sub(SILENCE_DURATION_MS);
        let start = (start + PREFIX_PADDING_MS).min(end);
        let mut people: Vec<String> = Vec::new();
        for source in sent.speakers(start, end) {
            if let Some(name) = names.name_of(&source).filter(|name| !people.iter().any(|p| p == name)) {
                people.push(name.to_owned());
            }
        }
        push_bounded(&mut self.said_by, (item_id.to_owned(), people.clone()));
        people
    }

    /// Who said the utterance `item_id` (nobody known: empty).
    pub fn of(&self, item_id: &str) -> Vec<String> {
        self.said_by.iter().rev().find(|(id, _)| id == item_id).map(|(_, people)| people.clone()).unwrap_or_default()
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, value: T) {
    if queue.len() == REMEMBERED {
        queue.pop_front();
    }
    queue.push_back(value);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use audio::Voices;

    use super::*;

    fn sent(script: &[(u64, &[&str])]) -> VoiceLog {
        let mut log = VoiceLog::default();
        for (frames, who) in script {
            let voices: Voices = who.iter().map(|id| Arc::from(*id)).collect();
            (0..*frames).for_each(|_| log.sent(&voices));
        }
        log
    }

    fn names() -> SpeakerNames {
        SpeakerNames::new([("you".into(), "Host".into()), ("p1".into(), "Ana".into()), ("p2".into(), "Bo".into())])
    }

    #[test]
    fn each_utterance_is_put_down_to_who_spoke_in_its_span() {
        // 1–3 s Ana; 3.3–5 s Bo; 6–8 s both; 9–10 s somebody the room has no name for.
        let log = sent(&[(50, &[]), (100, &["p1"]), (15, &[]), (85, &["p2"]), (50, &[]), (100, &["p1", "p2"])]);
        let log = {
            let mut log = log;
            (0..50).for_each(|_| log.sent(&Voices::new()));
            (0..50).for_each(|_| log.sent(&vec![Arc::from("file")]));
            log
        };
        let mut speakers = Speakers::new();
        // As the server reports them: 300 ms of padding before, 200 ms of silence after.
        speakers.started("item_1", 700);
        assert_eq!(speakers.stopped("item_1", 3200, &log, &names()), ["Ana"], "Bo's start 300 ms later is not hers");
        speakers.started("item_2", 3000);
        assert_eq!(speakers.stopped("item_2", 5200, &log, &names()), ["Bo"]);
        speakers.started("item_3", 5700);
        let both = speakers.stopped("item_3", 8200, &log, &names());
        assert!(both.contains(&"Ana".to_owned()) && both.contains(&"Bo".to_owned()) && both.len() == 2, "{both:?}");
        speakers.started("item_4", 8700);
        assert!(speakers.stopped("item_4", 10_200, &log, &names()).is_empty(), "no name, no guess");
        assert_eq!(speakers.of("item_1"), ["Ana"]);
        assert_eq!(speakers.of("item_3").len(), 2);
        assert!(speakers.of("item_9").is_empty());
        // A stop whose start was missed still looks at the speech just before it.
        assert_eq!(speakers.stopped("item_5", 3200, &log, &names()), ["Ana"]);
    }

    #[test]
    fn names_are_added_never_dropped() {
        let mut known = names();
        assert!(!known.add(SpeakerNames::new([("p1".into(), "Ana".into())])), "nothing new");
        assert!(known.add(SpeakerNames::new([("p3".into(), "Cy".into())])));
        assert_eq!((known.name_of("p1"), known.name_of("p3")), (Some("Ana"), Some("Cy")));
    }

    #[test]
    fn memory_is_bounded() {
        let mut speakers = Speakers::new();
        let log = VoiceLog::default();
        for i in 0..1000 {
            speakers.started(&format!("item_{i}"), 0);
            speakers.stopped(&format!("item_{i}"), 500, &log, &names());
        }
        for i in 0..1000 {
            speakers.started(&format!("never_{i}"), 0);
        }
        assert!(speakers.started.len() <= REMEMBERED && speakers.said_by.len() <= REMEMBERED);
    }
}
