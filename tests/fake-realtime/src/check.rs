//! What the real service would refuse: the session object and each client event.

use serde_json::Value;

const TOOLS: [&str; 6] = ["create_ticket", "move_ticket", "add_tags", "update_ticket", "delete_ticket", "do_nothing"];
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
    expect(input["turn_detection"]["type"] == "server_vad", "audio.input.turn_detection.type must be server_vad");
    expect(input["noise_reduction"]["type"] == "near_field", "audio.input.noise_reduction.type must be near_field");
    let tools = session["tools"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    expect(names == TOOLS, "tools must be the six board tools in order");
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
    problems
}

/// Problems with one client event.
pub fn check_client_event(event: &Value) -> Vec<String> {
    let kind = event["type"].as_str().unwrap_or_default();
    if !CLIENT_EVENTS.contains(&kind) {
        return vec![format!("unknown client event type {:?}", event["type"])];
    }
    match kind {
        "session.update" => {
            check_session(&event["session"]).into_iter().map(|p| format!("session.update: {p}")).collect()
        }
        "conversation.item.create" => {
            let item = &event["item"];
            let output_ok = item["output"]
                .as_str()
                .and_then(|o| serde_json::from_str::<Value>(o).ok())
                .is_some_and(|o| o["ok"].is_boolean());
            let mut problems = Vec::new();
            if item["type"] != "function_call_output" || !item["call_id"].is_string() {
                problems.push(format!("unexpected conversation item {item}"));
            }
            if !output_ok {
                problems.push(format!("function_call_output.output must be a JSON string with ok: {item}"));
            }
            problems
        }
        _ => Vec::new(),
    }
}
