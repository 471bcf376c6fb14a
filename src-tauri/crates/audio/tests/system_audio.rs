//! What this computer plays, heard through a real sound server (PulseAudio with a null sink
//! as the default output). Boardroom plays a participant's 300 Hz tone on its speakers while
//! it listens to the computer's audio: that must not come back as "call audio". Another
//! program (paplay) then plays a 700 Hz tone: that must reach the room mix as "call audio",
//! at its own level. Seventeen programs at once: sixteen are heard (the cap). Turned off,
//! "call audio" leaves the mix.
//!
//! Needs `pulseaudio`, `pulseaudio-utils`, `libasound2-plugins` and `sox`; scripts/test.sh
//! runs it with `cargo test -p boardroom-audio --test system_audio -- --ignored`.

mod pulse;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use audio::frame::dbfs;
use audio::signal::{left, tone_amplitude, tone_frame};
use audio::{AudioEngine, EngineEvent, Feed, SystemAudio, SystemAudioStatus, SYSTEM_AUDIO_SOURCE};
use pulse::run;

const SPEAKERS: &str = "boardroom_speakers";

/// The loudest "call audio" level (dBFS) in the level reports of the next `seconds`.
fn loudest_call_audio(events: &mpsc::Receiver<EngineEvent>, seconds: f32) -> f32 {
    let end = Instant::now() + Duration::from_secs_f32(seconds);
    let mut loudest = -100.0f32;
    while let Ok(event) = events.recv_timeout(end.saturating_duration_since(Instant::now())) {
        if let EngineEvent::Levels(levels) = event {
            let call = levels.sources.iter().find(|s| s.id == SYSTEM_AUDIO_SOURCE);
            loudest = loudest.max(call.map_or(-100.0, |s| s.level.rms_dbfs));
        }
    }
    loudest
}

fn wait_for_status(statuses: &mpsc::Receiver<SystemAudioStatus>, wanted: impl Fn(&SystemAudioStatus) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while let Ok(status) = statuses.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if wanted(&status) {
            return;
        }
        seen.push(status);
    }
    panic!("not the status wanted within 10 s; saw {seen:?}");
}

/// How strongly `frequency` sounds in what the default output plays (its monitor, for a second).
fn played(frequency: f32) -> f32 {
    let raw = Command::new("timeout")
        .args([
            "1",
            "parec",
            "-d",
            &format!("{SPEAKERS}.monitor"),
            "--rate=48000",
            "--channels=1",
            "--format=float32le",
        ])
        .output()
        .unwrap()
        .stdout;
    let mono: Vec<f32> = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    tone_amplitude(&mono, frequency)
}

#[test]
#[ignore = "needs PulseAudio; scripts/test.sh runs it"]
fn other_applications_reach_the_mix_as_call_audio_and_our_own_playback_does_not() {
    pulse::start_with_sink(SPEAKERS);
    run("pactl", &["set-default-sink", SPEAKERS]);
    let dir = tempfile::tempdir().unwrap();
    let (tx, events) = mpsc::channel();
    let engine = AudioEngine::start(move |event| {
        let _ = tx.send(event);
    })
    .unwrap();
    let sources = engine.sources();

    // A participant who hums at 300 Hz, on this computer's speakers.
    let stop = Arc::new(AtomicBool::new(false));
    let humming = {
        let (mut feed, stop) = (sources.feed("guest"), Arc::clone(&stop));
        std::thread::spawn(move || {
            let start = Instant::now();
            for index in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                feed.push(&tone_frame(300.0, 0.2, index));
                let next = start + Duration::from_millis(20) * (index as u32 + 1);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        })
    };
    engine.set_speakers(true);

    let (status_tx, statuses) = mpsc::channel();
    let listening = SystemAudio::start(sources.clone(), move |status| {
        let _ = status_tx.send(status);
    })
    .unwrap();
    wait_for_status(&statuses, |s| matches!(s, SystemAudioStatus::Listening { .. }));
    std::thread::sleep(Duration::from_secs(2)); // ALSA's PulseAudio plugin takes a while to start playing
    let ours = played(300.0);
    assert!(ours > 0.05, "the speakers play the participant: {ours}");
    let echo = loudest_call_audio(&events, 3.0);
    assert!(echo < -80.0, "Boardroom's own playback is not heard again as call audio: {echo:.1} dBFS");

    // Another program plays.
    let wav = pulse::tone_wav(dir.path(), 700, 8);
    let mut paplay = Command::new("paplay").args(["-d", SPEAKERS, wav.to_str().unwrap()]).spawn().unwrap();
    wait_for_status(
        &statuses,
        |s| matches!(s, SystemAudioStatus::Listening { apps } if apps.iter().any(|a| a == "paplay")),
    );
    let mut room = engine.attach_blocking(Feed::Room, "test", 200).unwrap();
    let heard = loudest_call_audio(&events, 2.0);
    let mut mix = Vec::new();
    while let Ok(frame) = room.try_recv() {
        mix.extend_from_slice(&frame.samples);
    }
    let mix = left(&mix);
    let (call, guest) = (tone_amplitude(&mix, 700.0), tone_amplitude(&mix, 300.0));
    println!(
        "our playback as call audio: {echo:.1} dBFS; paplay as call audio: {heard:.1} dBFS; the room mix: 700 Hz at {:.1} dBFS, 300 Hz at {:.1} dBFS over {} ms",
        dbfs(call),
        dbfs(guest),
        mix.len() / 48
    );
    assert!(heard > -30.0, "paplay's tone is heard as call audio: {heard:.1} dBFS");
    assert!(call > 0.02, "the room mix (what the voice operator hears) carries it: {call}");
    assert!(guest > 0.02, "…beside the participant: {guest}");

    // Seventeen programs play at once: sixteen are heard, and the seventeenth waits its turn.
    let mut more: Vec<_> = (0..16)
        .map(|_| Command::new("paplay").args(["-d", SPEAKERS, wav.to_str().unwrap()]).spawn().unwrap())
        .collect();
    wait_for_status(&statuses, |s| matches!(s, SystemAudioStatus::Listening { apps } if apps.len() == 16));
    std::thread::sleep(Duration::from_millis(500));
    let heard_at_most =
        statuses.try_iter().all(|s| !matches!(s, SystemAudioStatus::Listening { apps } if apps.len() > 16));
    assert!(heard_at_most, "never more than 16 applications at once");
    for player in &mut more {
        player.kill().ok();
        player.wait().ok();
    }

    // Turned off: call audio leaves the mix.
    drop(listening);
    wait_for_status(&statuses, |s| *s == SystemAudioStatus::Off);
    std::thread::sleep(Duration::from_millis(200));
    while events.try_recv().is_ok() {}
    let levels = loop {
        if let EngineEvent::Levels(levels) = events.recv_timeout(Duration::from_secs(2)).unwrap() {
            break levels;
        }
    };
    assert!(levels.sources.iter().all(|s| s.id != SYSTEM_AUDIO_SOURCE), "{levels:?}");
    paplay.kill().ok();
    paplay.wait().ok();
    stop.store(true, Ordering::Relaxed);
    humming.join().unwrap();
}
