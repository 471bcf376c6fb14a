//! A feed encoded onto a switchable track, between two webrtc-rs peers on loopback: only the
//! current track carries it, a new one takes over mid-stream with the same encoder, and
//! with none nothing is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use audio::signal::tone_microphone;
use meeting::opus::{self, Fmtp, OpusTrack};
use meeting::{add_track, new_peer, with_candidates, PeerNetwork};
use tokio::sync::watch;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;

/// RTP packets received so far, by track id.
type Counts = Arc<Mutex<HashMap<String, usize>>>;

fn count(counts: &Counts, id: &str) -> usize {
    counts.lock().unwrap().get(id).copied().unwrap_or_default()
}

/// Waits until track `id` has received `at_least` packets.
async fn until(counts: &Counts, id: &str, at_least: usize) {
    let arrived = tokio::time::timeout(Duration::from_secs(20), async {
        while count(counts, id) < at_least {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    if arrived.await.is_err() {
        panic!("track {id} received {} packets, not {at_least}", count(counts, id));
    }
}

/// A peer sending `tracks` and one receiving them, connected; the receiver counts packets.
async fn connect(tracks: &[&OpusTrack]) -> (Arc<RTCPeerConnection>, Arc<RTCPeerConnection>, Counts) {
    let network = PeerNetwork { include_loopback: true, ..PeerNetwork::default() };
    let sending = new_peer(&network).await.unwrap();
    let receiving = new_peer(&network).await.unwrap();
    for track in tracks {
        add_track(&sending, Arc::clone(track) as _).await.unwrap();
    }
    let counts = Counts::default();
    let counting = Arc::clone(&counts);
    receiving.on_track(Box::new(move |remote, _, _| {
        let counts = Arc::clone(&counting);
        // Spawned: webrtc-rs holds the handler while its future runs.
        tokio::spawn(async move {
            while remote.read_rtp().await.is_ok() {
                *counts.lock().unwrap().entry(remote.id()).or_default() += 1;
            }
        });
        Box::pin(async {})
    }));
    let offer = sending.create_offer(None).await.unwrap();
    let offer = with_candidates(&sending, offer).await.unwrap();
    receiving.set_remote_description(RTCSessionDescription::offer(offer).unwrap()).await.unwrap();
    let answer = receiving.create_answer(None).await.unwrap();
    let answer = with_candidates(&receiving, answer).await.unwrap();
    sending.set_remote_description(RTCSessionDescription::answer(answer).unwrap()).await.unwrap();
    (sending, receiving, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_goes_to_the_current_track_only() {
    let first = opus::track("first", "test", Fmtp::Stereo);
    let second = opus::track("second", "test", Fmtp::Stereo);
    let (sending, receiving, counts) = connect(&[&first, &second]).await;
    let (current, onto) = watch::channel(Some(Arc::clone(&first)));
    let encoding = opus::send(tone_microphone(440.0, 0.3), 48_000, onto, "the test tone", None);
    until(&counts, "first", 10).await;

    current.send_replace(Some(Arc::clone(&second)));
    until(&counts, "second", 5).await;
    // Whatever was encoded for the first track before the switch has arrived by now.
    let first_after_switch = count(&counts, "first");
    until(&counts, "second", 30).await;
    assert_eq!(count(&counts, "first"), first_after_switch, "the first track got packets after the switch");

    current.send_replace(None);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (first_idle, second_idle) = (count(&counts, "first"), count(&counts, "second"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!((count(&counts, "first"), count(&counts, "second")), (first_idle, second_idle), "sent with no track");

    // The same encoder goes on when a track comes back.
    current.send_replace(Some(Arc::clone(&first)));
    until(&counts, "first", first_idle + 10).await;
    assert!(!encoding.is_finished());

    encoding.abort();
    let _ = tokio::join!(sending.close(), receiving.close());
}
