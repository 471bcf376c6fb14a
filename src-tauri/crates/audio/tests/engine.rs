//! The audio thread without a microphone: the mix keeps flowing at 50 frames a second,
//! levels come ten times a second while anyone is in the room (and not otherwise), and a
//! missing device is reported, not fatal.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use audio::{AudioEngine, EngineEvent, Feed, MicrophoneStatus};
use tokio::sync::mpsc::error::TryRecvError;

fn next_status(events: &mpsc::Receiver<EngineEvent>) -> MicrophoneStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Ok(event) = events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let EngineEvent::Microphone(status) = event {
            return status;
        }
    }
    panic!("no microphone status within 5 s");
}

#[test]
fn the_mix_and_levels_keep_time_and_a_missing_microphone_is_reported() {
    let (tx, events) = mpsc::channel();
    let engine = AudioEngine::start(move |event| {
        let _ = tx.send(event);
    })
    .unwrap();
    let mut mix = engine.attach_blocking(Feed::Room, "test", 100).unwrap();

    let start = Instant::now();
    let mut frames = 0;
    while start.elapsed() < Duration::from_secs(1) {
        if mix.try_recv().is_ok() {
            frames += 1;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!((45..=55).contains(&frames), "{frames} frames in a second");
    let levels = |events: &mpsc::Receiver<EngineEvent>| {
        events.try_iter().filter(|e| matches!(e, EngineEvent::Levels(_))).count()
    };
    assert_eq!(levels(&events), 0, "nobody is in the room: no levels to report");

    engine.join(Some("no such microphone".into()));
    match next_status(&events) {
        MicrophoneStatus::Unavailable { reason } => assert!(reason.contains("no such microphone"), "{reason}"),
        other => panic!("expected the microphone to be unavailable, got {other:?}"),
    }
    let _ = levels(&events);
    std::thread::sleep(Duration::from_secs(1));
    let count = levels(&events);
    assert!((8..=12).contains(&count), "{count} level reports in a second with you in the room");
    engine.leave();
    assert_eq!(next_status(&events), MicrophoneStatus::Off);
    std::thread::sleep(Duration::from_millis(300));
    let _ = levels(&events);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(levels(&events), 0, "after leaving, the levels stop");
    drop(engine);
    while mix.try_recv().is_ok() {}
    assert_eq!(mix.try_recv(), Err(TryRecvError::Disconnected), "the mix ends with the engine");
}

#[test]
fn other_sources_are_mixed_in_and_leave_cleanly() {
    let (tx, events) = mpsc::channel();
    let engine = AudioEngine::start(move |event| {
        let _ = tx.send(event);
    })
    .unwrap();
    let mut mix = engine.attach_blocking(Feed::Room, "test", 200).unwrap();
    let sources = engine.sources();
    sources.add("guest");
    let mut feed = sources.feed("guest");
    // Half a second of a 440 Hz tone, handed over in one go as a decoder would after a burst.
    let tone: Vec<f32> = (0..25).flat_map(|i| audio::signal::tone_frame(440.0, 0.3, i)).collect();
    feed.push(&tone);
    std::thread::sleep(Duration::from_millis(600));
    let mut heard = Vec::new();
    while let Ok(frame) = mix.try_recv() {
        heard.extend_from_slice(&frame[..]);
    }
    let frequency = audio::signal::frequency(&audio::signal::left(&heard));
    assert!((frequency - 440.0).abs() < 5.0, "the mix carries the guest's tone: {frequency} Hz");
    let has_guest =
        |event: &EngineEvent| matches!(event, EngineEvent::Levels(l) if l.sources.iter().any(|s| s.id == "guest"));
    assert!(events.try_iter().any(|e| has_guest(&e)), "the guest's level is reported");

    sources.remove("guest");
    std::thread::sleep(Duration::from_millis(300));
    let _ = events.try_iter().count();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!events.try_iter().any(|e| has_guest(&e)), "a removed source is gone from the levels");
}
