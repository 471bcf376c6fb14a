//! Figures for the meeting room, with webrtc-rs participants on loopback that speak the
//! room's real protocol (WebSocket signaling, WebRTC, Opus):
//! - CPU the room spends per participant on forwarding and decoding, at 2, 4 and 8
//!   participants, each sending 20 ms Opus frames: measured on a `boardroom-host --room`
//!   process from /proc, so the participants' own work is not counted;
//! - join → first audio in the mix: from `hello` to the room's levels showing the newcomer
//!   speaking (levels go out every 100 ms, and the mixer holds 60 ms against jitter);
//! - board change propagation: from one participant's edit to the change arriving at every
//!   other participant (p50/p99 of the slowest receiver, 8 participants taking turns);
//! - the edit round trip (edit sent → `edited` back, p50/p95) while 12 participants edit at
//!   their limit (10 at once, then 5 a second) creating cards with the most text a card
//!   takes, both theirs and a 13th participant's ordinary edits: on a `boardroom-host --room`
//!   process, which saves the board as it changes.
//!
//! The join and CPU figures are measured twice: on the direct path, and with every
//! participant relayed through a TURN server (coturn on loopback, credentials minted by the
//! room from its shared secret, participants allowed relay candidates only). webrtc-rs
//! gathers TURN relays over UDP only, so the relay is reached over UDP here; browsers behind
//! a UDP-blocking firewall reach it over TCP (tests/e2e/test_reach.py).
//!
//! Run: `cargo bench -p boardroom-room --bench room` (scripts/bench.sh builds the release host).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use audio::signal::tone_frame;
use audio::{AudioEngine, OpusEncoder};
use board::{seed, BoardActor};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use meeting::PeerNetwork;
use room::ice::{IceConfig, IceUrl, TurnSecret};
use room::{Room, RoomAudio, RoomConfig};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use webrtc::api::media_engine::MIME_TYPE_OPUS;
use webrtc::ice_transport::ice_server::RTCIceServer;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

const CPU_WINDOW: Duration = Duration::from_secs(10);
/// Participants editing at their limit for the edit round trip figure, and for how long.
const LOADERS: usize = 12;
const LOAD_WINDOW: Duration = Duration::from_secs(30);
/// The documented edit limit: a burst of ten, then one every 200 ms.
const EDIT_BURST: usize = 10;
const EDIT_PACE: Duration = Duration::from_millis(200);
const EDITS: usize = 200;
/// Edits take turns among the participants at this pace, within each one's edit rate limit.
const EDIT_EVERY: Duration = Duration::from_millis(50);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// One participant: the signaling socket and, with `media`, a WebRTC peer sending Opus.
struct Client {
    id: String,
    outgoing: mpsc::UnboundedSender<Value>,
    messages: mpsc::UnboundedReceiver<Value>,
    received_packets: Arc<AtomicU64>,
    _peer: Option<Arc<webrtc::peer_connection::RTCPeerConnection>>,
}

/// One second of a tone as Opus packets, encoded once and sent in a loop.
fn tone_packets(frequency: f32) -> Arc<Vec<Bytes>> {
    let mut encoder = OpusEncoder::new(32_000).unwrap();
    Arc::new((0..50).map(|i| Bytes::copy_from_slice(encoder.encode(&tone_frame(frequency, 0.3, i)).unwrap())).collect())
}

/// A TURN server on loopback for the relayed figures.
struct Turn {
    process: Child,
    url: String,
}

const TURN_SECRET: &str = "bench-turn-secret";

