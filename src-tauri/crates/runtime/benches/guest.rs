//! Figures for the app as a guest in somebody else's room (a real room with its own
//! certificate on loopback, the app trusting it by the link's fingerprint; real WebRTC and
//! Opus both ways):
//! - join → first audio heard: from `Guest::join` to the host's tone in the app's mix
//!   (what its speakers play): TLS, hello, welcome, the offer and answer, ICE, DTLS, the
//!   first packets, the mixer's 60 ms jitter margin;
//! - a board change from the host → the app's copy: from the host's edit to the change
//!   published by the guest session (what the window is sent), p50/p99.
//!
//! Run: `cargo bench -p boardroom-runtime --bench guest`.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use audio::signal::{rms, tone_microphone};
use audio::{AudioEngine, Feed};
use board::{seed, BoardActor, Edit, Source, Status};
use guest::{Guest, GuestAudio, GuestStatus, JoinRequest};
use room::ice::IceConfig;
use room::tls::CertificateSource;
use room::{Access, Room, RoomAudio, RoomConfig};

const JOINS: usize = 10;
const CHANGES: usize = 200;
/// The host edits at this pace (a busy standup edits far less often).
const CHANGE_EVERY: Duration = Duration::from_millis(20);
/// A frame this loud carries the host's tone (it is played at -10 dBFS).
const HEARD_DBFS: f32 = -30.0;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (actor, board) = BoardActor::new(seed::board(), None);
        tokio::spawn(actor.run());
        let host_engine = AudioEngine::start(|_| {}).unwrap();
        let config = RoomConfig {
            access: Access::Network(CertificateSource::SelfSigned { dir: dir.path().to_path_buf() }),
            ice: IceConfig { public_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), ..IceConfig::default() },
            ..RoomConfig::default()
        };
        let audio = RoomAudio { sources: host_engine.sources(), microphone: Some(tone_microphone(440.0, 0.3)) };
        let room = Room::start(config, board.clone(), audio).await.unwrap();
        let invite = guest::invite::parse(room.invite_link()).unwrap();
        let app = AudioEngine::start(|_| {}).unwrap();

        let mut joins = Vec::new();
        for n in 0..JOINS {
            let mut mix = app.attach(Feed::Room, "bench", 500).await.unwrap();
            let request = JoinRequest {
                invite: invite.clone(),
                name: format!("Dee {n}"),
                device: format!("bench-app-device-{n:04}"),
            };
            let started = Instant::now();
            let session = Guest::join(request, GuestAudio { sources: app.sources(), microphone: None });
            loop {
                let frame = tokio::time::timeout(Duration::from_secs(20), mix.recv()).await.unwrap().unwrap();
                if 20.0 * rms(&frame[..]).max(1e-9).log10() > HEARD_DBFS {
                    break;
                }
            }
            joins.push(started.elapsed());
            session.leave().await;
        }
        joins.sort();
        println!(
            "join -> first audio heard in the app: p50 {:.0} ms, p99 {:.0} ms ({JOINS} joins)",
            ms(percentile(&joins, 0.5)),
            ms(percentile(&joins, 0.99))
        );

        let request = JoinRequest { invite, name: "Dee".into(), device: "bench-app-device-board".into() };
        let session = Guest::join(request, GuestAudio { sources: app.sources(), microphone: None });
        session.status().wait_for(|s| matches!(s, GuestStatus::In { .. })).await.unwrap();
        let mut changes = session.changes();
        let mut delays = Vec::new();
        for n in 0..CHANGES {
            let (card, status) = (format!("card-00{}", n % 5 + 1), [Status::InProgress, Status::Backlog][n / 5 % 2]);
            let started = Instant::now();
            board.apply(Edit::Move { card_id: card, status, position: None }, Source::Hand).await.unwrap();
            changes.recv().await.unwrap();
            delays.push(started.elapsed());
            tokio::time::sleep(CHANGE_EVERY).await;
        }
        delays.sort();
        println!(
            "board change host -> app: p50 {:.2} ms, p99 {:.2} ms ({CHANGES} changes)",
            ms(percentile(&delays, 0.5)),
            ms(percentile(&delays, 0.99))
        );
        session.leave().await;
        room.end().await;
    });
}
