//! The JSON events of the Realtime API's `oai-events` data channel: the server events we
//! act on, parsed leniently (unknown types and fields are ignored), and the client events
//! we send. Plain serde, no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event from the server. Types we do not act on parse as [`ServerEvent::Other`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum ServerEvent {
    #[serde(rename = "session.created")]
    SessionCreated,
    #[serde(rename = "session.updated")]
    SessionUpdated,
    #[serde(rename = "error")]
    Error { error: ApiError },
    #[serde(rename = "input_audio_buffer.speech_started")]
    SpeechStarted,
    #[serde(rename = "input_audio_buffer.speech_stopped")]
    SpeechStopped,
    #[serde(rename = "input_audio_buffer.committed")]
    Committed { item_id: String },
    #[serde(rename = "conversation.item.input_audio_transcription.delta")]
    TranscriptionDelta {
        item_id: String,
        #[serde(default)]
        delta: String,
    },
    #[serde(rename = "conversation.item.input_audio_transcription.completed")]
    TranscriptionCompleted { item_id: String, transcript: String },
    #[serde(rename = "conversation.item.input_audio_transcription.failed")]
    TranscriptionFailed {
        item_id: String,
        #[serde(default)]
        error: Option<ApiError>,
    },
    #[serde(rename = "response.created")]
    ResponseCreated { response: Response },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        #[serde(default)]
        response_id: Option<String>,
        item: OutputItem,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        #[serde(default)]
        response_id: Option<String>,
        call_id: String,
        /// Not sent by every server version; without it the call waits for another form.
        #[serde(default)]
        name: Option<String>,
        arguments: String,
    },
    #[serde(rename = "response.done")]
    ResponseDone { response: Response },
    #[serde(rename = "rate_limits.updated")]
    RateLimitsUpdated,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ApiError {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ApiError {
    pub fn describe(&self) -> String {
        let message = self.message.as_deref().unwrap_or("no message");
        match &self.code {
            Some(code) => format!("{code}: {message}"),
            None => message.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub id: Option<String>,
    /// `completed`, `cancelled`, `failed`, `incomplete` or `in_progress`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub output: Vec<OutputItem>,
}

impl Response {
    /// Whether the response ended without finishing, so calls it carried must not be applied.
    pub fn was_abandoned(&self) -> bool {
        matches!(self.status.as_deref(), Some("cancelled" | "failed" | "incomplete"))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum OutputItem {
    #[serde(rename = "function_call")]
    FunctionCall { call_id: String, name: String, arguments: String },
    #[serde(other)]
    Other,
}

/// Why a data channel message was not understood.
#[derive(Debug, thiserror::Error)]
#[error("not a Realtime event ({0})")]
pub struct MalformedEvent(#[from] serde_json::Error);

pub fn parse(message: &str) -> Result<ServerEvent, MalformedEvent> {
    Ok(serde_json::from_str(message)?)
}

/// Events we send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ClientEvent {
    #[serde(rename = "session.update")]
    SessionUpdate { session: Value },
    #[serde(rename = "conversation.item.create")]
    ItemCreate { item: ConversationItem },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ConversationItem {
    #[serde(rename = "function_call_output")]
    FunctionCallOutput {
        call_id: String,
        /// The result as a JSON string, as the API expects.
        output: String,
    },
}

impl ClientEvent {
    pub fn function_call_output(call_id: &str, output: &Value) -> Self {
        ClientEvent::ItemCreate {
            item: ConversationItem::FunctionCallOutput { call_id: call_id.to_owned(), output: output.to_string() },
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client events serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_event_types_parse_as_other() {
        assert_eq!(parse(r#"{"type":"response.audio.delta","delta":"AAAA"}"#).unwrap(), ServerEvent::Other);
        assert_eq!(parse(r#"{"type":"session.created","session":{"id":"x"}}"#).unwrap(), ServerEvent::SessionCreated);
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(parse("{not json").is_err());
        assert!(parse(r#"{"no_type":1}"#).is_err());
        // A known type without its required fields is malformed too.
        assert!(parse(r#"{"type":"response.output_item.done"}"#).is_err());
    }

    #[test]
    fn function_calls_parse_in_all_three_forms() {
        let item = r#"{"type":"response.output_item.done","response_id":"r1","item":{"type":"function_call","call_id":"c1","name":"move_ticket","arguments":"{}"}}"#;
        assert!(matches!(
            parse(item).unwrap(),
            ServerEvent::OutputItemDone { item: OutputItem::FunctionCall { .. }, .. }
        ));
        let args =
            r#"{"type":"response.function_call_arguments.done","call_id":"c1","name":"move_ticket","arguments":"{}"}"#;
        assert!(matches!(parse(args).unwrap(), ServerEvent::FunctionCallArgumentsDone { name: Some(_), .. }));
        let done = r#"{"type":"response.done","response":{"id":"r1","status":"cancelled","output":[{"type":"message"},{"type":"function_call","call_id":"c1","name":"x","arguments":"{}"}]}}"#;
        let ServerEvent::ResponseDone { response } = parse(done).unwrap() else { panic!() };
        assert!(response.was_abandoned());
        assert_eq!(response.output.len(), 2);
    }

    #[test]
    fn function_call_output_carries_a_json_string() {
        let event = ClientEvent::function_call_output("c1", &serde_json::json!({"ok": true}));
        let value: Value = serde_json::from_str(&event.to_json()).unwrap();
        assert_eq!(value["type"], "conversation.item.create");
        assert_eq!(value["item"]["type"], "function_call_output");
        assert_eq!(value["item"]["output"], r#"{"ok":true}"#);
    }
}