impl Turn {
    /// coturn, when it is installed (scripts/test.sh installs it).
    fn start() -> Option<Turn> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let process = Command::new("turnserver")
            .args(["-n", "--use-auth-secret", "--realm=bench", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
            .arg(format!("--static-auth-secret={TURN_SECRET}"))
            .arg(format!("--listening-port={port}"))
            .args(["--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Turn { process, url: format!("turn:127.0.0.1:{port}") })
    }

    fn ice(&self) -> IceConfig {
        IceConfig {
            servers: vec![IceUrl::parse(&self.url).unwrap()],
            turn_secret: TurnSecret::new(TURN_SECRET),
            ..IceConfig::default()
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The path a participant's media takes.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    Direct,
    /// TURN relay candidates only, from the servers in the room's welcome.
    Relayed,
}

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::Direct => "direct",
            Path::Relayed => "every participant through a TURN relay",
        }
    }
}

async fn join(invite: &str, name: &str, media: Option<Arc<Vec<Bytes>>>, path: Path) -> Client {
    let url = format!("{}/ws", invite.replacen("http://", "ws://", 1));
    let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("the room's socket");
    let (mut sink, mut stream) = socket.split();
    let device = format!("bench-browser-{}-0123456789", name.replace(' ', "-"));
    let hello = json!({"type": "hello", "version": 2, "name": name, "device": device});
    sink.send(Message::text(hello.to_string())).await.unwrap();
    let welcome: Value = loop {
        if let Some(Ok(Message::Text(text))) = stream.next().await {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] == "welcome" {
                break value;
            }
        }
    };
    let id = welcome["participantId"].as_str().unwrap().to_owned();
    let (outgoing, mut to_send) = mpsc::unbounded_channel::<Value>();
    let (deliver, messages) = mpsc::unbounded_channel();
    let received_packets = Arc::new(AtomicU64::new(0));
    let peer = match media {
        Some(packets) => {
            let network = PeerNetwork {
                include_loopback: true,
                ice_servers: ice_servers(&welcome["iceServers"]),
                relay_only: path == Path::Relayed,
                ..PeerNetwork::default()
            };
            Some(media_peer(packets, Arc::clone(&received_packets), &network).await)
        }
        None => None,
    };
    let answering = peer.clone();
    let answers = outgoing.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(message) = to_send.recv() => {
                    if sink.send(Message::text(message.to_string())).await.is_err() { return; }
                }
                incoming = stream.next() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        // Pings are answered by tungstenite itself.
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        _ => return,
                    };
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "offer" {
                        if let Some(peer) = &answering {
                            let sdp = answer(peer, value["sdp"].as_str().unwrap()).await;
                            let _ = answers.send(json!({"type": "answer", "sdp": sdp}));
                        }
                    } else {
                        let _ = deliver.send(value);
                    }
                }
            }
        }
    });
    Client { id, outgoing, messages, received_packets, _peer: peer }
}

/// The welcome's `iceServers`, as a page would hand them to its `RTCPeerConnection`.
fn ice_servers(servers: &Value) -> Vec<RTCIceServer> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let servers = servers.as_array().cloned().unwrap_or_default();
    servers
        .iter()
        .map(|s| RTCIceServer {
            urls: s["urls"].as_array().unwrap().iter().map(text).collect(),
            username: text(&s["username"]),
            credential: text(&s["credential"]),
        })
        .collect()
}

async fn media_peer(
    packets: Arc<Vec<Bytes>>,
    received: Arc<AtomicU64>,
    network: &PeerNetwork,
) -> Arc<webrtc::peer_connection::RTCPeerConnection> {
    let peer = meeting::new_peer(network).await.unwrap();
    let track = Arc::new(TrackLocalStaticSample::new(
        RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.into(),
            clock_rate: 48_000,
            channels: 2,
            ..Default::default()
        },
        "audio".into(),
        "bench".into(),
    ));
    meeting::add_track(&peer, Arc::clone(&track) as _).await.unwrap();
    peer.on_track(Box::new(move |remote, _, _| {
        let received = Arc::clone(&received);
        // Spawned: webrtc-rs holds the handler while its future runs (see the room's peer.rs).
        tokio::spawn(async move {
            while remote.read_rtp().await.is_ok() {
                received.fetch_add(1, Ordering::Relaxed);
            }
        });
        Box::pin(async {})
    }));
    tokio::spawn(async move {
        let mut clock = tokio::time::interval(Duration::from_millis(20));
        for packet in packets.iter().cycle() {
            clock.tick().await;
            if meeting::opus::write_packet(&track, packet).await.is_err() {
                return;
            }
        }
    });
    peer
}

async fn answer(peer: &webrtc::peer_connection::RTCPeerConnection, offer: &str) -> String {
    peer.set_remote_description(RTCSessionDescription::offer(offer.to_owned()).unwrap()).await.unwrap();
    let answer = peer.create_answer(None).await.unwrap();
    let mut gathered = peer.gathering_complete_promise().await;
    peer.set_local_description(answer).await.unwrap();
    let _ = gathered.recv().await;
    peer.local_description().await.unwrap().sdp
}

