//! The runtime as the window and the host use it: the voice operator follows joining and
//! the chosen key, and an open room is fed what the audio and the voice publish.

use std::time::Duration;

use fake_realtime::FakeRealtime;
use meeting::OperatorStatus;
use realtime::Endpoint;
use room::{RoomConfig, ServerMessage};
use runtime::{Listening, Runtime, RuntimeConfig, VoiceChoice};
use serde_json::json;
use tokio::sync::watch;

const KEY: &str = "sk-runtime-test";
const WAIT: Duration = Duration::from_secs(15);

fn ready(fake: &FakeRealtime, model: &str) -> VoiceChoice {
    VoiceChoice::Ready {
        endpoint: Endpoint { base_url: fake.base_url.clone(), api_key: KEY.into() },
        model: model.into(),
    }
}

fn start(dir: &std::path::Path, choice: VoiceChoice, listening: Listening) -> (Runtime, watch::Sender<VoiceChoice>) {
    let (choice_tx, choice) = watch::channel(choice);
    let config = RuntimeConfig {
        program: "the flow test",
        microphone: watch::channel(Some("no such microphone".into())).1,
        echo_cancellation: watch::channel(true).1,
        voice: choice,
        listening,
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
    let host_muted = |people: &Vec<room::Participant>| people.iter().any(|p| p.host && p.muted);
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
