//! The runtime as the window and the host use it: the voice operator follows joining and
//! the chosen key, and an open room is fed what the audio and the voice publish.

use std::time::Duration;

use fake_realtime::FakeRealtime;
use meeting::OperatorStatus;
use realtime::{Endpoint, Preferences};
use room::RoomConfig;
use room_protocol::ServerMessage;
use runtime::{Listening, Runtime, RuntimeConfig, VoiceChoice};
use serde_json::json;
use tokio::sync::watch;

const KEY: &str = "sk-runtime-test";
const WAIT: Duration = Duration::from_secs(15);

fn ready(fake: &FakeRealtime, model: &str) -> VoiceChoice {
    VoiceChoice::Ready {
        endpoint: Endpoint { base_url: fake.base_url.clone(), api_key: KEY.into() },
        model: model.into(),
        prices: realtime::cost::list_prices(model),
    }
}

fn start(dir: &std::path::Path, choice: VoiceChoice, listening: Listening) -> (Runtime, watch::Sender<VoiceChoice>) {
    start_asking(dir, choice, listening, false)
}

/// [`start`], with "ask before voice changes" as `ask_first`.
fn start_asking(
    dir: &std::path::Path,
    choice: VoiceChoice,
    listening: Listening,
    ask_first: bool,
) -> (Runtime, watch::Sender<VoiceChoice>) {
    let (choice_tx, choice) = watch::channel(choice);
    let config = RuntimeConfig {
        program: "the flow test",
        microphone: watch::channel(Some("no such microphone".into())).1,
        echo_cancellation: watch::channel(true).1,
        system_audio: watch::channel(false).1,
        voice: choice,
        listening,
        ask_to_join: watch::channel(false).1,
        voice_preferences: watch::channel(Preferences { ask_first, ..Preferences::default() }).1,
    };
    let (runtime, opened) = Runtime::start(dir, config).unwrap();
    assert!(opened.new && opened.problem.is_none(), "{opened:?}");
    (runtime, choice_tx)
}

