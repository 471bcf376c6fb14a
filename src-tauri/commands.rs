//! Typed commands the window calls about what it shows — the board, the people, the voice
//! operator's status — and about the app itself. Each is a thin wrapper that hands the work
//! to the runtime's `shown` (this machine's own board, or the room's it is a guest in) and
//! turns its errors into a message a person can act on.

use board::{Board, Change, Edit};
use meeting::OperatorStatus;
use realtime::cost::MeetingCost;
use room_protocol::Participant;
use tauri::State;

use crate::error::CommandError;
use crate::startup::{AppState, StartupNotice};

/// The whole board with its recent activity.
#[tauri::command]
#[specta::specta]
pub async fn get_board(state: State<'_, runtime::Runtime>) -> Result<Board, CommandError> {
    Ok(state.shown.board().await?)
}

/// Applies an edit made by hand in this window on the board as it was at revision `seen`:
/// an edit to a card that someone (the voice operator, a participant) changed since is
/// refused, as participants' edits are, rather than silently overwriting their change.
/// While this machine is a guest in a room, the edit goes to that room's board.
/// (`u32`: revisions are exported to TypeScript as numbers and stay far below 2^32.)
#[tauri::command]
#[specta::specta]
pub async fn edit_board(state: State<'_, runtime::Runtime>, edit: Edit, seen: u32) -> Result<Change, CommandError> {
    let change = state.shown.edit(edit, u64::from(seen)).await?;
    Ok((*change).clone())
}

/// The people shown besides "You": those in the room this machine hosts, or the others in
/// the room it is a guest in.
#[tauri::command]
#[specta::specta]
pub fn get_participants(state: State<'_, runtime::Runtime>) -> Result<Vec<Participant>, CommandError> {
    Ok(state.shown.people())
}

/// The status of the voice operator that listens: this machine's, or the room's host's.
#[tauri::command]
#[specta::specta]
pub fn get_voice_status(state: State<'_, runtime::Runtime>) -> OperatorStatus {
    state.shown.voice_status()
}

/// What this machine's voice operator has cost in this meeting (or the last one).
#[tauri::command]
#[specta::specta]
pub fn get_voice_cost(state: State<'_, runtime::Runtime>) -> MeetingCost {
    state.voice.cost().borrow().clone()
}

