//! The voice operator against the fake Realtime service: a real WebRTC call over loopback,
//! real Opus, the real HTTP set-up, and scripted server events.

use std::sync::Arc;
use std::time::Duration;

use audio::frame::dbfs;
use audio::signal::{frequency, left, rms, tone_frame};
use audio::Fanout;
use board::{BoardActor, BoardFile, BoardHandle, Edit, Source, Status};
use fake_realtime::{FakeCall, FakeRealtime};
use meeting::OperatorStatus;
use realtime::{Endpoint, Language, Operator, OperatorConfig, OperatorEvent, Preferences};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

const KEY: &str = "sk-test-operator";
const TONE_AMPLITUDE: f32 = 0.3;
const SOON: Duration = Duration::from_secs(20);

struct Rig {
    fake: FakeRealtime,
    board: BoardHandle,
    dir: tempfile::TempDir,
    operator: Option<Operator>,
    news: mpsc::UnboundedReceiver<OperatorEvent>,
    tone: tokio::task::JoinHandle<()>,
    /// The host's choices: "ask before voice changes" and the meeting's language.
    preferences: watch::Sender<Preferences>,
}

impl Rig {
    async fn start(key: &str, renew_after: Option<Duration>) -> Rig {
        Rig::start_with(key, renew_after, None, board::seed::board()).await
    }

    /// Like [`Rig::start`], with the operator pointed at `base_url` instead of the fake, on `board`.
    async fn start_with(
        key: &str,
        renew_after: Option<Duration>,
        base_url: Option<String>,
        board: board::Board,
    ) -> Rig {
        let _ = env_logger::builder().is_test(true).try_init();
        let fake = FakeRealtime::start(KEY).await;
        let dir = tempfile::tempdir().unwrap();
        let (actor, board) = BoardActor::new(board, Some(BoardFile::in_dir(dir.path())));
        tokio::spawn(actor.run());
        // The room mix: a 440 Hz tone, one frame every 20 ms, as the audio thread would send it.
        let mut fanout = Fanout::new();
        let mix = fanout.attach("realtime", 50);
        let tone = tokio::spawn(async move {
            let mut clock = tokio::time::interval(Duration::from_millis(20));
            for index in 0.. {
                clock.tick().await;
                fanout.send(&tone_frame(440.0, TONE_AMPLITUDE, index), Vec::new);
            }
        });
        let (news_tx, news) = mpsc::unbounded_channel();
        let mut config = OperatorConfig::new(
            Endpoint { base_url: base_url.unwrap_or_else(|| fake.base_url.clone()), api_key: key.to_owned() },
            "gpt-realtime-2".to_owned(),
        );
        if let Some(after) = renew_after {
            config.renew_after = after;
        }
        let (preferences, chosen) = watch::channel(Preferences::default());
        config.preferences = chosen;
        let operator = Operator::start(config, board.clone(), mix, Arc::new(move |event| drop(news_tx.send(event))));
        Rig { fake, board, dir, operator: Some(operator), news, tone, preferences }
    }

    /// Waits for a status matching `wanted`, returning every status seen on the way.
    async fn status_until(&mut self, what: &str, wanted: impl Fn(&OperatorStatus) -> bool) -> Vec<OperatorStatus> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + SOON;
        loop {
            match tokio::time::timeout_at(deadline, self.news.recv()).await {
                Ok(Some(OperatorEvent::Status(status))) => {
                    let done = wanted(&status);
                    seen.push(status);
                    if done {
                        return seen;
                    }
                }
                Ok(Some(_)) => {}
                _ => panic!("no {what} status; saw {seen:?}"),
            }
        }
    }

    async fn stop(mut self) -> (FakeRealtime, board::Board) {
        self.operator.take().unwrap().stop().await;
        self.tone.abort();
        let board = self.board.snapshot().await.unwrap();
        let saved = BoardFile::in_dir(self.dir.path()).load(0).into_board();
        assert_eq!(saved, board, "the board file holds the final board");
        (self.fake, board)
    }
}

fn listening(status: &OperatorStatus) -> bool {
    matches!(status, OperatorStatus::Listening { .. })
}

