//! On a real (virtual) microphone: PulseAudio with a null sink whose monitor is the default
//! source, read by cpal through ALSA's PulseAudio plugin. A sox tone played into the sink
//! must come out of the mixer at its pitch and level; then PulseAudio is stopped under the
//! open microphone, which must report the loss, and capture resumes once it is back.
//!
//! Needs `pulseaudio`, `pulseaudio-utils`, `libasound2-plugins` and `sox`; scripts/test.sh
//! runs it with `cargo test -p boardroom-audio --test microphone -- --ignored`.

mod pulse;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use audio::frame::dbfs;
use audio::signal::{frequency, left, rms};
use pulse::run;

use audio::{input_names, CaptureError, Microphone, Mixer, MixerConfig, FRAME_LEN};

const SINK: &str = "boardroom_vmic";

/// PulseAudio with the virtual microphone as default source.
fn start_virtual_microphone() {
    pulse::start_with_sink(SINK);
    run("pactl", &["set-default-source", &format!("{SINK}.monitor")]);
}

fn play_tone(dir: &std::path::Path, seconds: u32) -> Child {
    let wav = pulse::tone_wav(dir, 440, seconds);
    Command::new("paplay").args(["-d", SINK, wav.to_str().unwrap()]).spawn().unwrap()
}

/// Waits for the first audio from a freshly opened microphone (ALSA's PulseAudio plugin
/// takes about two seconds to start delivering here) and returns how long that took.
fn wait_for_audio(mic: &mut Microphone) -> Duration {
    let start = Instant::now();
    let mut out = Vec::new();
    while out.is_empty() {
        mic.read(&mut out).unwrap();
        assert!(start.elapsed() < Duration::from_secs(10), "no audio from the microphone");
        std::thread::sleep(Duration::from_millis(5));
    }
    start.elapsed()
}

/// Reads the microphone into the mixer for `duration`, one tick per 20 ms; returns the mix.
fn capture(mic: &mut Microphone, mixer: &mut Mixer, duration: Duration) -> Result<Vec<f32>, CaptureError> {
    let mut mix = Vec::new();
    let mut captured = Vec::new();
    let start = Instant::now();
    let mut next_tick = start;
    while start.elapsed() < duration {
        mic.read(&mut captured)?;
        mixer.push("you", &captured).unwrap();
        captured.clear();
        mix.extend_from_slice(mixer.tick());
        // Tick on the clock, as the audio thread does, so the mix keeps pace with the device.
        next_tick += Duration::from_millis(20);
        std::thread::sleep(next_tick.saturating_duration_since(Instant::now()));
    }
    Ok(mix)
}