/// What went wrong with the saved board at start, if anything.
#[tauri::command]
#[specta::specta]
pub fn get_startup_notice(state: State<'_, AppState>) -> Option<StartupNotice> {
    state.notice.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[tauri::command]
#[specta::specta]
pub fn dismiss_startup_notice(state: State<'_, AppState>) {
    state.notice.lock().unwrap_or_else(|e| e.into_inner()).take();
}

/// The window reports its first render of the board; logged for the start-up benchmark.
#[tauri::command]
#[specta::specta]
pub fn ui_ready(state: State<'_, AppState>) {
    log::info!("board visible {} ms after launch", state.launched.elapsed().as_millis());
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use board::Status;
    use serde_json::{json, Value};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{App, Listener, WebviewWindowBuilder};

    use crate::bindings::builder;
    use crate::startup;

    fn app(
        data_dir: &std::path::Path,
    ) -> (App<tauri::test::MockRuntime>, tauri::WebviewWindow<tauri::test::MockRuntime>) {
        let ipc = builder!(tauri::test::MockRuntime);
        let app = mock_builder()
            .plugin(tauri_plugin_store::Builder::default().build())
            .invoke_handler(ipc.invoke_handler())
            .build(mock_context(noop_assets()))
            .unwrap();
        // Mock apps never run setup(), so do its work here.
        ipc.mount_events(&app);
        let environment = crate::voice_settings::VoiceEnvironment::default();
        startup::install(app.handle(), data_dir, data_dir, environment, Instant::now()).unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
        (app, window)
    }

    fn invoke(window: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn column<'a>(board: &'a Value, status: &str) -> Vec<&'a str> {
        let column = board["columns"].as_array().unwrap().iter().find(|c| c["status"] == status).unwrap();
        column["cards"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn get_board_returns_the_seed_cards() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let board = invoke(&window, "get_board", json!({})).unwrap();
        assert_eq!(column(&board, "Backlog"), ["card-001", "card-002", "card-003", "card-004", "card-005"]);
        assert_eq!(board["revision"], 0);
        assert_eq!(invoke(&window, "get_startup_notice", json!({})).unwrap(), Value::Null);
    }

    #[test]
    fn edits_apply_emit_an_event_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let (app, window) = app(dir.path());
        let (seen_tx, seen) = std::sync::mpsc::channel::<String>();
        app.listen("board-changed", move |event| seen_tx.send(event.payload().to_owned()).unwrap());

        let edit =
            json!({"edit": {"type": "move", "cardId": "card-003", "status": "In Progress", "position": 0}, "seen": 0});
        let change = invoke(&window, "edit_board", edit).unwrap();
        assert_eq!(change["revision"], 1);
        assert_eq!(change["source"], json!({"kind": "hand"}));
        assert_eq!(change["after"]["card"]["status"], "In Progress");

        let payload: Value =
            serde_json::from_str(&seen.recv_timeout(std::time::Duration::from_secs(5)).unwrap()).unwrap();
        assert_eq!(payload["change"], change);

        let saved = board::BoardFile::in_dir(dir.path()).load(0);
        assert_eq!(saved.board().column(Status::InProgress)[0].id, "card-003");
    }

    #[test]
    fn an_edit_to_a_card_someone_changed_since_is_refused_and_others_apply() {
        use tauri::Manager;
        let dir = tempfile::tempdir().unwrap();
        let (app, window) = app(dir.path());
        // The window's editor opened card-001 at revision 0; meanwhile the voice operator renamed it.
        let board = app.state::<runtime::Runtime>().board.clone();
        let by_voice = board::Edit::Update {
            card_id: "card-001".into(),
            title: Some("Renamed by voice".into()),
            notes: None,
            tags: None,
        };
        let voice = board::Source::Voice { call_id: "rtc_1".into(), transcript: None, speakers: vec![] };
        tauri::async_runtime::block_on(board.apply(by_voice, voice)).unwrap();
        let stale = json!({"edit": {"type": "update", "cardId": "card-001", "title": "Typed in the editor", "notes": null, "tags": null}, "seen": 0});
        let refused = invoke(&window, "edit_board", stale).unwrap_err();
        assert!(refused["message"].as_str().unwrap().contains("changed this card while you were editing"), "{refused}");
        assert_eq!(refused["kind"], "conflict", "the window takes the board as it is now");
        let now = invoke(&window, "get_board", json!({})).unwrap();
        assert_eq!(now["revision"], 1, "the refused edit changed nothing");
        // An edit to another card, made on the same older board, still applies.
        let other =
            json!({"edit": {"type": "move", "cardId": "card-002", "status": "Done", "position": null}, "seen": 0});
        assert_eq!(invoke(&window, "edit_board", other).unwrap()["revision"], 2);
    }

    #[test]
    fn bad_edits_return_a_message_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let cases = [
            (json!({"type": "delete", "cardId": "card-999"}), "notFound", "There is no card \"card-999\""),
            (
                json!({"type": "update", "cardId": "card-001", "title": "   ", "notes": null, "tags": null}),
                "invalid",
                "A card needs a title",
            ),
            (
                json!({"type": "create", "status": "Done", "title": "x".repeat(201), "notes": "", "tags": [], "position": null}),
                "invalid",
                "The title is 201 characters long",
            ),
        ];
        for (edit, kind, expected) in cases {
            let err = invoke(&window, "edit_board", json!({ "edit": edit, "seen": 0 })).unwrap_err();
            assert!(err["message"].as_str().unwrap().starts_with(expected), "{err}");
            assert_eq!(err["kind"], kind, "{err}");
        }
        // A status that is not a column is refused by the typed IPC layer.
        assert!(invoke(
            &window,
            "edit_board",
            json!({"edit": {"type": "move", "cardId": "card-001", "status": "Doing", "position": null}, "seen": 0})
        )
        .is_err());
        let board = invoke(&window, "get_board", json!({})).unwrap();
        assert_eq!(board["revision"], 0);
        assert_eq!(column(&board, "Backlog").len(), 5);
    }

    #[test]
    fn a_corrupt_board_file_is_moved_aside_and_reported() {
        for (name, bytes) in
            [("garbage", &b"{{{ not json"[..]), ("empty", b""), ("truncated", br#"{"format":1,"board":{"revision":3,"#)]
        {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("board.json"), bytes).unwrap();
            let (_app, window) = app(dir.path());
            let notice = invoke(&window, "get_startup_notice", json!({})).unwrap();
            let moved_to = notice["movedTo"].as_str().unwrap_or_else(|| panic!("{name}: no notice: {notice}"));
            assert_eq!(std::fs::read(moved_to).unwrap(), bytes, "{name}: the old file is kept as it was");
            assert!(notice["message"].as_str().unwrap().contains(moved_to), "{name}: the message says where it went");
            let board = invoke(&window, "get_board", json!({})).unwrap();
            assert_eq!(column(&board, "Backlog").len(), 5, "{name}: starts from the seed board");
            invoke(&window, "dismiss_startup_notice", json!({})).unwrap();
            assert_eq!(invoke(&window, "get_startup_notice", json!({})).unwrap(), Value::Null);
        }
    }

    #[test]
    fn settings_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        assert_eq!(
            invoke(&window, "get_settings", json!({})).unwrap(),
            json!({"theme": "system", "microphone": null, "headset": false, "systemAudio": false, "model": null, "prices": null, "baseUrl": null, "roomLan": false, "roomPort": null, "roomAskToJoin": false, "askBeforeVoiceChanges": false, "meetingLanguage": null, "iceServers": [], "publicIp": null, "udpPorts": null, "yourName": null})
        );
        let chosen = json!({"theme": "dark", "microphone": "USB headset", "headset": true, "systemAudio": true, "model": "gpt-realtime", "prices": {"textIn": 4.0, "cachedTextIn": 0.4, "audioIn": 28.5, "cachedAudioIn": 0.4, "textOut": 24.0, "audioOut": 64.0}, "baseUrl": "http://127.0.0.1:9/v1", "roomLan": true, "roomPort": 8080, "roomAskToJoin": true, "askBeforeVoiceChanges": true, "meetingLanguage": "de", "iceServers": ["stun:stun.example.com", "turn:turn.example.com?transport=tcp"], "publicIp": "203.0.113.7", "udpPorts": "40000-40100", "yourName": "Dee"});
        invoke(&window, "set_settings", json!({ "settings": chosen })).unwrap();
        assert_eq!(invoke(&window, "get_settings", json!({})).unwrap(), chosen);
        let saved: Value = serde_json::from_slice(&std::fs::read(dir.path().join("settings.json")).unwrap()).unwrap();
        assert_eq!(saved["theme"], "dark");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!((mode(dir.path()), mode(&dir.path().join("settings.json"))), (0o700, 0o600));
        }
        let bad = json!({"theme": "dark", "microphone": null, "headset": false, "model": null, "baseUrl": "ftp://nowhere", "roomLan": false, "roomPort": null, "roomAskToJoin": false, "iceServers": [], "publicIp": null, "udpPorts": null});
        let refused = invoke(&window, "set_settings", json!({ "settings": bad })).unwrap_err();
        assert!(refused["message"].as_str().unwrap().contains("is not an http(s) address"), "{refused}");
        let mut in_clear = bad.clone();
        in_clear["baseUrl"] = json!("http://api.example.com/v1");
        let refused = invoke(&window, "set_settings", json!({ "settings": in_clear })).unwrap_err();
        assert!(refused["message"].as_str().unwrap().contains("would send the API key unencrypted"), "{refused}");
        assert_eq!(invoke(&window, "get_settings", json!({})).unwrap(), chosen, "a refused change changes nothing");
        let mut long_name = chosen.clone();
        long_name["yourName"] = json!("x".repeat(41));
        let refused = invoke(&window, "set_settings", json!({ "settings": long_name })).unwrap_err();
        assert!(refused["message"].as_str().unwrap().contains("at most 40 characters"), "{refused}");
    }

    #[test]
    fn joining_a_meeting_with_a_bad_link_says_why_and_stays_home() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let home = json!({"guest": null, "left": null});
        assert_eq!(invoke(&window, "get_whereabouts", json!({})).unwrap(), home);
        for (link, says) in [
            ("hello", "not an invite link"),
            ("http://192.168.1.5:4000/r/abc", "ask the host for the https:// link"),
            ("https://192.168.1.5:4000/r/abc#fp=sha256:12", "fingerprint is damaged"),
        ] {
            let refused = invoke(&window, "join_meeting", json!({"link": link, "name": "Dee"})).unwrap_err();
            assert_eq!(refused["kind"], "invalid", "{refused}");
            assert!(refused["message"].as_str().unwrap().contains(says), "{link}: {refused}");
        }
        let nameless = invoke(&window, "join_meeting", json!({"link": "https://h/r/abc", "name": "  "})).unwrap_err();
        assert!(nameless["message"].as_str().unwrap().contains("type your name"), "{nameless}");
        assert_eq!(invoke(&window, "get_whereabouts", json!({})).unwrap(), home, "nothing changed");
        assert_eq!(column(&invoke(&window, "get_board", json!({})).unwrap(), "Backlog").len(), 5);
    }

    #[test]
    fn a_turn_secret_is_stored_but_never_shown_to_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        assert_eq!(invoke(&window, "get_turn_secret_state", json!({})).unwrap(), json!({"configured": false}));
        let set = invoke(&window, "set_turn_secret", json!({"secret": " north-wind "})).unwrap();
        assert_eq!(set, json!({"configured": true}));
        for command in ["get_settings", "get_turn_secret_state"] {
            let shown = invoke(&window, command, json!({})).unwrap().to_string();
            assert!(!shown.contains("north-wind"), "{command}: {shown}");
        }
        assert_eq!(invoke(&window, "set_turn_secret", json!({"secret": null})).unwrap(), json!({"configured": false}));
    }

    #[test]
    fn an_api_key_is_stored_but_never_shown_to_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let status = invoke(&window, "set_api_key", json!({"key": " sk-test-never-shown "})).unwrap();
        assert_eq!(status["configured"], true);
        let settings = invoke(&window, "get_voice_settings", json!({})).unwrap();
        assert!(!settings.to_string().contains("sk-test-never-shown"), "{settings}");
        assert_eq!(settings["model"], "gpt-realtime-2");
        let refused = invoke(&window, "set_api_key", json!({"key": "two words"})).unwrap_err();
        assert!(refused["message"].as_str().unwrap().starts_with("The API key was not saved"), "{refused}");
        invoke(&window, "forget_api_key", json!({})).unwrap();
        assert_eq!(invoke(&window, "get_voice_settings", json!({})).unwrap()["key"]["configured"], false);
    }

    #[test]
    fn joining_without_a_microphone_or_key_says_so_and_leaving_turns_them_off() {
        let dir = tempfile::tempdir().unwrap();
        let (app, window) = app(dir.path());
        let (seen_tx, seen) = std::sync::mpsc::channel::<Value>();
        app.listen("microphone-changed", move |event| {
            seen_tx.send(serde_json::from_str(event.payload()).unwrap()).unwrap()
        });
        let (voice_tx, voice) = std::sync::mpsc::channel::<Value>();
        app.listen("voice-status-changed", move |event| {
            voice_tx.send(serde_json::from_str(event.payload()).unwrap()).unwrap()
        });
        let settings = json!({"theme": "system", "microphone": "no such microphone", "headset": false, "model": null, "baseUrl": null, "roomLan": false, "roomPort": null, "roomAskToJoin": false, "iceServers": [], "publicIp": null, "udpPorts": null});
        invoke(&window, "set_settings", json!({ "settings": settings })).unwrap();
        invoke(&window, "join_room", json!({})).unwrap();
        let status = seen.recv_timeout(std::time::Duration::from_secs(5)).unwrap()["status"].clone();
        assert_eq!(status["state"], "unavailable");
        assert!(status["reason"].as_str().unwrap().contains("\"no such microphone\" is not connected"), "{status}");
        let voice_status = voice.recv_timeout(std::time::Duration::from_secs(5)).unwrap()["status"].clone();
        assert_eq!(voice_status["state"], "stopped");
        assert!(voice_status["reason"].as_str().unwrap().starts_with("No OpenAI API key"), "{voice_status}");
        invoke(&window, "leave_room", json!({})).unwrap();
        assert_eq!(seen.recv_timeout(std::time::Duration::from_secs(5)).unwrap()["status"], json!({"state": "off"}));
    }

    #[test]
    fn a_room_starts_on_loopback_with_a_secret_link_and_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        assert_eq!(invoke(&window, "get_room", json!({})).unwrap(), Value::Null);
        let room = invoke(&window, "start_room", json!({})).unwrap();
        let link = room["inviteLink"].as_str().unwrap().to_owned();
        assert!(link.starts_with("http://127.0.0.1:"), "{link}");
        assert!(link.rsplit('/').next().unwrap().len() >= 43, "the token is long: {link}");
        assert_eq!(room["lan"], false);
        assert_eq!(invoke(&window, "start_room", json!({})).unwrap(), room, "starting again keeps the open room");
        assert_eq!(invoke(&window, "get_room", json!({})).unwrap(), room);
        let participants = invoke(&window, "get_participants", json!({})).unwrap();
        assert_eq!(participants.as_array().unwrap().len(), 1, "only the host: {participants}");
        let refused = invoke(&window, "mute_participant", json!({"id": "p9", "muted": true})).unwrap_err();
        assert!(refused["message"].as_str().unwrap().contains("nobody with id \"p9\""), "{refused}");
        invoke(&window, "end_room", json!({})).unwrap();
        assert_eq!(invoke(&window, "get_room", json!({})).unwrap(), Value::Null);
        let port = link.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap().parse::<u16>().unwrap();
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "ending the room frees its port");
        let refused = invoke(&window, "remove_participant", json!({"id": "p1"})).unwrap_err();
        assert_eq!(refused["message"], "No room is open.");
    }
}
