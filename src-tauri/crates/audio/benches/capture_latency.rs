//! Microphone → encoded packet latency on a real (virtual) microphone: a PulseAudio pipe
//! source is fed silence in real time, then tone bursts; each burst's latency is the time
//! from writing its first samples into the pipe to the first Opus packet that carries it
//! in the host's microphone feed (what participants hear), through PulseAudio, ALSA, cpal,
//! the ring, resampling, the audio processing (noise suppression, gain), the mixer, the
//! fan-out and the encoder. Then the microphone stalls: nothing for 500 ms, then all of it
//! at once (as a device or a busy machine does), and the bursts after it show how much
//! latency the stall left behind. Last, the speakers play (PulseAudio's default sink) and
//! echo cancellation runs on top: the same bursts, with it. Needs PulseAudio;
//! scripts/bench.sh runs it.
//! Run: `cargo bench -p boardroom-audio --bench capture_latency`.

use std::fs::OpenOptions;
use std::io::Write;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use audio::{AudioEngine, Feed, OpusEncoder};

const PIPE: &str = "/tmp/boardroom-bench-mic.pipe";
const RATE: usize = 48_000;
const BURSTS: usize = 20;

fn pactl(args: &[&str]) -> bool {
    Command::new("pactl").args(args).output().is_ok_and(|o| o.status.success())
}

fn main() {
    if !pactl(&["info"]) {
        Command::new("pulseaudio").args(["-D", "--exit-idle-time=-1", "--system=false"]).status().expect("pulseaudio");
        while !pactl(&["info"]) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = std::fs::remove_file(PIPE);
    assert!(pactl(&[
        "load-module",
        "module-pipe-source",
        "source_name=boardroom_bench",
        &format!("file={PIPE}"),
        "format=s16le",
        "rate=48000",
        "channels=1"
    ]));
    assert!(pactl(&["set-default-source", "boardroom_bench"]));
    let mut pipe = OpenOptions::new().write(true).open(PIPE).expect("the pipe source's FIFO");

    // The consumer encodes every mixed frame and notes when a loud one comes out.
    let engine = AudioEngine::start(|_| {}).unwrap();
    let mut mix = engine.attach_blocking(Feed::Microphone, "bench", 64).unwrap();
    engine.set_echo_cancellation(true);
    engine.join(None);
    let (onsets_tx, onsets) = mpsc::channel::<Instant>();
    let consumer = std::thread::spawn(move || {
        let mut encoder = OpusEncoder::new(64_000).unwrap();
        let mut loud = false;
        while let Some(frame) = mix.blocking_recv() {
            let packet_len = encoder.encode(&frame).unwrap().len();
            let rms = (frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32).sqrt();
            if rms > 0.02 && !loud && packet_len > 0 {
                let _ = onsets_tx.send(Instant::now());
            }
            loud = rms > 0.02;
        }
    });

    // Silence, paced in real time, until capture is running (about 2 s to start here).
    let chunk = |tone: bool, start: usize| -> Vec<u8> {
        (0..RATE / 50)
            .flat_map(|i| {
                let t = (start + i) as f32 / RATE as f32;
                let v = if tone { (0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin() * 32767.0) as i16 } else { 0 };
                v.to_le_bytes()
            })
            .collect()
    };
    let mut next = Instant::now();
    let mut write = |pipe: &mut std::fs::File, tone: bool, n: usize| {
        pipe.write_all(&chunk(tone, n * RATE / 50)).unwrap();
        next += Duration::from_millis(20);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    };
    for n in 0..200 {
        write(&mut pipe, false, n);
    }
    while onsets.try_recv().is_ok() {}
    let mut phases = Vec::new();
    for phase in [Phase::Plain, Phase::AfterStall, Phase::EchoCancelling] {
        if phase == Phase::EchoCancelling {
            engine.set_speakers(true);
            for n in 0..75 {
                write(&mut pipe, false, n);
            }
            while onsets.try_recv().is_ok() {}
        }
        if phase == Phase::AfterStall {
            // The stall: nothing for 500 ms; the writer's clock then catches up at once,
            // so the device delivers the held-back 500 ms in one go. A second to settle.
            std::thread::sleep(Duration::from_millis(500));
            for n in 0..75 {
                write(&mut pipe, false, n);
            }
            while onsets.try_recv().is_ok() {}
        }
        let mut latencies = Vec::new();
        for _ in 0..BURSTS {
            let written = Instant::now();
            for n in 0..10 {
                write(&mut pipe, true, n);
            }
            for n in 0..40 {
                write(&mut pipe, false, n);
            }
            if let Ok(out) = onsets.try_recv() {
                latencies.push(out.duration_since(written).as_secs_f64() * 1000.0);
            }
            while onsets.try_recv().is_ok() {}
        }
        phases.push(latencies);
    }
    drop(engine);
    consumer.join().unwrap();
    let _ = Command::new("pactl").args(["unload-module", "module-pipe-source"]).status();
    let echo_cancelling = phases.pop().unwrap();
    let after_stall = phases.pop().unwrap();
    report("microphone → encoded packet latency for participants (noise suppression, gain)", phases.pop().unwrap());
    report("the same latency after a 500 ms microphone stall", after_stall);
    report("the same latency with the speakers playing and echo cancellation on", echo_cancelling);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plain,
    AfterStall,
    EchoCancelling,
}

fn report(what: &str, mut latencies: Vec<f64>) {
    latencies.sort_by(f64::total_cmp);
    assert!(!latencies.is_empty(), "no burst came through");
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what} over {} bursts: p50 {:.1} ms, p99 {:.1} ms (min {:.1}, max {:.1})",
        latencies.len(),
        pick(0.5),
        pick(0.99),
        latencies[0],
        latencies[latencies.len() - 1]
    );
}