#[test]
#[ignore = "needs PulseAudio; scripts/test.sh runs it"]
fn a_tone_on_the_virtual_microphone_reaches_the_mix_and_losing_the_device_is_reported() {
    start_virtual_microphone();
    let dir = tempfile::tempdir().unwrap();
    let names = input_names();
    assert!(names.first().is_some_and(|n| n == "default"), "the default input is listed first: {names:?}");
    let (_stream, mut mic) = Microphone::open(None, None).expect("the virtual microphone opens");
    let startup = wait_for_audio(&mut mic);
    let mut mixer = Mixer::new(MixerConfig::default());
    mixer.add_source("you");

    let mut player = play_tone(dir.path(), 4);
    let mix = capture(&mut mic, &mut mixer, Duration::from_secs(3)).unwrap();
    player.wait().ok();

    // Judge the longest unbroken stretch of tone (a tick can fall between two device
    // deliveries and carry silence, which would blur a pitch measured across it).
    let frames: Vec<&[f32]> = mix.chunks_exact(FRAME_LEN).collect();
    let (mut best, mut start) = ((0, 0), 0);
    for (i, frame) in frames.iter().enumerate() {
        if rms(frame) < 0.01 {
            start = i + 1;
        } else if i + 1 - start > best.1 - best.0 {
            best = (start, i + 1);
        }
    }
    assert!(best.1 - best.0 >= 60, "at least 1.2 s of unbroken tone: {} frames", best.1 - best.0);
    // Skip the onset, where the player's start click and the gain settling blur the pitch.
    let tone: Vec<f32> = frames[best.0 + 10..best.1].concat();
    let pitch = frequency(&left(&tone));
    assert!((pitch - 440.0).abs() < 5.0, "the mix carries the tone: {pitch} Hz");
    let level = dbfs(rms(&tone));
    assert!((-26.0..=-14.0).contains(&level), "brought towards the -20 dBFS target: {level:.1} dBFS");
    let you = &mixer.source_levels()[0];
    println!(
        "first audio after {startup:?}; mix {pitch:.1} Hz at {level:.1} dBFS over {} frames; microphone {:.1} dBFS, gain {:.1} dB, late frames {} of {}",
        best.1 - best.0, you.level.rms_dbfs, you.gain_db, you.late_frames, frames.len()
    );

    // The microphone disappears: PulseAudio goes away under the open stream.
    run("pulseaudio", &["--kill"]);
    let lost = capture(&mut mic, &mut mixer, Duration::from_secs(5));
    assert!(
        matches!(lost, Err(CaptureError::Lost(_))),
        "the loss is reported, not a hang or a crash: {:?}",
        lost.map(|m| m.len())
    );
    drop(mic);
    assert!(matches!(Microphone::open(Some("no such microphone"), None), Err(CaptureError::NotFound(_))));

    // …and comes back: opening again captures again.
    start_virtual_microphone();
    let (_stream, mut mic) = Microphone::open(None, None).expect("the microphone opens again");
    wait_for_audio(&mut mic);
    let mut player = play_tone(dir.path(), 2);
    let mix = capture(&mut mic, &mut mixer, Duration::from_millis(1500)).unwrap();
    player.wait().ok();
    assert!(rms(&mix[mix.len() / 2..]) > 0.01, "audio flows again");
}

#[test]
#[ignore = "needs PulseAudio; scripts/test.sh runs it"]
fn the_audio_thread_goes_live_shows_you_speaking_and_recovers_the_device() {
    start_virtual_microphone();
    let dir = tempfile::tempdir().unwrap();
    let (tx, events) = std::sync::mpsc::channel();
    let engine = audio::AudioEngine::start(move |event| {
        let _ = tx.send(event);
    })
    .unwrap();
    engine.join(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut live = false;
    let mut speaking = None;
    let mut player = None;
    while Instant::now() < deadline && speaking.is_none() {
        match events.recv_timeout(Duration::from_millis(200)) {
            Ok(audio::EngineEvent::Microphone(audio::MicrophoneStatus::Live { .. })) => {
                live = true;
                player = Some(play_tone(dir.path(), 3));
            }
            Ok(audio::EngineEvent::Levels(levels)) => {
                // A tick without a full frame reads -100 dB even while "speaking" holds over; skip those.
                let live_speech =
                    |s: &&audio::SourceLevel| s.id == "you" && s.level.speaking && s.level.rms_dbfs > -100.0;
                speaking = levels.sources.iter().find(live_speech).map(|s| s.level);
            }
            _ => {}
        }
    }
    if let Some(mut player) = player {
        player.kill().ok();
    }
    assert!(live, "the microphone went live");
    let level = speaking.expect("\"you\" shows as speaking while the tone plays");
    assert!(level.rms_dbfs > -30.0, "{level:?}");

    // Unplugged: the status says so; plugged back: the thread picks it up by itself.
    run("pulseaudio", &["--kill"]);
    let status = |events: &std::sync::mpsc::Receiver<audio::EngineEvent>| loop {
        match events.recv_timeout(Duration::from_secs(10)).expect("a microphone status") {
            audio::EngineEvent::Microphone(status) => break status,
            audio::EngineEvent::Levels(_) => {}
        }
    };
    assert!(matches!(status(&events), audio::MicrophoneStatus::Unavailable { .. }));
    start_virtual_microphone();
    assert!(matches!(status(&events), audio::MicrophoneStatus::Live { .. }), "capture resumes once the device is back");
    drop(engine);
}
