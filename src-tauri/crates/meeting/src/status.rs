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
    /// Unix time in milliseconds.
    #[specta(type = u32)]
    pub at: i64,
}
