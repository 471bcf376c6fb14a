//! Rooms other computers reach are served over HTTPS and WSS: the installation's own
//! certificate is made once and kept (same fingerprint after a restart), certificate files
//! are checked at start and picked up again when renewed, and a client that never finishes
//! its handshake holds up nobody, not even 140 of them from one address.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use audio::AudioEngine;
use board::{seed, BoardActor};
use futures_util::{SinkExt, StreamExt};
use room::ice::IceConfig;
use room::tls::CertificateSource;
use room::{Access, CertificateKind, Room, RoomAudio, RoomConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A room for the network whose link names 127.0.0.1 (as a 1:1 NAT's public address would),
/// so the test does not depend on this machine's own network.
async fn network_room(source: CertificateSource, engine: &AudioEngine) -> Result<Room, room::RoomError> {
    let (actor, board) = BoardActor::new(seed::board(), None);
    tokio::spawn(actor.run());
    let ice = IceConfig { public_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), ..IceConfig::default() };
    let config = RoomConfig { access: Access::Network(source), ice, ..RoomConfig::default() };
    Room::start(config, board, RoomAudio { sources: engine.sources(), microphone: None }).await
}

/// A TLS client that trusts only `pem` (what a browser does after its user accepts the certificate).
fn trusting(pem: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(room_protocol::crypto::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn tls_connect(link: &str, trusted: &[u8]) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let authority = link.strip_prefix("https://").unwrap().split('/').next().unwrap();
    let (host, _) = authority.rsplit_once(':').unwrap();
    let tcp = TcpStream::connect(authority).await?;
    trusting(trusted).connect(ServerName::try_from(host.to_owned()).unwrap(), tcp).await
}

/// The served leaf certificate's SHA-256 fingerprint.
fn served_fingerprint(stream: &tokio_rustls::client::TlsStream<TcpStream>) -> String {
    let leaf = &stream.get_ref().1.peer_certificates().unwrap()[0];
    room::tls::fingerprint(leaf.as_ref())
}

async fn get(link: &str, trusted: &[u8]) -> String {
    try_get(link, trusted).await.unwrap()
}

async fn try_get(link: &str, trusted: &[u8]) -> std::io::Result<String> {
    let mut stream = tls_connect(link, trusted).await?;
    let authority = link.strip_prefix("https://").unwrap().split('/').next().unwrap();
    let path = &link[link.find("/r/").unwrap()..];
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_room_serves_https_and_wss_with_a_certificate_it_keeps() {
    choose_crypto();
    let engine = AudioEngine::start(|_| {}).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("room-tls");
    let room = network_room(CertificateSource::SelfSigned { dir: dir.clone() }, &engine).await.unwrap();
    let (link, pin) = room.invite_link().split_once('#').expect("the link names the certificate");
    let link = link.to_owned();
    assert!(link.starts_with("https://127.0.0.1:") && link.contains("/r/"), "{link}");
    let info = room.certificate().unwrap().clone();
    assert_eq!(info.kind, CertificateKind::SelfSigned);
    let named = info.fingerprint.as_ref().unwrap().replace(':', "").to_lowercase();
    assert_eq!(pin, format!("fp=sha256:{named}"), "the link's pin is the certificate served");
    let pem = std::fs::read(dir.join("cert.pem")).unwrap();

    let stream = tls_connect(&link, &pem).await.unwrap();
    assert_eq!(Some(served_fingerprint(&stream)), info.fingerprint);
    drop(stream);
    // A client that does not trust it (a browser before its user accepts) gets no page.
    let stranger =
        room::tls::self_signed(&data.path().join("other"), &["127.0.0.1".into()], std::time::SystemTime::now())
            .unwrap();
    let other_pem = std::fs::read(data.path().join("other/cert.pem")).unwrap();
    assert_ne!(Some(stranger.fingerprint), info.fingerprint);
    assert!(tls_connect(&link, &other_pem).await.is_err(), "a certificate the client does not trust is refused");

    // A client that opens a connection and never says hello does not hold up the page.
    let silent = TcpStream::connect(link.strip_prefix("https://").unwrap().split('/').next().unwrap()).await.unwrap();
    let page = tokio::time::timeout(Duration::from_secs(5), get(&link, &pem)).await.expect("not held up");
    assert!(page.starts_with("HTTP/1.1 200") || page.starts_with("HTTP/1.1 503"), "{page}");
    drop(silent);

    // The signaling socket works over WSS, and the welcome carries the ICE servers.
    let stream = tls_connect(&link, &pem).await.unwrap();
    let ws_url = format!("{}/ws", link.replacen("https://", "wss://", 1));
    let (mut socket, _) = tokio_tungstenite::client_async(ws_url, stream).await.unwrap();
    let hello = json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"});
    socket.send(Message::text(hello.to_string())).await.unwrap();
    let welcome = loop {
        let Message::Text(text) = socket.next().await.unwrap().unwrap() else { continue };
        let value: Value = serde_json::from_str(&text).unwrap();
        if value["type"] == "welcome" {
            break value;
        }
    };
    assert_eq!(welcome["iceServers"], json!([]));
    drop(socket);
    room.end().await;

    // Started again, the room serves the same certificate: its fingerprint stays.
    let again = network_room(CertificateSource::SelfSigned { dir }, &engine).await.unwrap();
    assert_eq!(again.certificate().unwrap().fingerprint, info.fingerprint);
    again.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_connections_from_one_address_cannot_starve_page_loads_from_another() {
    choose_crypto();
    let engine = AudioEngine::start(|_| {}).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("room-tls");
    let room = network_room(CertificateSource::SelfSigned { dir: dir.clone() }, &engine).await.unwrap();
    let link = room.invite_link().split_once('#').unwrap().0.to_owned();
    let pem = std::fs::read(dir.join("cert.pem")).unwrap();
    let port = room.address().port();

    // 140 connections from 127.0.0.2 that never send a ClientHello, each reopened as soon as
    // the room closes it (Linux routes all of 127/8 to the loopback interface).
    let attacking = Arc::new(AtomicBool::new(true));
    let opened = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..140)
        .map(|_| {
            let (attacking, opened) = (Arc::clone(&attacking), Arc::clone(&opened));
            tokio::spawn(async move {
                while attacking.load(Ordering::Relaxed) {
                    let socket = tokio::net::TcpSocket::new_v4().unwrap();
                    socket.bind((Ipv4Addr::new(127, 0, 0, 2), 0).into()).unwrap();
                    if let Ok(mut silent) = socket.connect((Ipv4Addr::LOCALHOST, port).into()).await {
                        opened.fetch_add(1, Ordering::Relaxed);
                        let _ = silent.read(&mut [0u8; 1]).await;
                    }
                    // A short breath, so the attack does not take the test machine's cores.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while opened.load(Ordering::Relaxed) < 140 {
        assert!(tokio::time::Instant::now() < deadline, "the attack did not get going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 99 ordinary page loads from 127.0.0.1, one after another, as people arriving.
    let mut loaded = 0;
    for _ in 0..99 {
        match tokio::time::timeout(Duration::from_secs(10), try_get(&link, &pem)).await {
            Ok(Ok(page)) if page.starts_with("HTTP/1.1 200") || page.contains("participant page was not built") => {
                loaded += 1;
            }
            Ok(Ok(other)) => println!("a page load got {}", other.lines().next().unwrap_or_default()),
            Ok(Err(err)) => println!("a page load failed: {err}"),
            Err(_) => println!("a page load took over 10 s"),
        }
    }
    attacking.store(false, Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
    println!(
        "{loaded} of 99 page loads got through 140 silent connections ({} opened in all)",
        opened.load(Ordering::Relaxed)
    );
    assert_eq!(loaded, 99);
    room.end().await;
}

fn write_pair(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let made = room::tls::self_signed(&dir.join(name), &["127.0.0.1".into()], std::time::SystemTime::now()).unwrap();
    (dir.join(name).join("cert.pem"), dir.join(name).join("key.pem"), made.fingerprint)
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_files_are_checked_and_renewed_ones_are_picked_up() {
    choose_crypto();
    let engine = AudioEngine::start(|_| {}).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (cert, key, first) = write_pair(data.path(), "first");
    let (_, other_key, _) = write_pair(data.path(), "other");

    let mismatched = CertificateSource::Files { cert: cert.clone(), key: other_key.clone() };
    let refused = network_room(mismatched, &engine).await.err().expect("a key of another certificate is refused");
    assert!(refused.to_string().contains("does not belong to the certificate"), "{refused}");
    let missing = CertificateSource::Files { cert: data.path().join("nope.pem"), key: key.clone() };
    let refused = network_room(missing, &engine).await.err().expect("a missing file is refused");
    assert!(refused.to_string().contains("nope.pem could not be read"), "{refused}");

    // The live files, as a renewal tool would replace them.
    let (live_cert, live_key) = (data.path().join("live.pem"), data.path().join("live.key"));
    std::fs::copy(&cert, &live_cert).unwrap();
    std::fs::copy(&key, &live_key).unwrap();
    let room = network_room(CertificateSource::Files { cert: live_cert.clone(), key: live_key.clone() }, &engine)
        .await
        .unwrap();
    let link = room.invite_link().to_owned();
    assert!(link.starts_with("https://127.0.0.1:"), "the link names the certificate's host: {link}");
    assert!(!link.contains('#'), "no pin: files are renewed, and the system's roots vouch for them: {link}");
    assert_eq!(room.certificate().unwrap().fingerprint.as_deref(), Some(first.as_str()));

    // A broken renewal is not used: the old certificate keeps being served.
    std::fs::copy(&other_key, &live_key).unwrap();
    tokio::time::sleep(room::tls::RELOAD_EVERY + Duration::from_secs(1)).await;
    let first_pem = std::fs::read(&cert).unwrap();
    assert_eq!(served_fingerprint(&tls_connect(&link, &first_pem).await.unwrap()), first);

    // A good renewal is served without a restart.
    let (renewed_cert, renewed_key, renewed) = write_pair(data.path(), "renewed");
    std::fs::copy(&renewed_key, &live_key).unwrap();
    std::fs::copy(&renewed_cert, &live_cert).unwrap();
    let renewed_pem = std::fs::read(&renewed_cert).unwrap();
    let deadline = tokio::time::Instant::now() + room::tls::RELOAD_EVERY * 3;
    loop {
        if let Ok(stream) = tls_connect(&link, &renewed_pem).await {
            assert_eq!(served_fingerprint(&stream), renewed);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the renewed certificate is picked up");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    room.end().await;
}

fn choose_crypto() {
    meeting::peer::choose_crypto();
}