async fn status_becomes(runtime: &Runtime, what: &str, wanted: impl Fn(&OperatorStatus) -> bool) -> OperatorStatus {
    let mut status = runtime.voice.status();
    tokio::time::timeout(WAIT, status.wait_for(|s| wanted(s)))
        .await
        .unwrap_or_else(|_| panic!("the voice status never became {what}; it is {:?}", runtime.voice.status().borrow()))
        .map(|found| found.clone())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voice_operator_follows_joining_and_the_chosen_key() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeRealtime::start(KEY).await;
    let no_key = VoiceChoice::Unavailable { reason: "No key yet.".into() };
    let (runtime, choice) = start(dir.path(), no_key, Listening::WhileJoined);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(*runtime.voice.status().borrow(), OperatorStatus::Off, "nobody joined: nothing to say");

    runtime.audio.join();
    let stopped = status_becomes(&runtime, "stopped", |s| matches!(s, OperatorStatus::Stopped { .. })).await;
    assert_eq!(stopped, OperatorStatus::Stopped { reason: "No key yet.".into() });

    // A key arrives (Settings): the operator calls the service.
    choice.send_replace(ready(&fake, "model-one"));
    let first = fake.next_call(WAIT).await;
    status_becomes(&runtime, "listening", |s| matches!(s, OperatorStatus::Listening { .. })).await;
    assert_eq!(fake.setups_begun(), 1);

    // The same choice again changes nothing; another model makes a new call and ends the old.
    choice.send_replace(ready(&fake, "model-one"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.setups_begun(), 1, "an unchanged choice keeps the call");
    choice.send_replace(ready(&fake, "model-two"));
    let second = fake.next_call(WAIT).await;
    assert_ne!(first.call_id, second.call_id);
    assert_eq!(second.session["model"], "model-two", "{}", second.session);
    assert!(fake.hangups().contains(&first.call_id), "the old call is hung up: {:?}", fake.hangups());

    // Leaving hangs up, within 2 s, and the status says off.
    let leaving = std::time::Instant::now();
    runtime.leave().await;
    assert!(leaving.elapsed() < Duration::from_secs(2), "{:?}", leaving.elapsed());
    assert_eq!(*runtime.voice.status().borrow(), OperatorStatus::Off);
    assert!(fake.hangups().contains(&second.call_id), "{:?}", fake.hangups());
    runtime.shutdown().await;
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_cost_sums_what_the_service_billed_and_starts_again_next_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeRealtime::start(KEY).await;
    let (runtime, _choice) = start(dir.path(), ready(&fake, "gpt-realtime-2"), Listening::WhileJoined);
    runtime.audio.join();
    let call = fake.next_call(WAIT).await;
    // Two responses and a transcription, with the usage fields the service sends.
    for (id, input, cached) in [("r1", 2_000, 0), ("r2", 2_600, 1_920)] {
        call.send_json(json!({ "type": "response.done", "response": { "id": id, "status": "completed", "output": [],
            "usage": { "total_tokens": input + 25, "input_tokens": input, "output_tokens": 25,
                "input_token_details": { "text_tokens": 1_500, "audio_tokens": input - 1_500, "image_tokens": 0, "cached_tokens": cached,
                    "cached_tokens_details": { "text_tokens": cached.min(1_500), "audio_tokens": cached - cached.min(1_500), "image_tokens": 0 } },
                "output_token_details": { "text_tokens": 25, "audio_tokens": 0 } } } }))
            .await;
    }
    call.send_json(json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": "i1", "content_index": 0,
        "transcript": "Ana finished the login page.",
        "usage": { "type": "tokens", "total_tokens": 118, "input_tokens": 100, "input_token_details": { "text_tokens": 0, "audio_tokens": 100 }, "output_tokens": 18 } }))
        .await;
    let mut cost = runtime.voice.cost();
    until(&mut cost, "three bills", |c| c.tokens.transcription_out == 18 && c.tokens.output() == 50).await;
    let meeting = cost.borrow().clone();
    assert_eq!((meeting.tokens.input(), meeting.tokens.cached()), (4_600, 1_920));
    assert_eq!((meeting.tokens.cached_text_in, meeting.tokens.cached_audio_in), (1_500, 420));
    // Uncached: 1,500 text + 500 audio, then 0 text + 680 audio; out 50 text; transcription 100 in, 18 out.
    let expected = (1_500.0 * 4.0 + 1_180.0 * 32.0 + 1_920.0 * 0.40 + 50.0 * 24.0 + 100.0 * 3.0 + 18.0 * 5.0) / 1e6;
    assert!((meeting.dollars - expected).abs() < 1e-9, "{} against {expected}", meeting.dollars);
    assert!(!meeting.unpriced);

    // The meter stays shown after leaving, the meeting's record keeps it, and it starts at
    // zero when this person joins again.
    runtime.leave().await;
    assert_eq!(cost.borrow().tokens.input(), 4_600);
    let record = dir.path().join(runtime::meetings::FILE);
    tokio::time::timeout(WAIT, async {
        while !record.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the meeting's record is kept");
    let kept: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&record).unwrap().trim()).unwrap();
    assert_eq!(kept["model"], "gpt-realtime-2");
    assert_eq!(kept["cost"]["tokens"]["cachedAudioIn"], 420);
    assert!(kept["endedAt"].as_i64() >= kept["startedAt"].as_i64());
    runtime.audio.join();
    until(&mut cost, "a fresh meter", |c| c.tokens.input() == 0).await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ask_first_voice_changes_wait_and_expire_with_the_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeRealtime::start(KEY).await;
    let (runtime, _choice) = start_asking(dir.path(), ready(&fake, "gpt-realtime-2"), Listening::WhileJoined, true);
    runtime.audio.join();
    let call = fake.next_call(WAIT).await;
    let item = json!({ "type": "function_call", "call_id": "call_1", "name": "move_ticket",
        "arguments": json!({ "card_id": "card-003", "status": "Done" }).to_string() });
    call.send_json(
        json!({ "type": "response.done", "response": { "id": "r1", "status": "completed", "output": [item] } }),
    )
    .await;
    call.wait_for(WAIT, "the answer", |c| c.outputs().len() == 1).await;
    assert_eq!(call.outputs()[0].1["waiting"], true, "a move waits when the host asks first");
    let board = runtime.board.snapshot().await.unwrap();
    assert_eq!(board.pending().len(), 1);
    assert_ne!(board.card("card-003").unwrap().status, board::Status::Done);

    // Nobody answered: leaving ends the meeting, and the suggestion expires, in the activity log.
    runtime.leave().await;
    let mut changes = runtime.board.subscribe();
    tokio::time::timeout(WAIT, async {
        while !runtime.board.snapshot().await.unwrap().pending().is_empty() {
            let _ = changes.recv().await;
        }
    })
    .await
    .expect("the suggestion expires when the meeting ends");
    let board = runtime.board.snapshot().await.unwrap();
    let last = board.activity().last().unwrap();
    assert!(matches!(last.operation, board::Edit::Expire { .. }), "{last:?}");
    assert_ne!(board.card("card-003").unwrap().status, board::Status::Done, "nothing changed on the board");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_room_is_fed_the_hosts_mute_the_voice_status_and_what_was_heard() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeRealtime::start(KEY).await;
    let (runtime, _choice) = start(dir.path(), ready(&fake, "model-one"), Listening::Always);
    let call = fake.next_call(WAIT).await;
    status_becomes(&runtime, "listening", |s| matches!(s, OperatorStatus::Listening { .. })).await;

    let mut rooms = runtime.hosting.room();
    let open = runtime.hosting.start(RoomConfig::default(), false).await.unwrap();
    assert!(open.invite_link.starts_with("http://127.0.0.1:"), "{}", open.invite_link);
    assert!(!open.lan);
    rooms.changed().await.unwrap();
    assert_eq!(rooms.borrow().as_ref().map(|room| room.invite_link.clone()), Some(open.invite_link.clone()));
    let again = runtime.hosting.start(RoomConfig::default(), false).await.unwrap();
    assert_eq!(again.invite_link, open.invite_link, "starting again keeps the open room");

    // What the voice operator hears reaches the room's pages.
    let mut news = open.hub.news();
    call.send_json(json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": "i1", "content_index": 0, "transcript": "Ana finished the login page." }))
        .await;
    let heard = tokio::time::timeout(WAIT, async {
        loop {
            if let ServerMessage::Transcript { line } = news.recv().await.unwrap() {
                return line.text;
            }
        }
    })
    .await
    .expect("the transcript line reaches the room");
    assert_eq!(heard, "Ana finished the login page.");

    // The host's own mute shows in the room's participants list.
    let mut roster = open.hub.roster();
    runtime.audio.set_muted(true);
    let host_muted = |people: &Vec<room_protocol::Participant>| people.iter().any(|p| p.host && p.muted);
    tokio::time::timeout(WAIT, roster.wait_for(host_muted)).await.expect("the host shows as muted").unwrap();

    // The voice status reaches the pages too: a service that goes away is reported.
    fake.answer_next_with(503, "down");
    call.drop_connection().await;
    let reported = tokio::time::timeout(WAIT, async {
        loop {
            if let ServerMessage::Voice { status } = news.recv().await.unwrap() {
                if !matches!(status, OperatorStatus::Listening { .. }) {
                    return status;
                }
            }
        }
    })
    .await
    .expect("the voice status reaches the room");
    assert!(matches!(reported, OperatorStatus::Reconnecting { .. } | OperatorStatus::Connecting), "{reported:?}");

    let port = open.invite_link.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap().to_owned();
    runtime.shutdown().await;
    assert!(runtime.hosting.room().borrow().is_none());
    assert!(std::net::TcpListener::bind(format!("127.0.0.1:{port}")).is_ok(), "ending the room frees its port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_hears_why_the_voice_operator_stopped_but_nothing_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeRealtime::start(KEY).await;
    let no_key = VoiceChoice::Unavailable { reason: "No key yet.".into() };
    let (runtime, choice) = start(dir.path(), no_key, Listening::Always);
    let open = runtime.hosting.start(RoomConfig::default(), false).await.unwrap();
    let mut news = open.hub.news();

    // A wrong key: the service quotes it masked, as the real one does.
    // Made up, and split so that secret scanners do not take it for a real key.
    let wrong: &str = &["sk", "proj", "Wr0ngKeyWr0ngKey9876"].join("-");
    let endpoint = Endpoint { base_url: fake.base_url.clone(), api_key: wrong.into() };
    choice.send_replace(VoiceChoice::Ready { endpoint, model: "model-one".into(), prices: None });
    let sent = tokio::time::timeout(WAIT, async {
        loop {
            let message = news.recv().await.unwrap();
            if let ServerMessage::Voice { status: OperatorStatus::Stopped { reason } } = &message {
                if reason.contains("rejected") {
                    return message;
                }
            }
        }
    })
    .await
    .expect("the room hears that the voice operator stopped");
    let page_reads = serde_json::to_string(&sent).unwrap();
    for fragment in ["sk-", "Wr0n", "9876", "**"] {
        assert!(!page_reads.contains(fragment), "{fragment:?} reached the pages: {page_reads}");
    }
    assert!(page_reads.contains("API key rejected") && page_reads.contains("Check the key"), "{page_reads}");
    let OperatorStatus::Stopped { reason } = runtime.voice.status().borrow().clone() else { panic!("not stopped") };
    assert!(!reason.contains("9876") && !reason.contains("sk-"), "nor the host's window: {reason}");
    runtime.shutdown().await;
}

/// Waits until `values` holds what `wanted` accepts.
async fn until<T>(values: &mut watch::Receiver<T>, what: &str, wanted: impl Fn(&T) -> bool) {
    tokio::time::timeout(WAIT, values.wait_for(|value| wanted(value)))
        .await
        .unwrap_or_else(|_| panic!("{what} within {WAIT:?}"))
        .unwrap();
}

/// The next board change shown, within the wait.
async fn next_shown_change(
    changes: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<board::Change>>,
) -> board::Change {
    let change = tokio::time::timeout(WAIT, changes.recv()).await.expect("a change is shown").unwrap();
    (*change).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_window_shows_is_its_own_board_or_the_room_it_is_a_guest_in() {
    let (host_dir, guest_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let no_key = || VoiceChoice::Unavailable { reason: "no key in this test".into() };
    let (host, _) = start(host_dir.path(), no_key(), Listening::WhileJoined);
    let (guest, _) = start(guest_dir.path(), no_key(), Listening::WhileJoined);
    let seen_at_home = guest.shown.board().await.unwrap();

    // At home, edits by hand go to this machine's own board and show as they apply.
    let mut host_changes = host.shown.changes();
    let moved = board::Edit::Move { card_id: "card-001".into(), status: board::Status::Done, position: None };
    let change = host.shown.edit(moved, 0).await.unwrap();
    assert_eq!(next_shown_change(&mut host_changes).await.revision, change.revision);
    assert!(host.shown.people().is_empty(), "no room, nobody else");

    // Hosting: the people shown are the room's.
    let open = host.start_room(RoomConfig::default(), false).await.unwrap();
    let mut host_people = host.shown.participants();
    until(&mut host_people, "the host shows in their own room", |people| people.iter().any(|p| p.host)).await;
    let refused = host.join_room(&open.invite_link, "Host again").await.err();
    assert!(matches!(refused, Some(runtime::JoinError::Hosting)), "a host joins no other room");

    // A guest: the board, people and edits are the room's; its own board stays as it was.
    let mut guest_people = guest.shown.participants();
    guest.join_room(&open.invite_link, "Bo").await.unwrap();
    until(&mut guest_people, "the guest sees the host", |people| people.iter().any(|p| p.host && p.name != "Bo")).await;
    let mut in_room = guest.shown.changes();
    let board = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(board) = guest.shown.board().await {
                return board;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the room's board arrives");
    assert_eq!(board.revision(), change.revision, "the guest shows the host's board");
    let tagged = board::Edit::AddTags { card_id: "card-002".into(), tags: vec!["from-bo".into()] };
    let by_guest = guest.shown.edit(tagged, board.revision()).await.unwrap();
    assert_eq!(next_shown_change(&mut in_room).await.revision, by_guest.revision);
    let on_host = host.board.snapshot().await.unwrap();
    assert_eq!(on_host.revision(), by_guest.revision, "the guest's edit lands on the host's board");
    assert!(matches!(guest.start_room(RoomConfig::default(), false).await, Err(runtime::StartRoomError::Guest)));
    assert!(guest.hosting.room().borrow().is_none(), "a guest opens no room of its own");

    // Home again: its own board as it was left, and nobody else.
    guest.guesting.leave().await;
    let home = guest.shown.board().await.unwrap();
    assert_eq!(home, seen_at_home, "home again, its own board as it was left");
    until(&mut guest_people, "home again, nobody else", Vec::is_empty).await;

    guest.shutdown().await;
    host.shutdown().await;
}
