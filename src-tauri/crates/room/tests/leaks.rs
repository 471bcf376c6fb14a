//! Nothing of a participant outlives their visit. A thousand quick visits to the real room on
//! loopback leave at every stage (before hello, while the room sets up their peer, right after
//! the welcome while it gathers candidates for its first offer, after the offer, during ICE,
//! once connected) and, in a locked room, come back again and again with their resume key
//! after a dropped connection; afterwards the process's descriptors and the runtime's tasks
//! are back where they were. A test binary of its own: it counts the whole process's
//! descriptors, which other tests running beside it would disturb.

use std::sync::Arc;
use std::time::{Duration, Instant};

use audio::AudioEngine;
use board::{seed, BoardActor};
use futures_util::{SinkExt, StreamExt};
use room::{Room, RoomAudio, RoomConfig};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const VISITS: usize = 1000;
/// Of them, the comebacks into the locked room (the rest are newcomers to an open room).
const COMEBACKS: usize = 200;
/// People in the room (and comebacks under way) at once.
const AT_ONCE: usize = 4;
/// How long the room has to let go of everything once the last visitor is gone.
const SETTLE: Duration = Duration::from_secs(20);

/// When a visitor leaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Before saying hello: no peer is made.
    BeforeHello,
    /// Right after hello, while the room lets them in and sets up their peer.
    WithHello,
    /// As soon as the welcome arrives, while the room gathers candidates for its first offer.
    AfterWelcome,
    /// Once the offer arrived, without answering it.
    AfterOffer,
    /// Right after answering, while ICE checks run.
    DuringIce,
    /// Once their audio connection is up.
    Connected,
}

/// How a visitor goes.
#[derive(Debug, Clone, Copy)]
enum Leaving {
    /// The Leave button.
    Leave,
    /// The tab closes ("going away").
    CloseTab,
    /// The connection just ends: the room keeps their place for a comeback.
    Drop,
}

