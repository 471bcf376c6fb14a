//! The app joins a real room as a guest, over WSS with the room's own certificate trusted by
//! the fingerprint in the invite link: the board both ways, the participants list, leaving;
//! the call's audio both ways (the host's voice in the app's mix, the app's microphone in the
//! room's); a wrong fingerprint, a wrong token and a room that ended are explained and change
//! nothing; and a dropped connection comes back as the same participant.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use audio::signal::{left, steady_frequency, tone_microphone};
use audio::{AudioEngine, Feed, MixReceiver};
use board::{seed, BoardActor, BoardHandle, Edit, Source, Status};
use guest::invite;
use guest::{EditError, Guest, GuestAudio, GuestStatus, JoinRequest};
use room::ice::IceConfig;
use room::tls::CertificateSource;
use room::{Access, Room, RoomAudio, RoomConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const DEVICE: &str = "boardroom-app-device-0123456789";

struct Rig {
    room: Room,
    board: BoardHandle,
    engine: AudioEngine,
    _dir: tempfile::TempDir,
}

/// A room for the network with a certificate it made itself; its link names 127.0.0.1 (as a
/// 1:1 NAT's public address would), so the test does not depend on this machine's network.
async fn network_room() -> Rig {
    network_room_with(None).await
}

/// The same, with the host's microphone.
async fn network_room_with(microphone: Option<MixReceiver>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let (actor, board) = BoardActor::new(seed::board(), None);
    tokio::spawn(actor.run());
    let engine = AudioEngine::start(|_| {}).unwrap();
    let ice = IceConfig { public_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), ..IceConfig::default() };
    let source = CertificateSource::SelfSigned { dir: dir.path().to_path_buf() };
    let config = RoomConfig { access: Access::Network(source), ice, ..RoomConfig::default() };
    let room = Room::start(config, board.clone(), RoomAudio { sources: engine.sources(), microphone }).await.unwrap();
    Rig { room, board, engine, _dir: dir }
}

impl Rig {
    /// The invite link as the host shares it: with the certificate's fingerprint.
    fn link(&self) -> String {
        let link = self.room.invite_link().to_owned();
        assert!(link.contains("#fp=sha256:"), "{link}");
        link
    }

    fn roster(&self) -> Vec<String> {
        self.room.hub().roster().borrow().iter().map(|p| p.name.clone()).collect()
    }
}

fn join(link: &str, name: &str) -> Guest {
    let engine = AudioEngine::start(|_| {}).unwrap();
    let audio = GuestAudio { sources: engine.sources(), microphone: None };
    // The engine's thread outlives the handle for as long as the test runs; nothing plays.
    std::mem::forget(engine);
    join_with(link, name, audio)
}

fn join_with(link: &str, name: &str, audio: GuestAudio) -> Guest {
    let invite = invite::parse(link).unwrap();
    Guest::join(JoinRequest { invite, name: name.into(), device: DEVICE.into() }, audio)
}

/// Waits until `mix` carries a steady `frequency` Hz tone, listening in one-second windows.
async fn hears(mix: &mut MixReceiver, frequency: f32, who: &str) {
    let mut last = 0.0;
    for _ in 0..15 {
        let mut heard = Vec::new();
        while heard.len() < audio::SAMPLE_RATE as usize * 2 {
            let frame = tokio::time::timeout(Duration::from_secs(2), mix.recv()).await.unwrap().unwrap();
            heard.extend_from_slice(&frame[..]);
        }
        last = steady_frequency(&left(&heard));
        if (last - frequency).abs() < 5.0 {
            return;
        }
    }
    panic!("{who} never heard {frequency} Hz (last: {last} Hz)");
}

async fn until<T: Clone>(values: &mut watch::Receiver<T>, what: &str, done: impl Fn(&T) -> bool) -> T {
    let found = tokio::time::timeout(Duration::from_secs(10), values.wait_for(|value| done(value))).await;
    found.unwrap_or_else(|_| panic!("timed out waiting for {what}")).expect("still published").clone()
}

