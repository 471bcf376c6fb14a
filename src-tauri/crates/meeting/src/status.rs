//! What the voice operator tells the people in the room: its state, and what it heard.

use serde::{Deserialize, Serialize};
use specta::Type;

/// The voice operator's state, for the status bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum OperatorStatus {
    /// Not in the room.
    Off,
    Connecting,
    /// In a call: the model hears the room.
    Listening {
        call_id: String,
    },
    /// The call was lost; the next try is in `retry_in_secs`.
    Reconnecting {
        attempt: u32,
        retry_in_secs: u32,
        reason: String,
    },
    /// Not trying any more; `reason` says what the person can do.
    Stopped {
        reason: String,
    },
}

/// A finished transcription of something said in the room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLine {
    pub item_id: String,
    pub text: String,
    /// Who said it, by name, most speech first: one person, several talking at once, or
    /// nobody the room could name.
    pub speakers: Vec<String>,
    /// Unix time in milliseconds.
    #[specta(type = u32)]
    pub at: i64,
}

/// Who spoke, for a line of text: "Ana", or "several people: Ana, Bo" when more than one
/// did; `None` when nobody could be named.
pub fn who_spoke(speakers: &[String]) -> Option<String> {
    match speakers {
        [] => None,
        [one] => Some(one.clone()),
        several => Some(format!("several people: {}", several.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speakers_read_as_a_name_or_several_people() {
        assert_eq!(who_spoke(&[]), None);
        assert_eq!(who_spoke(&["Ana".into()]).as_deref(), Some("Ana"));
        assert_eq!(who_spoke(&["Bo".into(), "Ana".into()]).as_deref(), Some("several people: Bo, Ana"));
    }
}