/// The stage visit `n` leaves at. Leaving right after the welcome is what leaked: it gets
/// half the visits; one in 25 sets up WebRTC of its own to leave during ICE or connected.
fn stage(n: usize) -> Stage {
    match n % 50 {
        0 => Stage::Connected,
        25 => Stage::DuringIce,
        n if n % 2 == 1 => Stage::AfterWelcome,
        n => [Stage::BeforeHello, Stage::WithHello, Stage::AfterOffer][n / 2 % 3],
    }
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("Linux /proc").count()
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

async fn say(socket: &mut Socket, value: Value) {
    socket.send(Message::text(value.to_string())).await.expect("the room's socket takes messages");
}

/// The next message of `kind`; an error from the room fails the test with its words.
async fn until(socket: &mut Socket, kind: &str) -> Value {
    let wait = async {
        loop {
            let text = match socket.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                other => panic!("the room closed a visitor's socket while they waited for {kind}: {other:?}"),
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_ne!(value["type"], "error", "the room refused a visitor: {value}");
            if value["type"] == kind {
                return value;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait).await.unwrap_or_else(|_| panic!("no {kind} within 20 s"))
}

/// A page's WebRTC side: answers the room's offer once its candidates are gathered.
async fn answer(offer: &Value) -> (Arc<RTCPeerConnection>, watch::Receiver<RTCPeerConnectionState>, String) {
    let network = meeting::PeerNetwork { include_loopback: true, ..meeting::PeerNetwork::default() };
    let peer = meeting::new_peer(&network).await.unwrap();
    let (state, states) = watch::channel(RTCPeerConnectionState::New);
    peer.on_peer_connection_state_change(Box::new(move |now| {
        state.send_replace(now);
        Box::pin(async {})
    }));
    let offer = RTCSessionDescription::offer(offer["sdp"].as_str().unwrap().to_owned()).unwrap();
    peer.set_remote_description(offer).await.unwrap();
    let answer = peer.create_answer(None).await.unwrap();
    let sdp = meeting::with_candidates(&peer, answer).await.unwrap();
    (peer, states, sdp)
}

/// One visit: in at `stage` (with `resume`, as the participant that key belongs to), then out
/// as `leaving` says. Returns the resume key the welcome gave, if it came.
async fn visit(invite: &str, device: &str, resume: Option<&str>, stage: Stage, leaving: Leaving) -> Option<String> {
    let mut socket = connect(invite).await;
    let (mut key, mut peer) = (None, None);
    if stage != Stage::BeforeHello {
        say(&mut socket, json!({"type": "hello", "version": 2, "name": "Visitor", "device": device, "resume": resume}))
            .await;
    }
    if !matches!(stage, Stage::BeforeHello | Stage::WithHello) {
        key = until(&mut socket, "welcome").await["resume"].as_str().map(str::to_owned);
    }
    if matches!(stage, Stage::AfterOffer | Stage::DuringIce | Stage::Connected) {
        let offer = until(&mut socket, "offer").await;
        if stage != Stage::AfterOffer {
            let (connection, mut states, sdp) = answer(&offer).await;
            say(&mut socket, json!({"type": "answer", "sdp": sdp})).await;
            if stage == Stage::Connected {
                let up = states.wait_for(|s| *s == RTCPeerConnectionState::Connected);
                tokio::time::timeout(Duration::from_secs(20), up).await.expect("connected within 20 s").unwrap();
            }
            peer = Some(connection);
        }
    }
    let socket = match leaving {
        Leaving::Leave => {
            say(&mut socket, json!({"type": "leave"})).await;
            Some(socket)
        }
        Leaving::CloseTab => {
            socket.close(Some(CloseFrame { code: CloseCode::Away, reason: "".into() })).await.unwrap();
            Some(socket)
        }
        Leaving::Drop => None,
    };
    if let Some(peer) = peer {
        peer.close().await.unwrap();
    }
    // Reading on until the room closes the socket: by then it has taken the leaving in.
    if let Some(mut socket) = socket {
        let end = async { while let Some(Ok(_)) = socket.next().await {} };
        tokio::time::timeout(Duration::from_secs(20), end).await.expect("the room closes a departed visitor's socket");
    }
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_quick_visits_leave_no_peer_and_no_task_behind() {
    let (actor, board) = BoardActor::new(seed::board(), None);
    tokio::spawn(actor.run());
    let engine = AudioEngine::start(|_| {}).unwrap();
    let room = Room::start(RoomConfig::default(), board, RoomAudio { sources: engine.sources(), microphone: None })
        .await
        .unwrap();
    let invite = room.invite_link().to_owned();
    let device = |n: usize| format!("visitor-{n:05}-0123456789abcdef");

    // Whatever is made once per process (crypto, codecs, the runtime's own) is made first.
    for (n, stage) in [Stage::Connected, Stage::AfterOffer, Stage::AfterWelcome].into_iter().enumerate() {
        visit(&invite, &device(100_000 + n), None, stage, Leaving::Leave).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (descriptors, tasks) = (open_descriptors(), alive_tasks());

    let started = Instant::now();
    let newcomers = VISITS - COMEBACKS;
    let workers: Vec<_> = (0..AT_ONCE)
        .map(|worker| {
            let invite = invite.clone();
            tokio::spawn(async move {
                for n in (worker..newcomers).step_by(AT_ONCE) {
                    let leaving = if n % 2 == 0 { Leaving::Leave } else { Leaving::CloseTab };
                    let leaving = if stage(n) == Stage::BeforeHello { Leaving::CloseTab } else { leaving };
                    visit(&invite, &device(n), None, stage(n), leaving).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }

    // The locked room: a few people in, then only their comebacks after dropped connections.
    let mut keys = Vec::new();
    for keeper in 0..AT_ONCE {
        let mut socket = connect(&invite).await;
        say(&mut socket, json!({"type": "hello", "version": 2, "name": "Keeper", "device": device(50_000 + keeper)}))
            .await;
        keys.push((until(&mut socket, "welcome").await["resume"].as_str().unwrap().to_owned(), socket));
    }
    room.hub().lock(true).await;
    let workers: Vec<_> = keys
        .into_iter()
        .enumerate()
        .map(|(keeper, (key, socket))| {
            let invite = invite.clone();
            tokio::spawn(async move {
                drop(socket);
                let device = device(50_000 + keeper);
                let comebacks = COMEBACKS / AT_ONCE;
                for n in 0..comebacks {
                    // Each waits for its welcome before it drops, so the hub has taken every
                    // comeback in before the next (and before the last one leaves).
                    let stage = [Stage::AfterWelcome, Stage::AfterOffer][n % 2];
                    let stage = if n % 25 == 12 { Stage::Connected } else { stage };
                    // The last comeback leaves for good: nothing of theirs is kept then.
                    let leaving = if n + 1 == comebacks { Leaving::Leave } else { Leaving::Drop };
                    visit(&invite, &device, Some(&key), stage, leaving).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let visiting = started.elapsed();
    let mut roster = room.hub().roster();
    let everyone_out = async move { roster.wait_for(|roster| roster.len() == 1).await.is_ok() };
    assert!(tokio::time::timeout(SETTLE, everyone_out).await.unwrap_or(false), "only the host is left");

    let settled = Instant::now();
    let mut now = (open_descriptors(), alive_tasks());
    while (now.0 > descriptors || now.1 > tasks) && settled.elapsed() < SETTLE {
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = (open_descriptors(), alive_tasks());
    }
    println!(
        "{VISITS} visits in {:.1} s; descriptors {descriptors} -> {}, tasks {tasks} -> {} after {:.1} s",
        visiting.as_secs_f64(),
        now.0,
        now.1,
        settled.elapsed().as_secs_f64()
    );
    assert!(now.0 <= descriptors, "{} descriptors left open after the visits (baseline {descriptors})", now.0);
    assert!(now.1 <= tasks, "{} tasks still alive after the visits (baseline {tasks})", now.1);
    room.end().await;
}

async fn connect(invite: &str) -> Socket {
    let url = format!("{}/ws", invite.replacen("http://", "ws://", 1));
    tokio_tungstenite::connect_async(url).await.expect("the room takes the connection").0
}