fn function_call_item(call_id: &str, name: &str, arguments: &Value) -> Value {
    json!({ "type": "function_call", "call_id": call_id, "name": name, "arguments": arguments.to_string() })
}

/// The three ways the server reports a call, in the order it sends them.
async fn send_call_in_all_three_forms(call: &FakeCall, response_id: &str, call_id: &str, name: &str, arguments: Value) {
    let item = function_call_item(call_id, name, &arguments);
    call.send_json(
        json!({ "type": "response.created", "response": { "id": response_id, "status": "in_progress", "output": [] } }),
    )
    .await;
    call.send_json(json!({ "type": "response.function_call_arguments.done", "response_id": response_id, "call_id": call_id, "name": name, "arguments": arguments.to_string() }))
        .await;
    call.send_json(json!({ "type": "response.output_item.done", "response_id": response_id, "item": item })).await;
    call.send_json(
        json!({ "type": "response.done", "response": { "id": response_id, "status": "completed", "output": [item] } }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_carries_the_session_and_the_room_mix() {
    let mut rig = Rig::start(KEY, None).await;
    let seen = rig.status_until("listening", listening).await;
    assert_eq!(seen[0], OperatorStatus::Connecting);
    let call = rig.fake.next_call(SOON).await;

    // The board comes as the first message after the instructions, which never name a card.
    call.wait_for(SOON, "the board message", |c| !c.system_messages().is_empty()).await;
    let board_message = &call.system_messages()[0];
    for id in ["card-001", "card-002", "card-003", "card-004", "card-005"] {
        assert!(board_message.contains(id), "the board message lists {id}");
        assert!(!call.session["instructions"].as_str().unwrap().contains(id));
    }
    assert!(call.session["audio"]["input"]["transcription"]["prompt"].as_str().unwrap().contains("webrtc"));
    assert_eq!(call.session["model"], "gpt-realtime-2");

    // Two seconds of the tone, past the first packets while the codec settles.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let audio = call.audio();
    assert!(audio.len() > 48_000 * 2 * 2, "{} samples arrived", audio.len());
    let steady = left(&audio[audio.len() - 48_000 * 2 * 2..]);
    let heard = frequency(&steady);
    assert!((heard - 440.0).abs() <= 5.0, "the model hears {heard} Hz");
    let sent_db = dbfs(TONE_AMPLITUDE / 2f32.sqrt());
    let heard_db = dbfs(rms(&steady));
    assert!((heard_db - sent_db).abs() <= 3.0, "sent {sent_db:.1} dBFS, heard {heard_db:.1} dBFS");

    let (fake, _) = rig.stop().await;
    assert_eq!(fake.hangups(), vec![call.call_id.clone()], "leaving hangs up the call");
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_apply_exactly_once_and_each_gets_one_answer() {
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("listening", listening).await;
    let call = rig.fake.next_call(SOON).await;
    let start_revision = rig.board.snapshot().await.unwrap().revision();

    // What was said, transcribed, then the call it led to, reported three times.
    call.send_json(json!({ "type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": null }))
        .await;
    call.send_json(json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": "I started on ICE restarts." }))
        .await;
    send_call_in_all_three_forms(
        &call,
        "resp_1",
        "call_move",
        "move_ticket",
        json!({ "card_id": "card-003", "status": "In Progress" }),
    )
    .await;
    // Only the arguments form.
    call.send_json(json!({ "type": "response.function_call_arguments.done", "response_id": "resp_2", "call_id": "call_create", "name": "create_ticket", "arguments": json!({ "title": "Write TURN docs", "notes": "", "tags": ["docs"] }).to_string() }))
        .await;
    // Only in response.done.
    let tags = function_call_item("call_tags", "add_tags", &json!({ "card_id": "card-001", "tags": ["risk"] }));
    call.send_json(
        json!({ "type": "response.done", "response": { "id": "resp_3", "status": "completed", "output": [tags] } }),
    )
    .await;
    // A cancelled response: its call must not apply.
    let cancelled = function_call_item("call_cancelled", "delete_ticket", &json!({ "card_id": "card-002" }));
    call.send_json(json!({ "type": "response.done", "response": { "id": "resp_4", "status": "cancelled", "output": [cancelled] } }))
        .await;
    // Noise that must be ignored without breaking the call.
    call.send("{this is not json").await;
    call.send_json(json!({ "type": "response.output_audio_transcript.delta", "delta": "hmm" })).await;
    call.send_json(json!({ "type": "rate_limits.updated", "rate_limits": [] })).await;
    // Refusals: unknown tool, unknown card, bad status, oversized arguments, bad JSON arguments.
    let refusals = [
        ("call_unknown_tool", "launch_rocket", json!({})),
        ("call_unknown_card", "move_ticket", json!({ "card_id": "card-999", "status": "Done" })),
        ("call_bad_status", "move_ticket", json!({ "card_id": "card-004", "status": "Doing" })),
        ("call_oversized", "update_ticket", json!({ "card_id": "card-004", "notes": "x".repeat(40_000) })),
    ];
    for (i, (call_id, name, arguments)) in refusals.iter().enumerate() {
        send_call_in_all_three_forms(&call, &format!("resp_r{i}"), call_id, name, arguments.clone()).await;
    }
    let broken = json!({ "type": "function_call", "call_id": "call_bad_json", "name": "add_tags", "arguments": "{\"card_id\": " });
    call.send_json(json!({ "type": "response.output_item.done", "response_id": "resp_b", "item": broken })).await;
    send_call_in_all_three_forms(
        &call,
        "resp_n",
        "call_nothing",
        "do_nothing",
        json!({ "reason": "that's it from me" }),
    )
    .await;

    call.wait_for(SOON, "nine function call outputs", |c| c.outputs().len() >= 9).await;
    // Anything late would show up now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outputs = call.outputs();
    let ids: Vec<&str> = outputs.iter().map(|(id, _)| id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "one output per call: {ids:?}");
    assert!(!ids.contains(&"call_cancelled"), "no answer for a call that was never applied");
    let ok = |id: &str| outputs.iter().find(|(c, _)| c == id).map(|(_, o)| o["ok"] == true);
    for id in ["call_move", "call_create", "call_tags", "call_nothing"] {
        assert_eq!(ok(id), Some(true), "{id}: {outputs:?}");
    }
    for id in ["call_unknown_tool", "call_unknown_card", "call_bad_status", "call_oversized", "call_bad_json"] {
        assert_eq!(ok(id), Some(false), "{id}: {outputs:?}");
    }
    let unknown_card = &outputs.iter().find(|(c, _)| c == "call_unknown_card").unwrap().1;
    assert!(unknown_card["error"].as_str().unwrap().contains("card-999"));

    // No response.create after tool outputs: that would loop with tool_choice "required".
    assert!(call.events_of("response.create").is_empty());
    // The model's own changes reach it as the answers to its calls, not again as messages;
    // the transcription learns the new card's words; the instructions and tools stay.
    call.wait_for(SOON, "the new card's words in the transcription hints", |c| {
        c.events_of("session.update").last().is_some_and(|u| {
            u["session"]["audio"]["input"]["transcription"]["prompt"]
                .as_str()
                .unwrap_or_default()
                .contains("Write TURN docs")
        })
    })
    .await;
    assert_eq!(call.system_messages().len(), 1, "only the board message: {:#?}", call.system_messages());
    assert!(call.prefix_changes().is_empty(), "{:#?}", call.prefix_changes());

    let transcript = loop {
        match rig.news.recv().await {
            Some(OperatorEvent::Transcript(line)) => break line,
            Some(_) => continue,
            None => panic!("no transcript"),
        }
    };
    assert_eq!(transcript.text, "I started on ICE restarts.");

    let (fake, board) = rig.stop().await;
    assert_eq!(board.revision(), start_revision + 3, "exactly the three good edits applied");
    assert_eq!(board.card("card-003").unwrap().status, Status::InProgress);
    assert!(board.card("card-001").unwrap().tags.contains(&"risk".to_owned()));
    assert!(board.card("card-002").is_some(), "the cancelled delete did not happen");
    let moved = board.activity().find(|c| c.card_id() == "card-003").unwrap();
    assert_eq!(
        moved.source,
        Source::Voice {
            call_id: "call_move".into(),
            transcript: Some("I started on ICE restarts.".into()),
            speakers: vec![]
        }
    );
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_the_model_as_a_line_and_the_prefix_never_changes() {
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("listening", listening).await;
    let call = rig.fake.next_call(SOON).await;
    call.wait_for(SOON, "the board message", |c| c.system_messages().len() == 1).await;
    // A meeting: twenty edits by hand as fast as the board takes them, one by a participant,
    // one by voice, and an undo by hand.
    for i in 0..20 {
        let edit = Edit::Create {
            status: Status::Backlog,
            title: format!("Hand card {i}"),
            notes: String::new(),
            tags: vec![],
            position: None,
        };
        rig.board.apply(edit, Source::Hand).await.unwrap();
    }
    let moved = Edit::Move { card_id: "card-003".into(), status: Status::Done, position: None };
    rig.board.apply(moved, Source::Participant { name: "Ana".into() }).await.unwrap();
    send_call_in_all_three_forms(
        &call,
        "resp_1",
        "call_tag",
        "add_tags",
        json!({ "card_id": "card-001", "tags": ["risk"] }),
    )
    .await;
    call.wait_for(SOON, "the answer", |c| c.outputs().len() == 1).await;
    let tagged = rig.board.snapshot().await.unwrap().revision();
    rig.board.apply(Edit::Undo { revision: tagged }, Source::Hand).await.unwrap();

    call.wait_for(SOON, "a line for each change", |c| c.system_messages().len() == 23).await;
    let lines = call.system_messages();
    for i in 0..20 {
        assert!(lines[1 + i].contains("by the host, by hand: created kanban-card-"), "{}", lines[1 + i]);
        assert!(lines[1 + i].contains(&format!(r#""Hand card {i}""#)), "{}", lines[1 + i]);
    }
    assert!(
        lines[21].ends_with(
            r#"by participant "Ana": moved card-003 "Implement ICE Restart Handling" from Backlog to Done."#
        ),
        "{}",
        lines[21]
    );
    assert!(lines[22].contains(&format!("undid change {tagged}")), "{}", lines[22]);
    // Anything late would show up now.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(call.system_messages().len(), 23, "the voice change came as its answer only");
    assert!(call.prefix_changes().is_empty(), "{:#?}", call.prefix_changes());
    let updates = call.events_of("session.update");
    assert!(!updates.is_empty() && updates.len() <= 3, "hints refreshed at most every 2 s: {updates:#?}");
    let (fake, _) = rig.stop().await;
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risky_voice_changes_wait_for_a_person_and_the_model_hears_the_answer() {
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("listening", listening).await;
    let call = rig.fake.next_call(SOON).await;
    call.wait_for(SOON, "the board message", |c| c.system_messages().len() == 1).await;

    // A deletion by voice waits, with the words that led to it.
    call.send_json(json!({ "type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": null }))
        .await;
    call.send_json(json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": "We can drop the retransmission buffer." }))
        .await;
    send_call_in_all_three_forms(&call, "resp_1", "call_delete", "delete_ticket", json!({ "card_id": "card-002" }))
        .await;
    call.wait_for(SOON, "the answer", |c| c.outputs().len() == 1).await;
    let answer = &call.outputs()[0].1;
    assert_eq!((answer["ok"].clone(), answer["waiting"].clone()), (json!(true), json!(true)), "{answer}");
    let board = rig.board.snapshot().await.unwrap();
    assert!(board.card("card-002").is_some(), "nothing changes until someone accepts");
    let waiting = board.pending()[0].clone();
    assert_eq!(answer["suggestion"], json!(waiting.id));
    assert_eq!(
        waiting.source,
        Source::Voice {
            call_id: "call_delete".into(),
            transcript: Some("We can drop the retransmission buffer.".into()),
            speakers: vec![]
        }
    );

    // Ana accepts it on her page: the card goes, and the model is told.
    let ana = Source::Participant { name: "Ana".into() };
    rig.board.apply(Edit::Accept { suggestion: waiting.id }, ana).await.unwrap();
    call.wait_for(SOON, "the acceptance", |c| c.system_messages().len() == 2).await;
    let line = &call.system_messages()[1];
    assert!(
        line.ends_with(&format!(
            r#"by participant "Ana": accepted suggestion {}: deleted card-002 "Add RTP Retransmission Buffer" in Backlog."#,
            waiting.id
        )),
        "{line}"
    );

    // With "ask before voice changes" on, a move waits too; the host rejects it by hand.
    rig.preferences.send_modify(|chosen| chosen.ask_first = true);
    send_call_in_all_three_forms(
        &call,
        "resp_2",
        "call_move",
        "move_ticket",
        json!({ "card_id": "card-003", "status": "Done" }),
    )
    .await;
    call.wait_for(SOON, "the second answer", |c| c.outputs().len() == 2).await;
    assert_eq!(call.outputs()[1].1["waiting"], json!(true));
    let id = rig.board.snapshot().await.unwrap().pending()[0].id;
    rig.board.apply(Edit::Reject { suggestion: id }, Source::Hand).await.unwrap();
    call.wait_for(SOON, "the rejection", |c| c.system_messages().len() == 3).await;
    let line = &call.system_messages()[2];
    assert!(line.contains(&format!("by the host, by hand: rejected suggestion {id} to move card-003")), "{line}");
    assert!(line.ends_with("to Done; the board is unchanged."), "{line}");
    assert!(call.prefix_changes().is_empty(), "{:#?}", call.prefix_changes());

    let (fake, board) = rig.stop().await;
    assert_ne!(board.card("card-003").unwrap().status, Status::Done);
    assert!(board.pending().is_empty());
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_language_changes_the_instructions_once_and_carries_over_to_a_renewed_call() {
    let mut rig = Rig::start(KEY, Some(Duration::from_secs(6))).await;
    rig.status_until("listening", listening).await;
    let first = rig.fake.next_call(SOON).await;
    let transcription = |session: &Value| session["audio"]["input"]["transcription"].clone();
    assert_eq!(transcription(&first.session)["language"], "en", "the default");
    assert!(first.session["instructions"].as_str().unwrap().contains("The meeting is held in English."));

    // The host picks German mid-meeting: one session.update, with new instructions and the
    // transcription in German; the tools stay.
    rig.preferences.send_modify(|chosen| chosen.language = Language::from_code("de").unwrap());
    first.wait_for(SOON, "the language update", |c| !c.prefix_changes().is_empty()).await;
    let changes = first.prefix_changes();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let update = &changes[0]["session"];
    assert!(update["instructions"].as_str().unwrap().contains("The meeting is held in German."), "{update}");
    assert_eq!(transcription(update)["language"], "de");
    assert_eq!(update["tools"], first.session["tools"]);
    // The same choice again is no news.
    rig.preferences.send_modify(|chosen| chosen.language = Language::from_code("de").unwrap());

    // The renewed call is set up in German, and its hints keep the language.
    let second = rig.fake.next_call(SOON).await;
    assert_eq!(transcription(&second.session)["language"], "de");
    assert_eq!(second.session["instructions"], update["instructions"]);
    let edit = Edit::Create {
        title: "Kartenzahlung prüfen".into(),
        status: Status::Backlog,
        tags: vec!["zahlung".into()],
        notes: String::new(),
        position: None,
    };
    rig.board.apply(edit, Source::Hand).await.unwrap();
    second
        .wait_for(SOON, "new hints", |c| {
            c.events_of("session.update")
                .iter()
                .any(|e| transcription(&e["session"])["prompt"].to_string().contains("zahlung"))
        })
        .await;
    for update in second.events_of("session.update") {
        assert_eq!(transcription(&update["session"])["language"], "de", "{update}");
    }
    assert!(second.prefix_changes().is_empty(), "{:#?}", second.prefix_changes());
    assert_eq!(first.prefix_changes().len(), 1, "one update for one choice");

    let (fake, _) = rig.stop().await;
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

/// 2,000 cards, the last made in Done: the board message cannot list it.
fn big_board() -> board::Board {
    let mut cards: Vec<board::Card> = (0..1_999)
        .map(|i| board::Card {
            id: format!("card-{i:04}"),
            status: Status::ALL[i % 4],
            title: format!("Routine task number {i}"),
            notes: "Some notes that people wrote about the task".into(),
            tags: vec![format!("area{}", i % 9)],
        })
        .collect();
    cards.push(board::Card {
        id: "card-hevc".into(),
        status: Status::Done,
        title: "Migrate the HEVC encoder".into(),
        notes: String::new(),
        tags: vec!["video".into()],
    });
    board::Board::with_cards(cards)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_the_board_message_leaves_out_is_found_and_acted_on() {
    let mut rig = Rig::start_with(KEY, None, None, big_board()).await;
    rig.status_until("listening", listening).await;
    let call = rig.fake.next_call(SOON).await;
    call.wait_for(SOON, "the board message", |c| !c.system_messages().is_empty()).await;
    let board_message = &call.system_messages()[0];
    assert!(!board_message.contains("card-hevc"), "left out");
    assert!(board_message.contains("find_cards"), "and the model is told how to find it");
    assert!(board_message.len() < 14 * 1024, "{} bytes", board_message.len());

    // "The HEVC encoder is back in progress": the model looks it up, then moves it.
    send_call_in_all_three_forms(&call, "resp_1", "call_find", "find_cards", json!({ "words": "HEVC encoder" })).await;
    call.wait_for(SOON, "a response to act on what was found", |c| !c.events_of("response.create").is_empty()).await;
    let found = &call.outputs()[0].1;
    assert_eq!(found["cards"][0]["id"], "card-hevc", "{found}");
    assert_eq!(found["changed"], false);
    send_call_in_all_three_forms(
        &call,
        "resp_2",
        "call_move",
        "move_ticket",
        json!({ "card_id": "card-hevc", "status": "In Progress" }),
    )
    .await;
    call.wait_for(SOON, "the move's answer", |c| c.outputs().len() == 2).await;
    assert_eq!(call.outputs()[1].1["ok"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call.events_of("response.create").len(), 1, "one follow-up, for the look-up only");

    let (fake, board) = rig.stop().await;
    assert_eq!(board.card("card-hevc").unwrap().status, Status::InProgress);
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_is_sent_again_when_the_server_cuts_the_conversation() {
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("listening", listening).await;
    let call = rig.fake.next_call(SOON).await;
    call.wait_for(SOON, "the board message", |c| c.system_messages().len() == 1).await;
    let done = |id: &str, input_tokens: u64| {
        json!({ "type": "response.done", "response": { "id": id, "status": "completed", "output": [],
            "usage": { "total_tokens": input_tokens + 20, "input_tokens": input_tokens, "output_tokens": 20,
                "input_token_details": { "text_tokens": 2_000, "audio_tokens": input_tokens - 2_000, "cached_tokens": 1_500 } } } })
    };
    call.send_json(done("resp_1", 15_000)).await;
    call.send_json(done("resp_2", 15_900)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call.system_messages().len(), 1, "the conversation only grew");
    let moved = Edit::Move { card_id: "card-002".into(), status: Status::Done, position: None };
    rig.board.apply(moved, Source::Hand).await.unwrap();
    // The oldest items were dropped: fewer tokens read than before.
    call.send_json(done("resp_3", 12_100)).await;
    call.wait_for(SOON, "the board again", |c| c.system_messages().len() == 3).await;
    let again = &call.system_messages()[2];
    // Only card-002 is in Done on the seed board moved so.
    assert!(again.contains(r#""status":"Done""#) && again.contains("card-002"), "the board as it is now: {again}");
    let (fake, _) = rig.stop().await;
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_drops_are_retried_with_backoff_and_never_touch_the_board() {
    let mut rig = Rig::start(KEY, None).await;
    rig.fake.answer_next_with(500, r#"{"error":{"type":"server_error","code":null,"message":"boom"}}"#);
    rig.fake.answer_next_with(
        429,
        r#"{"error":{"type":"rate_limit_exceeded","code":"rate_limit_exceeded","message":"slow down"}}"#,
    );
    rig.fake.answer_next_with(503, "");
    let seen = rig.status_until("listening", listening).await;
    let retries: Vec<(u32, u32)> = seen
        .iter()
        .filter_map(|s| match s {
            OperatorStatus::Reconnecting { attempt, retry_in_secs, .. } => Some((*attempt, *retry_in_secs)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3], "{seen:?}");
    let attempts = rig.fake.attempts();
    assert_eq!(attempts.iter().map(|a| a.status).collect::<Vec<_>>(), [500, 429, 503, 201]);
    // 1 s, 2 s, 4 s, each ±20 %, plus the time a set-up takes.
    for (gap, nominal) in attempts.windows(2).map(|w| w[1].at - w[0].at).zip([1.0, 2.0, 4.0]) {
        let gap = gap.as_secs_f64();
        assert!(
            gap >= nominal * 0.8 && gap <= nominal * 1.2 + 1.5,
            "retry after {gap:.2} s, expected about {nominal} s"
        );
    }
    let revision = rig.board.snapshot().await.unwrap().revision();

    // A dropped connection: back to listening on a new call, one second later.
    let first = rig.fake.next_call(SOON).await;
    first.drop_connection().await;
    let seen = rig.status_until("listening again", listening).await;
    assert!(matches!(&seen[0], OperatorStatus::Reconnecting { attempt: 1, retry_in_secs: 1..=2, .. }), "{seen:?}");
    let second = rig.fake.next_call(SOON).await;
    assert_ne!(first.call_id, second.call_id);

    // The events channel closing alone also means a new call.
    second.close_events_channel().await;
    rig.status_until("listening on a third call", listening).await;
    let third = rig.fake.next_call(SOON).await;
    assert_ne!(second.call_id, third.call_id);

    let (fake, board) = rig.stop().await;
    assert_eq!(board.revision(), revision, "connection faults never touch the board");
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_is_retried_and_the_status_says_why() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut rig = Rig::start_with(KEY, None, Some(format!("http://127.0.0.1:{port}/v1")), board::seed::board()).await;
    let seen =
        rig.status_until("a second retry", |s| matches!(s, OperatorStatus::Reconnecting { attempt: 2, .. })).await;
    let reasons: Vec<&str> = seen
        .iter()
        .filter_map(|s| match s {
            OperatorStatus::Reconnecting { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{seen:?}");
    assert!(reasons.iter().all(|r| r.starts_with("Could not reach the API")), "{reasons:?}");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_stops_with_a_clear_reason_and_no_retry_loop() {
    let mut rig = Rig::start("sk-wrong", None).await;
    let seen = rig.status_until("stopped", |s| matches!(s, OperatorStatus::Stopped { .. })).await;
    let OperatorStatus::Stopped { reason } = seen.last().unwrap() else { unreachable!() };
    assert!(reason.starts_with("API key rejected"), "{reason}");
    assert!(!reason.contains("sk-wrong") && !reason.contains("rong"), "the key never appears in messages: {reason}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rig.fake.attempts().len(), 1, "no retries after 401");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_old_calls_are_renewed_with_the_current_board_and_little_silence() {
    let mut rig = Rig::start(KEY, Some(Duration::from_secs(6))).await;
    rig.status_until("listening", listening).await;
    let first = rig.fake.next_call(SOON).await;
    let edit = Edit::Create {
        status: Status::Blocked,
        title: "Waiting on TURN creds".into(),
        notes: String::new(),
        tags: vec![],
        position: None,
    };
    rig.board.apply(edit, Source::Hand).await.unwrap();

    // The server ends the session: a new call follows at once, with the board as it is now.
    first
        .send_json(json!({ "type": "error", "event_id": "e1", "error": { "type": "invalid_request_error", "code": "session_expired", "message": "Your session hit the maximum duration of 60 minutes." } }))
        .await;
    let expired_at = std::time::Instant::now();
    let second = rig.fake.next_call(SOON).await;
    assert_eq!(second.session["instructions"], first.session["instructions"]);
    let knows = |c: &FakeCall| c.system_messages().first().is_some_and(|m| m.contains("Waiting on TURN creds"));
    second.wait_for(SOON, "the board message with the new card", knows).await;
    second.wait_for(SOON, "audio on the new call", |c| !c.audio().is_empty()).await;
    let silence = expired_at.elapsed();
    assert!(silence <= Duration::from_secs(2), "{silence:?} without audio reaching the model");
    let hung_up = || rig.fake.hangups();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(hung_up().contains(&first.call_id), "the expired call is hung up");

    // Six seconds into the second call (55 minutes in the app), it is renewed before the limit.
    let third = rig.fake.next_call(Duration::from_secs(15)).await;
    assert_ne!(third.call_id, second.call_id);
    third.wait_for(SOON, "audio on the renewed call", |c| !c.audio().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rig.fake.hangups().contains(&second.call_id), "the old call is hung up once the new one is up");

    let (fake, _) = rig.stop().await;
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

/// Waits until the operator starts setting up another call (a renewal, here).
async fn next_setup_begins(fake: &FakeRealtime) {
    let begun = fake.setups_begun();
    tokio::time::timeout(SOON, async {
        while fake.setups_begun() == begun {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a new call set-up begins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_made_while_the_call_is_being_renewed_is_applied_and_answered() {
    let mut rig = Rig::start(KEY, Some(Duration::from_secs(3))).await;
    rig.status_until("listening", listening).await;
    let old = rig.fake.next_call(SOON).await;
    // The next set-up takes 3 s: the renewal window is wide open.
    rig.fake.slow_setups(Duration::from_secs(3));
    next_setup_begins(&rig.fake).await;
    send_call_in_all_three_forms(
        &old,
        "resp_late",
        "call_in_the_window",
        "create_ticket",
        json!({ "title": "Said while renewing", "notes": "", "tags": [] }),
    )
    .await;
    old.wait_for(SOON, "the answer on the old call", |c| c.outputs().iter().any(|(id, _)| id == "call_in_the_window"))
        .await;
    let board = rig.board.snapshot().await.unwrap();
    assert!(board.cards().any(|card| card.title == "Said while renewing"), "the call was applied");
    let new = rig.fake.next_call(SOON).await;
    assert_ne!(new.call_id, old.call_id);
    // Its set-up began before the card was made; the board message, sent once it is up, has it.
    new.wait_for(SOON, "the card in the new call's board message", |c| {
        c.system_messages().iter().any(|m| m.contains("Said while renewing"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rig.fake.hangups().contains(&old.call_id), "the old call is hung up once the new one is up");
    let (fake, _) = rig.stop().await;
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_takes_under_two_seconds_whatever_the_network_does() {
    let timed_stop = |rig: Rig| async move {
        let started = std::time::Instant::now();
        rig.stop().await;
        started.elapsed()
    };
    // Hang-ups that the service answers after ten seconds.
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("listening", listening).await;
    rig.fake.slow_hangups(Duration::from_secs(10));
    let took = timed_stop(rig).await;
    assert!(took < Duration::from_secs(2), "leaving during a call with slow hang-ups took {took:?}");

    // A set-up that the service answers after ten seconds.
    let mut rig = Rig::start(KEY, None).await;
    rig.status_until("connecting", |s| matches!(s, OperatorStatus::Connecting)).await;
    rig.fake.slow_setups(Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = timed_stop(rig).await;
    assert!(took < Duration::from_secs(2), "leaving while connecting took {took:?}");

    // Both, during a renewal.
    let mut rig = Rig::start(KEY, Some(Duration::from_secs(2))).await;
    rig.status_until("listening", listening).await;
    rig.fake.slow_setups(Duration::from_secs(10));
    rig.fake.slow_hangups(Duration::from_secs(10));
    next_setup_begins(&rig.fake).await;
    let took = timed_stop(rig).await;
    assert!(took < Duration::from_secs(2), "leaving during a renewal took {took:?}");
}