async fn ended(guest: &Guest) -> String {
    match until(&mut guest.status(), "the end", |s| matches!(s, GuestStatus::Ended { .. })).await {
        GuestStatus::Ended { reason } => reason,
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_joins_by_the_pinned_certificate_and_shares_the_board_both_ways() {
    let rig = network_room().await;
    let dee = join(&rig.link(), "Dee");
    until(&mut dee.status(), "the welcome", |s| matches!(s, GuestStatus::In { .. })).await;
    let board = until(&mut dee.board(), "the board", Option::is_some).await.unwrap();
    assert_eq!(board.column(Status::Backlog).len(), 5);
    until(&mut dee.participants(), "Dee in the list", |p| p.iter().any(|p| p.name == "Dee")).await;
    assert_eq!(rig.roster(), ["Host", "Dee"]);

    // The app's edit lands on the host's board, as Dee's.
    let moved = Edit::Move { card_id: "card-001".into(), status: Status::Done, position: None };
    let change = dee.edit(moved, 0).await.unwrap();
    assert_eq!((change.revision, change.source.clone()), (1, Source::Participant { name: "Dee".into() }));
    assert_eq!(rig.board.snapshot().await.unwrap().card("card-001").unwrap().status, Status::Done);

    // The host's edit reaches the app's copy, which stays the host's board.
    let mut changes = dee.changes();
    let tagged = Edit::AddTags { card_id: "card-002".into(), tags: vec!["urgent".into()] };
    rig.board.apply(tagged, Source::Hand).await.unwrap();
    let arrived = tokio::time::timeout(Duration::from_secs(5), changes.recv()).await.unwrap().unwrap();
    assert_eq!(arrived.revision, 2);
    let copy = until(&mut dee.board(), "revision 2", |b| b.as_ref().is_some_and(|b| b.revision() == 2)).await;
    assert_eq!(copy.unwrap().columns(), rig.board.snapshot().await.unwrap().columns());

    // An edit on a card someone changed since is refused, with the room's reason.
    let stale = Edit::Move { card_id: "card-002".into(), status: Status::Blocked, position: None };
    match dee.edit(stale, 1).await {
        Err(EditError::Refused(message)) => assert!(message.contains("else changed this card"), "{message}"),
        other => panic!("{other:?}"),
    }

    dee.leave().await;
    tokio::time::timeout(Duration::from_secs(5), async {
        while rig.roster() != ["Host"] {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("Dee is gone from the room");
    rig.room.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_call_carries_the_hosts_voice_to_the_app_and_the_apps_to_the_room() {
    let rig = network_room_with(Some(tone_microphone(440.0, 0.3))).await;
    let mut room_mix = rig.engine.attach(Feed::Room, "test", 100).await.unwrap();
    let app = AudioEngine::start(|_| {}).unwrap();
    let mut app_mix = app.attach(Feed::Room, "test", 100).await.unwrap();
    let audio = GuestAudio { sources: app.sources(), microphone: Some(tone_microphone(660.0, 0.3)) };
    let dee = join_with(&rig.link(), "Dee", audio);
    until(&mut dee.status(), "the welcome", |s| matches!(s, GuestStatus::In { .. })).await;
    hears(&mut app_mix, 440.0, "the app").await;
    hears(&mut room_mix, 660.0, "the room").await;
    dee.leave().await;
    rig.room.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_fingerprint_a_wrong_token_and_an_ended_room_are_explained_and_change_nothing() {
    let rig = network_room().await;
    let other = "ab".repeat(32);
    let link = rig.link();
    let (address, fragment) = link.split_once('#').unwrap();
    let wrong_pin = join(&format!("{address}#fp=sha256:{other}"), "Dee");
    let reason = ended(&wrong_pin).await;
    assert!(reason.contains("certificate is not the one the invite link names"), "{reason}");
    let served = rig.room.certificate().unwrap().fingerprint.clone().unwrap();
    assert!(reason.contains(&served), "it says which certificate the room showed: {reason}");

    let wrong_token = join(&format!("{}x#{fragment}", address), "Dee");
    let reason = ended(&wrong_token).await;
    assert!(reason.contains("not valid"), "{reason}");

    assert_eq!(rig.roster(), ["Host"], "nobody came in");
    assert_eq!(rig.board.snapshot().await.unwrap().revision(), 0, "nothing changed");
    rig.room.end().await;
    let after_the_end = join(&link, "Dee");
    let reason = ended(&after_the_end).await;
    assert!(reason.contains("could not be reached"), "{reason}");
}

/// A TCP proxy in front of the room whose connections the test can cut at once: a network blip.
struct Blip {
    address: SocketAddr,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Blip {
    async fn start(target: SocketAddr) -> Blip {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let tasks = Arc::clone(&open);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let Ok(mut upstream) = TcpStream::connect(target).await else { continue };
                let task = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
                tasks.lock().unwrap().push(task.abort_handle());
            }
        });
        Blip { address, open }
    }

    fn cut(&self) {
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_comes_back_as_the_same_participant() {
    let rig = network_room().await;
    let blip = Blip::start(rig.room.address()).await;
    let link = rig.link().replace(&format!(":{}/", rig.room.address().port()), &format!(":{}/", blip.address.port()));
    let dee = join(&link, "Dee");
    let first = until(&mut dee.status(), "the welcome", |s| matches!(s, GuestStatus::In { .. })).await;

    blip.cut();
    until(&mut dee.status(), "reconnecting", |s| matches!(s, GuestStatus::Reconnecting { .. })).await;
    let again = until(&mut dee.status(), "back in", |s| matches!(s, GuestStatus::In { .. })).await;
    assert_eq!(again, first, "the same participant id");
    assert_eq!(rig.roster(), ["Host", "Dee"], "not Dee (2)");
    let moved = Edit::Move { card_id: "card-003".into(), status: Status::InProgress, position: None };
    assert_eq!(dee.edit(moved, 0).await.unwrap().revision, 1);
    rig.room.end().await;
    let reason = ended(&dee).await;
    assert_eq!(reason, "The host ended the room.");
}