impl Client {
    async fn next_of(&mut self, kind: &str, timeout: Duration) -> Option<Value> {
        tokio::time::timeout(timeout, async {
            while let Some(message) = self.messages.recv().await {
                if message["type"] == kind {
                    return Some(message);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }
}

/// The room in this process: join → first audio in the mix, and board change propagation.
async fn in_process_figures(turn: Option<&Turn>) {
    let (actor, board) = BoardActor::new(seed::board(), None);
    tokio::spawn(actor.run());
    // The room gets the mixer's levels from the audio thread, as the app and the host do.
    let levels = Arc::new(std::sync::Mutex::new(None::<room::HubHandle>));
    let to_hub = Arc::clone(&levels);
    let engine = AudioEngine::start(move |event| {
        if let audio::EngineEvent::Levels(l) = event {
            if let Some(hub) = to_hub.lock().unwrap().as_ref() {
                hub.levels(l.sources);
            }
        }
    })
    .unwrap();
    let audio = RoomAudio { sources: engine.sources(), microphone: None };
    let config = RoomConfig { ice: turn.map(Turn::ice).unwrap_or_default(), ..RoomConfig::default() };
    let open = Room::start(config, board, audio).await.unwrap();
    *levels.lock().unwrap() = Some(open.hub().clone());
    let invite = open.invite_link().to_owned();
    let packets = tone_packets(440.0);

    let mut paths = vec![Path::Direct];
    if turn.is_some() {
        paths.push(Path::Relayed);
    } else {
        println!("join -> first audio over a TURN relay: not measured (no turnserver; install coturn)");
    }
    for path in paths {
        join_to_first_audio(&invite, &packets, path).await;
    }
    board_propagation(&invite).await;
    open.end().await;
}

async fn join_to_first_audio(invite: &str, packets: &Arc<Vec<Bytes>>, path: Path) {
    let mut join_to_audio = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let mut client = join(invite, &format!("Joiner {i}"), Some(Arc::clone(packets)), path).await;
        let heard = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let levels = client.next_of("levels", Duration::from_secs(10)).await?;
                let me = levels["levels"].as_array()?.iter().find(|l| l["id"] == client.id.as_str())?.clone();
                if me["level"]["speaking"] == true {
                    return Some(started.elapsed());
                }
            }
        })
        .await
        .ok()
        .flatten()
        .expect("the newcomer's audio reaches the mix");
        join_to_audio.push(heard);
        let _ = client.outgoing.send(json!({"type": "leave"}));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let in_order: Vec<String> = join_to_audio.iter().map(|d| format!("{:.0}", ms(*d))).collect();
    join_to_audio.sort();
    println!(
        "join -> first audio in the mix ({}; levels show them speaking): median {:.0} ms, max {:.0} ms (in join order: {} ms)",
        path.label(),
        ms(percentile(&join_to_audio, 0.5)),
        ms(*join_to_audio.last().unwrap()),
        in_order.join(", ")
    );
}

async fn board_propagation(invite: &str) {
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(join(invite, &format!("Editor {i}"), None, Path::Direct).await);
    }
    let mut revision = 0;
    let mut slowest = Vec::with_capacity(EDITS);
    let mut pace = tokio::time::interval(EDIT_EVERY);
    for request in 0..EDITS {
        pace.tick().await;
        for client in &mut clients {
            while client.messages.try_recv().is_ok() {}
        }
        let editor = request % clients.len();
        let status = if request % 2 == 0 { "Done" } else { "Backlog" };
        let edit = json!({"type": "move", "cardId": "card-001", "status": status, "position": null});
        let sent = Instant::now();
        let message = json!({"type": "edit", "request": request, "seen": revision, "edit": edit});
        clients[editor].outgoing.send(message).unwrap();
        let mut latest = Duration::ZERO;
        for (_, client) in clients.iter_mut().enumerate().filter(|(i, _)| *i != editor) {
            let change = client.next_of("boardChanged", Duration::from_secs(5)).await.expect("the change arrives");
            latest = latest.max(sent.elapsed());
            revision = change["change"]["revision"].as_u64().unwrap();
        }
        slowest.push(latest);
    }
    slowest.sort();
    println!(
        "board change -> all 7 other participants: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {EDITS})",
        ms(percentile(&slowest, 0.5)),
        ms(percentile(&slowest, 0.99)),
        ms(*slowest.last().unwrap())
    );
}

/// CPU time (user + system) of a process, from /proc.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_secs_f64(ticks as f64 / 100.0)
}

