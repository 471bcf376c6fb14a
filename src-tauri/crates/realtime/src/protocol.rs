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
    /// Speech began `audio_start_ms` into the call's audio (the prefix padding included).
    #[serde(rename = "input_audio_buffer.speech_started")]
    SpeechStarted { item_id: String, audio_start_ms: u64 },
    /// Speech ended `audio_end_ms` into the call's audio (the silence that ended it included).
    #[serde(rename = "input_audio_buffer.speech_stopped")]
    SpeechStopped { item_id: String, audio_end_ms: u64 },
    #[serde(rename = "input_audio_buffer.committed")]
    Committed { item_id: String },
    #[serde(rename = "conversation.item.input_audio_transcription.delta")]
    TranscriptionDelta {
        item_id: String,
        #[serde(default)]
        delta: String,
    },
    #[serde(rename = "conversation.item.input_audio_transcription.completed")]
    TranscriptionCompleted {
        item_id: String,
        transcript: String,
        #[serde(default)]
        usage: Option<TranscriptionUsage>,
    },
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
    /// What the response was billed for; absent until it is done.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// A response's token counts (`response.done.response.usage`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// The whole conversation the response read, cached or not: it only grows during a call
    /// unless the server cut the conversation short.
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub input_token_details: InputDetails,
    pub output_token_details: OutputDetails,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct InputDetails {
    pub text_tokens: u64,
    pub audio_tokens: u64,
    /// Read from the cache, of either kind.
    pub cached_tokens: u64,
    pub cached_tokens_details: Option<CachedDetails>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct CachedDetails {
    pub text_tokens: u64,
    pub audio_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct OutputDetails {
    pub text_tokens: u64,
    pub audio_tokens: u64,
}

/// A transcription's token counts (`...input_audio_transcription.completed.usage`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TranscriptionUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
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
    #[serde(rename = "response.create")]
    ResponseCreate,
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
    /// Context for the model that nobody said, such as the board.
    #[serde(rename = "message")]
    Message { role: Role, content: Vec<Content> },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Content {
    #[serde(rename = "input_text")]
    InputText { text: String },
}

impl ClientEvent {
    pub fn function_call_output(call_id: &str, output: &Value) -> Self {
        ClientEvent::ItemCreate {
            item: ConversationItem::FunctionCallOutput { call_id: call_id.to_owned(), output: output.to_string() },
        }
    }

    /// A system message in the conversation (not the instructions, which stay as they are).
    pub fn system_message(text: String) -> Self {
        ClientEvent::ItemCreate {
            item: ConversationItem::Message { role: Role::System, content: vec![Content::InputText { text }] },
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

    #[test]
    fn system_messages_and_response_requests_have_the_documented_shape() {
        let value: Value = serde_json::from_str(&ClientEvent::system_message("the board".into()).to_json()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "type": "conversation.item.create",
                "item": { "type": "message", "role": "system", "content": [{ "type": "input_text", "text": "the board" }] },
            })
        );
        assert_eq!(ClientEvent::ResponseCreate.to_json(), r#"{"type":"response.create"}"#);
    }

    #[test]
    fn usage_is_read_from_a_finished_response() {
        let done = r#"{"type":"response.done","response":{"id":"r1","status":"completed","output":[],"usage":{"total_tokens":130,"input_tokens":100,"output_tokens":30,"input_token_details":{"cached_tokens":64}}}}"#;
        let ServerEvent::ResponseDone { response } = parse(done).unwrap() else { panic!() };
        let usage = response.usage.unwrap();
        assert_eq!((usage.input_tokens, usage.output_tokens, usage.input_token_details.cached_tokens), (100, 30, 64));
        let heard = r#"{"type":"conversation.item.input_audio_transcription.completed","item_id":"i1","content_index":0,"transcript":"hi","usage":{"type":"tokens","total_tokens":25,"input_tokens":20,"input_token_details":{"text_tokens":0,"audio_tokens":20},"output_tokens":5}}"#;
        let ServerEvent::TranscriptionCompleted { usage, .. } = parse(heard).unwrap() else { panic!() };
        assert_eq!(usage, Some(TranscriptionUsage { input_tokens: 20, output_tokens: 5 }));
    }
}
