//! The seven tools offered to the model: their JSON schemas, the parsing of a call's
//! arguments into a board edit or a look-up, and the JSON result sent back. Plain Rust, no I/O.

use std::str::FromStr;

use board::{Change, Edit, Status};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::find::Query;

/// Arguments above this size are refused unread; the board's own limits are far smaller.
pub const MAX_ARGUMENTS_BYTES: usize = 32 * 1024;

/// What a call asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolAction {
    Edit(Edit),
    /// Look cards up; the board is not changed.
    Find(Query),
    /// Nothing on the board to change (filler, hand-offs, chit-chat).
    Nothing {
        reason: String,
    },
}

/// Why a call was refused. The board is never touched for these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    #[error(
        "unknown tool \"{0}\"; use create_ticket, move_ticket, add_tags, update_ticket, delete_ticket, find_cards or do_nothing"
    )]
    UnknownTool(String),
    #[error("the arguments are {0} bytes; the limit is {MAX_ARGUMENTS_BYTES}")]
    TooLarge(usize),
    #[error("bad arguments for {tool}: {reason}")]
    BadArguments { tool: String, reason: String },
    #[error("{0}")]
    BadStatus(#[from] board::model::UnknownStatus),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateArgs {
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveArgs {
    card_id: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddTagsArgs {
    card_id: String,
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateArgs {
    card_id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardArgs {
    card_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindArgs {
    #[serde(default)]
    words: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NothingArgs {
    #[serde(default)]
    reason: String,
}

fn args<'a, T: Deserialize<'a>>(tool: &str, arguments: &'a str) -> Result<T, ToolError> {
    serde_json::from_str(arguments)
        .map_err(|err| ToolError::BadArguments { tool: tool.to_owned(), reason: err.to_string() })
}

/// Turns a function call into the action it asks for, or says why it cannot be done.
pub fn parse_call(name: &str, arguments: &str) -> Result<ToolAction, ToolError> {
    if arguments.len() > MAX_ARGUMENTS_BYTES {
        return Err(ToolError::TooLarge(arguments.len()));
    }
    let edit = match name {
        "create_ticket" => {
            let a: CreateArgs = args(name, arguments)?;
            let status = a.status.as_deref().map(Status::from_str).transpose()?.unwrap_or(Status::Backlog);
            Edit::Create { status, title: a.title, notes: a.notes, tags: a.tags, position: None }
        }
        "move_ticket" => {
            let a: MoveArgs = args(name, arguments)?;
            Edit::Move { card_id: a.card_id, status: a.status.parse()?, position: None }
        }
        "add_tags" => {
            let a: AddTagsArgs = args(name, arguments)?;
            Edit::AddTags { card_id: a.card_id, tags: a.tags }
        }
        "update_ticket" => {
            let a: UpdateArgs = args(name, arguments)?;
            if a.title.is_none() && a.notes.is_none() {
                return Err(ToolError::BadArguments {
                    tool: name.to_owned(),
                    reason: "give a title, notes or both".to_owned(),
                });
            }
            Edit::Update { card_id: a.card_id, title: a.title, notes: a.notes, tags: None }
        }
        "delete_ticket" => Edit::Delete { card_id: args::<CardArgs>(name, arguments)?.card_id },
        "find_cards" => {
            let a: FindArgs = args(name, arguments)?;
            let status = a.status.as_deref().map(Status::from_str).transpose()?;
            return Ok(ToolAction::Find(Query { words: a.words, tags: a.tags, status }));
        }
        "do_nothing" => return Ok(ToolAction::Nothing { reason: args::<NothingArgs>(name, arguments)?.reason }),
        other => return Err(ToolError::UnknownTool(other.to_owned())),
    };
    Ok(ToolAction::Edit(edit))
}

/// The result for a call that changed the board.
pub fn applied(change: &Change) -> Value {
    let card = change.after.as_ref().or(change.before.as_ref()).map(|placed| &placed.card);
    json!({
        "ok": true,
        "revision": change.revision,
        "deleted": change.after.is_none(),
        "card": card,
    })
}

/// Whether the voice operator's `edit` waits for a person to accept it: a deletion always
/// (what is gone is easy to miss), any edit when the host asks for that (`ask_first`).
pub fn waits_for_a_person(edit: &Edit, ask_first: bool) -> bool {
    ask_first || matches!(edit, Edit::Delete { .. })
}

/// The result for a call whose edit waits for a person as a suggestion.
pub fn suggested(change: &Change) -> Value {
    json!({
        "ok": true,
        "waiting": true,
        "suggestion": change.revision,
        "message": "This change waits for a person in the meeting to accept it. Do not make it again; \
    a board change line will say whether it was accepted.",
    })
}

pub fn nothing_done() -> Value {
    json!({ "ok": true, "changed": false })
}

pub fn refused(error: &str) -> Value {
    json!({ "ok": false, "error": error })
}

/// The tool definitions for the session config.
pub fn definitions() -> Value {
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let card_id = json!({ "type": "string", "description": "The card's id exactly as the board messages give it." });
    let tags = json!({ "type": "array", "items": { "type": "string" }, "description": "Short lowercase tags." });
    let tool = |name: &str, description: &str, properties: Value, required: &[&str]| {
        json!({
            "type": "function",
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            },
        })
    };
    json!([
        tool(
            "create_ticket",
            "Create a new card for work that is not on the board yet.",
            json!({
                "title": { "type": "string", "description": "A concise title, without speaker names." },
                "notes": { "type": "string", "description": "Useful detail: owner, context, blockers." },
                "tags": tags,
                "status": { "type": "string", "enum": statuses, "description": "The column; Backlog if not said." },
            }),
            &["title", "notes", "tags"],
        ),
        tool(
            "move_ticket",
            "Move an existing card to another column.",
            json!({ "card_id": card_id, "status": { "type": "string", "enum": statuses } }),
            &["card_id", "status"],
        ),
        tool(
            "add_tags",
            "Add tags to an existing card; existing tags are kept.",
            json!({ "card_id": card_id, "tags": tags }),
            &["card_id", "tags"],
        ),
        tool(
            "update_ticket",
            "Change a card's title or notes. Notes replace the old notes entirely, so keep what is still useful.",
            json!({
                "card_id": card_id,
                "title": { "type": "string" },
                "notes": { "type": "string" },
            }),
            &["card_id"],
        ),
        tool(
            "delete_ticket",
            "Delete a card that someone explicitly asked to remove.",
            json!({ "card_id": card_id }),
            &["card_id"],
        ),
        tool(
            "find_cards",
            "Look up cards the board message does not list, or a card's full notes, by words in their id, title, \
notes or tags; optionally only cards with all the given tags or in one column. Returns at most 10 cards, best \
matches first. Changes nothing.",
            json!({
                "words": { "type": "string", "description": "Words that were said about the card." },
                "tags": tags,
                "status": { "type": "string", "enum": statuses, "description": "Only cards in this column." },
            }),
            &["words"],
        ),
        tool(
            "do_nothing",
            "Use when what was said does not change the board: filler, greetings, hand-offs, questions.",
            json!({ "reason": { "type": "string", "description": "Why nothing changes, in a few words." } }),
            &["reason"],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_parses_into_its_edit() {
        assert_eq!(
            parse_call("move_ticket", r#"{"card_id":"card-003","status":"In Progress"}"#).unwrap(),
            ToolAction::Edit(Edit::Move { card_id: "card-003".into(), status: Status::InProgress, position: None })
        );
        let ToolAction::Edit(Edit::Create { status, .. }) =
            parse_call("create_ticket", r#"{"title":"Fix TURN","notes":"","tags":["turn"]}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(status, Status::Backlog);
        assert!(matches!(
            parse_call("add_tags", r#"{"card_id":"card-001","tags":["risk"]}"#).unwrap(),
            ToolAction::Edit(Edit::AddTags { .. })
        ));
        assert!(matches!(
            parse_call("update_ticket", r#"{"card_id":"card-001","notes":"n"}"#).unwrap(),
            ToolAction::Edit(Edit::Update { title: None, notes: Some(_), .. })
        ));
        assert!(matches!(
            parse_call("delete_ticket", r#"{"card_id":"card-001"}"#).unwrap(),
            ToolAction::Edit(Edit::Delete { .. })
        ));
        assert_eq!(
            parse_call("find_cards", r#"{"words":"hevc","status":"Done"}"#).unwrap(),
            ToolAction::Find(Query { words: "hevc".into(), tags: vec![], status: Some(Status::Done) })
        );
        assert_eq!(
            parse_call("do_nothing", r#"{"reason":"filler"}"#).unwrap(),
            ToolAction::Nothing { reason: "filler".into() }
        );
    }

    #[test]
    fn bad_calls_are_refused_with_a_reason() {
        assert!(matches!(parse_call("launch_rocket", "{}"), Err(ToolError::UnknownTool(_))));
        assert!(matches!(parse_call("move_ticket", "{oops"), Err(ToolError::BadArguments { .. })));
        assert!(matches!(parse_call("move_ticket", r#"{"card_id":"x"}"#), Err(ToolError::BadArguments { .. })));
        assert!(matches!(
            parse_call("move_ticket", r#"{"card_id":"x","status":"Doing"}"#),
            Err(ToolError::BadStatus(_))
        ));
        assert!(matches!(
            parse_call("delete_ticket", r#"{"card_id":"x","force":true}"#),
            Err(ToolError::BadArguments { .. })
        ));
        assert!(matches!(parse_call("update_ticket", r#"{"card_id":"x"}"#), Err(ToolError::BadArguments { .. })));
        assert!(matches!(parse_call("find_cards", r#"{"words":"x","status":"Soon"}"#), Err(ToolError::BadStatus(_))));
        let huge = format!(r#"{{"title":"{}"}}"#, "x".repeat(MAX_ARGUMENTS_BYTES));
        assert!(matches!(parse_call("create_ticket", &huge), Err(ToolError::TooLarge(_))));
    }

    #[test]
    fn definitions_name_seven_closed_tools() {
        let tools = definitions();
        let names: Vec<&str> = tools.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["create_ticket", "move_ticket", "add_tags", "update_ticket", "delete_ticket", "find_cards", "do_nothing"]
        );
        for tool in tools.as_array().unwrap() {
            assert_eq!(tool["parameters"]["additionalProperties"], false);
        }
    }
}
