//! What the real service would refuse: the session object and each client event.

use serde_json::Value;

const TOOLS: [&str; 7] =
    ["create_ticket", "move_ticket", "add_tags", "update_ticket", "delete_ticket", "find_cards", "do_nothing"];
const CLIENT_EVENTS: [&str; 4] =
    ["session.update", "conversation.item.create", "response.create", "input_audio_buffer.clear"];

/// Problems with a session object (empty when it is as documented).
pub fn check_session(session: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_owned());
        }
    };
    expect(session["type"] == "realtime", "type must be \"realtime\"");
    expect(session["model"].as_str().is_some_and(|m| !m.is_empty()), "model must be a non-empty string");
    expect(session["output_modalities"] == serde_json::json!(["text"]), "output_modalities must be [\"text\"]");
    expect(session["tool_choice"] == "required", "tool_choice must be \"required\"");
    expect(session["instructions"].as_str().is_some_and(|i| !i.is_empty()), "instructions must be a non-empty string");
    let input = &session["audio"]["input"];
    expect(input["transcription"]["model"].is_string(), "audio.input.transcription.model is missing");
    expect(language_ok(&input["transcription"]), "audio.input.transcription.language must be an ISO-639-1 code");
    expect(input["turn_detection"]["type"] == "server_vad", "audio.input.turn_detection.type must be server_vad");
    expect(input["noise_reduction"]["type"] == "near_field", "audio.input.noise_reduction.type must be near_field");
    let tools = session["tools"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    expect(names == TOOLS, "tools must be the seven board tools in order");
    for tool in &tools {
        let name = tool["name"].as_str().unwrap_or("?");
        let parameters = &tool["parameters"];
        expect(tool["type"] == "function", &format!("{name}: type must be function"));
        expect(parameters["type"] == "object", &format!("{name}: parameters must be an object schema"));
        expect(parameters["additionalProperties"] == false, &format!("{name}: additionalProperties must be false"));
        let required = parameters["required"].as_array().cloned().unwrap_or_default();
        for field in required {
            let known = field.as_str().is_some_and(|f| parameters["properties"].get(f).is_some());
            expect(known, &format!("{name}: required field {field} is not a property"));
        }
    }
    let reasoning_ok = match session["model"].as_str() {
        Some("gpt-realtime-2") => session["reasoning"]["effort"].is_string(),
        _ => session.get("reasoning").is_none(),
    };
    expect(reasoning_ok, "reasoning must be given for gpt-realtime-2 and only for it");
    if let Some(truncation) = session.get("truncation") {
        let ratio = truncation["retention_ratio"].as_f64().unwrap_or(-1.0);
        expect(truncation["type"] == "retention_ratio", "truncation.type must be retention_ratio");
        expect((0.0..=1.0).contains(&ratio), "truncation.retention_ratio must be between 0 and 1");
    }
    problems
}

/// Problems with a `session.update` that changes only some fields: each given is checked as
/// in a full session; one that gives instructions or tools must be whole.
fn check_session_update(session: &Value) -> Vec<String> {
    if session.get("instructions").is_some() || session.get("tools").is_some() {
        return check_session(session);
    }
    let mut problems = Vec::new();
    if session["type"] != "realtime" {
        problems.push("type must be \"realtime\"".to_owned());
    }
    if let Some(transcription) = session["audio"]["input"].get("transcription") {
        if !transcription["model"].is_string() {
            problems.push("audio.input.transcription.model is missing".to_owned());
        }
        if transcription.get("prompt").is_some_and(|prompt| !prompt.is_string()) {
            problems.push("audio.input.transcription.prompt must be a string".to_owned());
        }
        if !language_ok(transcription) {
            problems.push("audio.input.transcription.language must be an ISO-639-1 code".to_owned());
        }
    }
    problems
}

/// The transcription's language, when given, is what the API takes: two lowercase letters.
fn language_ok(transcription: &Value) -> bool {
    match transcription.get("language") {
        None => true,
        Some(language) => {
            language.as_str().is_some_and(|code| code.len() == 2 && code.chars().all(|c| c.is_ascii_lowercase()))
        }
    }
}

/// Problems with a conversation item a client creates.
fn check_item(item: &Value) -> Vec<String> {
    match item["type"].as_str() {
        Some("function_call_output") => {
            let output_ok = item["output"]
                .as_str()
                .and_then(|o| serde_json::from_str::<Value>(o).ok())
                .is_some_and(|o| o["ok"].is_boolean());
            let mut problems = Vec::new();
            if !item["call_id"].is_string() {
                problems.push(format!("function_call_output needs a call_id: {item}"));
            }
            if !output_ok {
                problems.push(format!("function_call_output.output must be a JSON string with ok: {item}"));
            }
            problems
        }
        Some("message") => {
            let content = item["content"].as_array().cloned().unwrap_or_default();
            let text_ok = !content.is_empty()
                && content
                    .iter()
                    .all(|part| part["type"] == "input_text" && part["text"].as_str().is_some_and(|t| !t.is_empty()));
            let mut problems = Vec::new();
            if !matches!(item["role"].as_str(), Some("system" | "user")) {
                problems.push(format!("a message item needs the role system or user: {item}"));
            }
            if !text_ok {
                problems.push(format!("a message item needs input_text content with text: {item}"));
            }
            problems
        }
        _ => vec![format!("unexpected conversation item {item}")],
    }
}

/// Problems with one client event.
pub fn check_client_event(event: &Value) -> Vec<String> {
    let kind = event["type"].as_str().unwrap_or_default();
    if !CLIENT_EVENTS.contains(&kind) {
        return vec![format!("unknown client event type {:?}", event["type"])];
    }
    match kind {
        "session.update" => {
            check_session_update(&event["session"]).into_iter().map(|p| format!("session.update: {p}")).collect()
        }
        "conversation.item.create" => check_item(&event["item"]),
        _ => Vec::new(),
    }
}