struct HostProcess {
    child: Child,
    invite: String,
}

impl HostProcess {
    fn start(binary: &PathBuf, data_dir: &std::path::Path, turn: Option<&Turn>) -> HostProcess {
        use std::io::BufRead;
        let mut command = Command::new(binary);
        command.args(["--room", "--microphone", "none", "--data-dir"]).arg(data_dir);
        if let Some(turn) = turn {
            command.args(["--ice-server", &turn.url]).env("BOARDROOM_TURN_SECRET", TURN_SECRET);
        }
        let mut child = command
            .env_remove("OPENAI_API_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("boardroom-host starts");
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut lines = stdout.lines();
        let invite = loop {
            let line = lines.next().expect("the host prints its invite").unwrap();
            if let Some(link) = line.strip_prefix("room: ") {
                break link.to_owned();
            }
        };
        // Keep reading so the host never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        HostProcess { child, invite }
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Share of one core the process uses over the CPU window.
async fn cpu_share(pid: u32) -> f64 {
    let before = process_cpu(pid);
    let started = Instant::now();
    tokio::time::sleep(CPU_WINDOW).await;
    (process_cpu(pid) - before).as_secs_f64() / started.elapsed().as_secs_f64()
}

async fn forwarding_cpu(binary: &PathBuf, turn: Option<&Turn>, path: Path) {
    println!("host CPU, {}:", path.label());
    // The host's own work (mixing, levels, the board) with nobody in the room.
    let idle = {
        let dir = tempfile::tempdir().unwrap();
        let host = HostProcess::start(binary, dir.path(), turn);
        tokio::time::sleep(Duration::from_secs(2)).await;
        cpu_share(host.child.id()).await
    };
    println!("empty room: host CPU {:.1} % of one core", idle * 100.0);
    for count in [2usize, 4, 8] {
        let dir = tempfile::tempdir().unwrap();
        let host = HostProcess::start(binary, dir.path(), turn);
        let mut clients = Vec::new();
        for i in 0..count {
            clients
                .push(join(&host.invite, &format!("P{i}"), Some(tone_packets(300.0 + 100.0 * i as f32)), path).await);
        }
        // Everyone hears everyone else before measuring.
        let expected = (count - 1) as u64;
        let settled = Instant::now();
        while clients.iter().any(|c| c.received_packets.load(Ordering::Relaxed) < 50 * expected) {
            assert!(settled.elapsed() < Duration::from_secs(30), "forwarding did not start for {count} participants");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before: Vec<u64> = clients.iter().map(|c| c.received_packets.load(Ordering::Relaxed)).collect();
        let started = Instant::now();
        let share = cpu_share(host.child.id()).await;
        let elapsed = started.elapsed();
        let forwarded: u64 =
            clients.iter().zip(&before).map(|(c, b)| c.received_packets.load(Ordering::Relaxed) - b).sum();
        // Each participant gets everyone else's track and the host's microphone track.
        let streams = count * count;
        let expected_packets = streams as f64 * elapsed.as_secs_f64() * 50.0;
        println!(
            "{count} participants: host CPU {:.1} % of one core, {:.2} % per participant above the empty room; forwarded {:.0} % of {} packets/s",
            share * 100.0,
            (share - idle) * 100.0 / count as f64,
            100.0 * forwarded as f64 / expected_packets,
            streams * 50
        );
        for client in &clients {
            let _ = client.outgoing.send(json!({"type": "leave"}));
        }
        drop(clients);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A card with the most text a card takes: the longest title and notes, and every tag as long
/// as tags go.
fn maximal_card(editor: usize, n: usize) -> Value {
    use board::limits::{MAX_NOTES_CHARS, MAX_TAGS, MAX_TAG_CHARS, MAX_TITLE_CHARS};
    let text = |len: usize, seed: &str| seed.chars().cycle().take(len).collect::<String>();
    let title = text(MAX_TITLE_CHARS, &format!("Editor {editor} card {n} "));
    let notes = text(MAX_NOTES_CHARS, &format!("Notes {n} of editor {editor}, as long as notes go. "));
    let tags: Vec<String> = (0..MAX_TAGS).map(|t| text(MAX_TAG_CHARS, &format!("tag{t}-"))).collect();
    json!({"type": "create", "status": "Backlog", "title": title, "notes": notes, "tags": tags, "position": null})
}

/// Sends `edit` as `client`'s next request on the given pace (made on the latest revision it
/// heard of) and measures each one's round trip (until `until`): `(applied round trips, refused)`.
async fn edit_on_pace(
    mut client: Client,
    pace: Duration,
    burst: usize,
    until: Instant,
    edit: impl Fn(usize) -> Value,
) -> (Vec<Duration>, usize) {
    let (mut sent, mut round_trips, mut refused) = (std::collections::HashMap::new(), Vec::new(), 0);
    let mut clock = tokio::time::interval(pace);
    let (mut request, mut seen) = (0, 0);
    while Instant::now() < until || !sent.is_empty() {
        tokio::select! {
            _ = clock.tick(), if Instant::now() < until => {
                let due = if request == 0 { burst } else { 1 };
                for _ in 0..due {
                    request += 1;
                    let message = json!({"type": "edit", "request": request, "seen": seen, "edit": edit(request)});
                    sent.insert(request, Instant::now());
                    let _ = client.outgoing.send(message);
                }
            }
            message = client.messages.recv() => {
                let Some(message) = message else { break };
                let kind = message["type"].as_str().unwrap_or_default();
                seen = seen.max(message["change"]["revision"].as_u64().unwrap_or_default());
                if kind != "edited" && kind != "refused" {
                    continue;
                }
                let Some(at) = message["request"].as_u64().and_then(|r| sent.remove(&(r as usize))) else { continue };
                if kind == "edited" {
                    round_trips.push(at.elapsed());
                } else {
                    refused += 1;
                }
            }
            _ = tokio::time::sleep(Duration::from_secs(10)), if Instant::now() >= until => break,
        }
    }
    (round_trips, refused)
}

fn round_trip_figures(mut round_trips: Vec<Duration>) -> String {
    if round_trips.is_empty() {
        return "none applied".to_owned();
    }
    round_trips.sort();
    format!(
        "p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (n = {})",
        ms(percentile(&round_trips, 0.5)),
        ms(percentile(&round_trips, 0.95)),
        ms(*round_trips.last().unwrap()),
        round_trips.len()
    )
}

/// The edit round trip on the host while 12 participants edit at their limit with maximal cards.
async fn edits_at_the_limit(binary: &PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(binary, dir.path(), None);
    let until = Instant::now() + LOAD_WINDOW;
    let mut loaders = Vec::new();
    for editor in 0..LOADERS {
        let client = join(&host.invite, &format!("Loader {editor}"), None, Path::Direct).await;
        loaders
            .push(tokio::spawn(edit_on_pace(client, EDIT_PACE, EDIT_BURST, until, move |n| maximal_card(editor, n))));
    }
    // Someone making ordinary edits meanwhile: a card moved back and forth, twice a second.
    let ordinary = join(&host.invite, "Ordinary", None, Path::Direct).await;
    let moves = tokio::spawn(edit_on_pace(ordinary, Duration::from_millis(500), 1, until, |n| {
        let status = if n % 2 == 0 { "Done" } else { "Backlog" };
        json!({"type": "move", "cardId": "card-001", "status": status, "position": null})
    }));
    let (mut loaded, mut refused) = (Vec::new(), 0);
    for loader in loaders {
        let (round_trips, turned_away) = loader.await.unwrap();
        loaded.extend(round_trips);
        refused += turned_away;
    }
    let (ordinary, _) = moves.await.unwrap();
    println!(
        "edit round trip while {LOADERS} participants edit at their limit with maximal cards for {} s: theirs {}, {refused} refused; an ordinary edit meanwhile {}",
        LOAD_WINDOW.as_secs(),
        round_trip_figures(loaded),
        round_trip_figures(ordinary)
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let turn = Turn::start();
    runtime.block_on(in_process_figures(turn.as_ref()));
    let binary = std::env::var_os("BOARDROOM_HOST").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| "target".into());
        target.join("release/boardroom-host")
    });
    if binary.exists() {
        runtime.block_on(forwarding_cpu(&binary, None, Path::Direct));
        if let Some(turn) = &turn {
            runtime.block_on(forwarding_cpu(&binary, Some(turn), Path::Relayed));
        }
        runtime.block_on(edits_at_the_limit(&binary));
    } else {
        println!(
            "forwarding CPU and the edit round trip under load: skipped, {} is not built (cargo build --release -p boardroom-host)",
            binary.display()
        );
    }
}
